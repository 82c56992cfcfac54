// Errors of the wallet store (the SQLite database of channels, signed states and payments).
#pragma once

#include "wallet/common/result.hpp"

#include <system_error>

namespace pt::store {

enum class StoreError {
    open_failed = 1,    // the file cannot be opened or created, or is not a PayTorrent database
    corrupt,            // not a SQLite file, failed integrity check, or a row this code never writes
    newer_schema,       // written by a newer PayTorrent (schema version above what this build knows)
    migration_failed,   // a schema migration step failed; the database is left as it was
    constraint,         // a duplicate, an unknown channel, or another rule of the schema refused a write
    stale_turn,         // a signed state whose turn is not above the latest stored one
    not_found,          // the channel (or state) named does not exist
    invalid_record,     // a record inconsistent in itself (id is not the fixed part's, wrong signature count, ...)
    busy,               // another connection holds the lock past the busy timeout
    io,                 // disk full, read or write error, or another SQLite failure
    nested_transaction, // begin() while a transaction is already open
};
const std::error_category& storeErrorCategory() noexcept;
inline std::error_code make_error_code(StoreError e) noexcept
{
    return {static_cast<int>(e), storeErrorCategory()};
}

} // namespace pt::store

template <>
struct std::is_error_code_enum<pt::store::StoreError> : std::true_type {};
