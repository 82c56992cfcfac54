#include "wallet/store/schema.hpp"

#include "wallet/store/sqlite.hpp"

#include <sqlite3.h>

#include <stdexcept>
#include <string>

namespace pt::store {
namespace {

// STRICT tables: a column takes only its declared type, so no amount or id can ever be
// stored as a REAL or as text by mistake. Blob sizes are checked here as well as in C++.
// 281474976710655 = 2^48 - 1, the range of Nitro's uint48 fields.
constexpr Migration migrations[] = {
    {1, "channels, signed states, signatures and the payments ledger", R"sql(
PRAGMA application_id = 1347704659;

CREATE TABLE channels (
    channel_id         BLOB    NOT NULL PRIMARY KEY CHECK (length(channel_id) = 32),
    chain_id           BLOB    NOT NULL CHECK (length(chain_id) = 32),
    participants       BLOB    NOT NULL CHECK (length(participants) = 40),
    channel_nonce      INTEGER NOT NULL CHECK (channel_nonce BETWEEN 0 AND 281474976710655),
    app_definition     BLOB    NOT NULL CHECK (length(app_definition) = 20),
    challenge_duration INTEGER NOT NULL CHECK (challenge_duration BETWEEN 0 AND 281474976710655),
    role               TEXT    NOT NULL CHECK (role IN ('beneficiary', 'payer')),
    counterparty       BLOB    NOT NULL CHECK (length(counterparty) = 20),
    status             TEXT    NOT NULL,
    created_ms         INTEGER NOT NULL,
    updated_ms         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX channels_by_counterparty ON channels (counterparty);

CREATE TABLE signed_states (
    channel_id BLOB    NOT NULL REFERENCES channels (channel_id),
    turn_num   INTEGER NOT NULL CHECK (turn_num BETWEEN 0 AND 281474976710655),
    is_final   INTEGER NOT NULL CHECK (is_final IN (0, 1)),
    app_data   BLOB    NOT NULL,
    outcome    BLOB    NOT NULL,
    state_hash BLOB    NOT NULL CHECK (length(state_hash) = 32),
    PRIMARY KEY (channel_id, turn_num)
) STRICT, WITHOUT ROWID;

CREATE TABLE state_signatures (
    channel_id  BLOB    NOT NULL,
    turn_num    INTEGER NOT NULL,
    participant INTEGER NOT NULL CHECK (participant BETWEEN 0 AND 1),
    signature   BLOB    NOT NULL CHECK (length(signature) = 65),
    PRIMARY KEY (channel_id, turn_num, participant),
    FOREIGN KEY (channel_id, turn_num) REFERENCES signed_states (channel_id, turn_num)
) STRICT, WITHOUT ROWID;

CREATE TABLE payments (
    payment_id INTEGER PRIMARY KEY,
    channel_id BLOB    NOT NULL,
    turn_num   INTEGER NOT NULL,
    amount     BLOB    NOT NULL CHECK (length(amount) = 32),
    direction  TEXT    NOT NULL CHECK (direction IN ('sent', 'received')),
    torrent    TEXT,
    peer       TEXT,
    time_ms    INTEGER NOT NULL,
    UNIQUE (channel_id, turn_num),
    FOREIGN KEY (channel_id, turn_num) REFERENCES signed_states (channel_id, turn_num)
) STRICT;
)sql"},
    {2, "settings and cursors (key-value)", R"sql(
CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;
)sql"},
    // Rows of earlier versions get 0 bytes: those payments were recorded without a count.
    // (SQLite integers stop at 2^63 - 1; recordPayment refuses more.)
    {3, "payload bytes per payment and the ledger's index by torrent", R"sql(
ALTER TABLE payments ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0);
CREATE INDEX payments_by_torrent ON payments (torrent, channel_id);
)sql"},
};

static_assert(store_application_id == 1347704659, "the migration's literal must match");

Result<std::int64_t> pragmaInt(sqlite3* db, const char* sql)
{
    auto stmt = sqlite::Statement::prepare(db, sql);
    if (!stmt) return stmt.error();
    auto row = stmt->step(sql);
    if (!row) return row.error();
    if (!*row) return makeError(StoreError::io, std::string(sql) + " returned nothing");
    return stmt->columnInt(0);
}

// A misnumbered list is a programmer error, not a property of the file.
void checkSteps(std::span<const Migration> steps)
{
    for (std::size_t i = 0; i < steps.size(); ++i)
        if (steps[i].version != static_cast<int>(i) + 1)
            throw std::logic_error("schema migrations must be numbered 1, 2, ... in order");
}

// Refuses a SQLite file written by another program: ours carry our application_id from
// step 1 on, and a fresh file is empty.
Status checkOwnership(sqlite3* db, std::int64_t appId, std::int64_t version)
{
    if (appId == store_application_id) return {};
    if (appId == 0 && version == 0) {
        auto objects = pragmaInt(db, "SELECT count(*) FROM sqlite_schema");
        if (!objects) return objects.error();
        if (*objects == 0) return {};
    }
    return makeError(StoreError::open_failed, "the file is a SQLite database of another program, not a PayTorrent wallet");
}

Status applyPending(sqlite3* db, std::span<const Migration> steps)
{
    // Read inside the write transaction: another process may have migrated meanwhile.
    auto appId = pragmaInt(db, "PRAGMA application_id");
    if (!appId) return appId.error();
    auto version = pragmaInt(db, "PRAGMA user_version");
    if (!version) return version.error();
    if (auto ok = checkOwnership(db, *appId, *version); !ok) return ok.error();
    const auto latest = static_cast<std::int64_t>(steps.size());
    if (*version > latest)
        return makeError(StoreError::newer_schema,
                         "the database has schema version " + std::to_string(*version) +
                             " but this build knows only up to " + std::to_string(latest) +
                             "; it was written by a newer PayTorrent, which it still needs");
    if (*version < 0) return makeError(StoreError::corrupt, "negative schema version");

    for (auto i = static_cast<std::size_t>(*version); i < steps.size(); ++i) {
        const Migration& m = steps[i];
        const std::string what = "schema migration to version " + std::to_string(m.version) + " (" + m.description + ")";
        if (auto ok = sqlite::exec(db, m.sql, what); !ok)
            return makeError(StoreError::migration_failed, ok.error().message);
        const std::string setVersion = "PRAGMA user_version = " + std::to_string(m.version);
        if (auto ok = sqlite::exec(db, setVersion.c_str(), what); !ok)
            return makeError(StoreError::migration_failed, ok.error().message);
    }
    // A step that rebuilt a table must not have left dangling references.
    auto fk = sqlite::Statement::prepare(db, "PRAGMA foreign_key_check");
    if (!fk) return fk.error();
    auto dangling = fk->step("foreign key check after migration");
    if (!dangling) return dangling.error();
    if (*dangling) return makeError(StoreError::migration_failed, "migration left rows with dangling foreign keys");
    return {};
}

} // namespace

std::span<const Migration> schemaMigrations() noexcept { return migrations; }
int latestSchemaVersion() noexcept { return static_cast<int>(std::size(migrations)); }

Result<int> schemaVersion(sqlite3* db)
{
    auto v = pragmaInt(db, "PRAGMA user_version");
    if (!v) return v.error();
    return static_cast<int>(*v);
}

Status migrate(sqlite3* db, std::span<const Migration> steps)
{
    checkSteps(steps);
    // Nothing to do (the common case) is decided without taking the write lock.
    auto appId = pragmaInt(db, "PRAGMA application_id");
    if (!appId) return appId.error();
    auto version = pragmaInt(db, "PRAGMA user_version");
    if (!version) return version.error();
    if (*appId == store_application_id && *version == static_cast<std::int64_t>(steps.size())) return {};

    if (auto ok = sqlite::exec(db, "BEGIN IMMEDIATE", "cannot start the schema migration"); !ok) return ok.error();
    auto applied = applyPending(db, steps);
    if (!applied) {
        (void)sqlite::exec(db, "ROLLBACK", "rollback of a failed migration");
        return applied.error();
    }
    if (auto ok = sqlite::exec(db, "COMMIT", "cannot commit the schema migration"); !ok) {
        if (!sqlite3_get_autocommit(db)) (void)sqlite::exec(db, "ROLLBACK", "rollback of a failed migration");
        return ok.error();
    }
    return {};
}

} // namespace pt::store
