#include "wallet/store/store_error.hpp"

#include <string>

namespace pt::store {
namespace {

class StoreErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "store"; }
    std::string message(int ev) const override
    {
        switch (static_cast<StoreError>(ev)) {
        case StoreError::open_failed: return "cannot open the database";
        case StoreError::corrupt: return "the database is corrupt";
        case StoreError::newer_schema: return "the database was written by a newer version";
        case StoreError::migration_failed: return "a schema migration failed";
        case StoreError::constraint: return "the database refused the write";
        case StoreError::stale_turn: return "the state's turn is not above the latest stored";
        case StoreError::not_found: return "not found";
        case StoreError::invalid_record: return "inconsistent record";
        case StoreError::busy: return "the database is locked by another connection";
        case StoreError::io: return "database I/O error";
        case StoreError::nested_transaction: return "a transaction is already open";
        }
        return "unknown store error";
    }
};

} // namespace

const std::error_category& storeErrorCategory() noexcept
{
    static const StoreErrorCategory category;
    return category;
}

} // namespace pt::store
