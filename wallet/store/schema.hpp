// The store's versioned schema: an ordered list of migration steps, applied in one
// transaction, with the version in PRAGMA user_version. See docs/storage.md.
#pragma once

#include "wallet/common/result.hpp"

#include <cstdint>
#include <span>

struct sqlite3;

namespace pt::store {

// One step from version - 1 to version. Steps are never edited once released: a change is
// a new step.
struct Migration {
    int version;
    const char* description;
    const char* sql;
};

// PRAGMA application_id of every PayTorrent wallet database ("PTWS"), so that a SQLite file
// of another program is refused instead of being migrated into ours.
inline constexpr std::int32_t store_application_id = 0x50545753;

// The migrations of this build, versions 1..latest in order.
[[nodiscard]] std::span<const Migration> schemaMigrations() noexcept;
[[nodiscard]] int latestSchemaVersion() noexcept;

// Brings `db` to the last version of `steps`. All pending steps run in one IMMEDIATE
// transaction with a foreign-key check at the end: on any failure nothing changes
// (StoreError::migration_failed). A database of a newer version is refused
// (StoreError::newer_schema), and so is a SQLite file that is not ours (open_failed).
// Exposed with `steps` as a parameter so tests can build older versions and failing steps.
[[nodiscard]] Status migrate(sqlite3* db, std::span<const Migration> steps);

// PRAGMA user_version.
[[nodiscard]] Result<int> schemaVersion(sqlite3* db);

} // namespace pt::store
