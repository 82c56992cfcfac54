#include "extension/wire_error.hpp"

#include <string>

namespace pt::ext {
namespace {

class WireErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "paid-stream wire"; }
    std::string message(int ev) const override
    {
        switch (static_cast<WireError>(ev)) {
        case WireError::too_large: return "message too large";
        case WireError::not_bencoded: return "not a well-formed bencoded value";
        case WireError::not_a_dict: return "not a bencoded dictionary";
        case WireError::missing_field: return "required field missing";
        case WireError::wrong_type: return "field of the wrong type";
        case WireError::wrong_length: return "field of the wrong length";
        case WireError::out_of_range: return "value out of range";
        case WireError::unknown_message_type: return "unknown message type";
        case WireError::unsupported_version: return "unsupported protocol version";
        case WireError::invalid_terms: return "invalid terms";
        case WireError::protocol_violation: return "protocol violation";
        case WireError::rejected: return "message rejected by the payment engine";
        }
        return "unknown wire error";
    }
};

} // namespace

const std::error_category& wireErrorCategory() noexcept
{
    static const WireErrorCategory category;
    return category;
}

} // namespace pt::ext
