// A thin RAII layer over the SQLite C API for the store: prepared statements that reset
// themselves, and SQLite result codes turned into StoreError. Private to wallet/store (the
// store's public header does not include it, and sqlite3.h is only seen by its .cpp files).
#pragma once

#include "wallet/common/bytes.hpp"
#include "wallet/store/store_error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace pt::store::sqlite {

// The StoreError for SQLite result code `rc` (extended codes are on), with `what` and
// SQLite's own message.
[[nodiscard]] Error toError(sqlite3* db, int rc, std::string_view what);

// Runs one or more SQL statements without results (schema scripts, pragmas, BEGIN/COMMIT).
[[nodiscard]] Status exec(sqlite3* db, const char* sql, std::string_view what);

class Statement {
public:
    Statement() = default;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& o) noexcept;
    Statement& operator=(Statement&& o) noexcept;
    ~Statement();

    // A statement meant to be kept and reused (SQLITE_PREPARE_PERSISTENT).
    [[nodiscard]] static Result<Statement> prepare(sqlite3* db, std::string_view sql);

    // Binding never fails loudly; the first failure (e.g. a value above the length limit) is
    // remembered and returned by the next step()/run().
    void bindBlob(int index, ByteView value);
    void bindInt(int index, std::int64_t value);
    void bindText(int index, std::string_view value);
    void bindNull(int index);

    // One step: true when a row is available, false when the statement is done.
    [[nodiscard]] Result<bool> step(std::string_view what);
    // Steps to the end, for statements that return no rows.
    [[nodiscard]] Status run(std::string_view what);
    // Back to the start with no bindings; ends the statement's implicit read, if any.
    void reset() noexcept;

    [[nodiscard]] int columnType(int index) const noexcept; // SQLITE_INTEGER, SQLITE_BLOB, ...
    [[nodiscard]] bool columnIsNull(int index) const noexcept;
    [[nodiscard]] std::int64_t columnInt(int index) const noexcept;
    [[nodiscard]] ByteView columnBlob(int index) const noexcept;
    [[nodiscard]] std::string_view columnText(int index) const noexcept;

private:
    Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
    void noteBind(int rc, int index) noexcept;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    int bindError_ = 0; // first failing bind's result code (0 = none)
    int bindIndex_ = 0;
};

// Resets a (cached) statement when it leaves scope, on every path, so that no statement is
// left part-way through its rows holding a read snapshot open.
class ResetOnExit {
public:
    explicit ResetOnExit(Statement& s) noexcept : s_(s) {}
    ResetOnExit(const ResetOnExit&) = delete;
    ResetOnExit& operator=(const ResetOnExit&) = delete;
    ~ResetOnExit() { s_.reset(); }

private:
    Statement& s_;
};

} // namespace pt::store::sqlite
