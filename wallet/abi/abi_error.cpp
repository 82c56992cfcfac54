#include "wallet/abi/abi_error.hpp"

#include <string>

namespace pt::abi {
namespace {

class AbiErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "abi"; }
    std::string message(int ev) const override
    {
        switch (static_cast<AbiError>(ev)) {
        case AbiError::truncated: return "ABI data truncated";
        case AbiError::bad_offset: return "ABI offset out of bounds";
        case AbiError::bad_length: return "ABI length out of bounds";
        case AbiError::out_of_range: return "ABI integer out of its type's range";
        case AbiError::non_canonical: return "non-canonical ABI encoding";
        case AbiError::too_deep: return "ABI nesting too deep";
        case AbiError::too_large: return "ABI data too large";
        case AbiError::bad_type: return "invalid ABI type";
        case AbiError::not_revert: return "not an Error(string) revert";
        }
        return "unknown ABI error";
    }
};

} // namespace

const std::error_category& abiErrorCategory() noexcept
{
    static const AbiErrorCategory category;
    return category;
}

} // namespace pt::abi
