#include "wallet/store/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace pt::store::sqlite {

Error toError(sqlite3* db, int rc, std::string_view what)
{
    StoreError code = StoreError::io;
    switch (rc & 0xff) { // the primary code of an extended one
    case SQLITE_CONSTRAINT: code = StoreError::constraint; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = StoreError::corrupt; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = StoreError::busy; break;
    case SQLITE_CANTOPEN: code = StoreError::open_failed; break;
    default: break;
    }
    // sqlite3_errmsg describes the most recent failure on this connection; sqlite3_errstr
    // is the generic text for the code, used when there is no connection.
    const char* detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return makeError(code, std::string(what) + ": " + (detail ? detail : sqlite3_errstr(rc)));
}

Status exec(sqlite3* db, const char* sql, std::string_view what)
{
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return toError(db, rc, what);
    return {};
}

Statement::Statement(Statement&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), stmt_(std::exchange(o.stmt_, nullptr)),
      bindError_(std::exchange(o.bindError_, 0)), bindIndex_(std::exchange(o.bindIndex_, 0))
{
}

Statement& Statement::operator=(Statement&& o) noexcept
{
    if (this != &o) {
        sqlite3_finalize(stmt_);
        db_ = std::exchange(o.db_, nullptr);
        stmt_ = std::exchange(o.stmt_, nullptr);
        bindError_ = std::exchange(o.bindError_, 0);
        bindIndex_ = std::exchange(o.bindIndex_, 0);
    }
    return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql)
{
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return toError(db, rc, "cannot prepare a statement");
    }
    return Statement(db, stmt);
}

void Statement::noteBind(int rc, int index) noexcept
{
    if (rc != SQLITE_OK && bindError_ == 0) {
        bindError_ = rc;
        bindIndex_ = index;
    }
}

void Statement::bindBlob(int index, ByteView value)
{
    // A zero-length blob must still be a blob, not NULL: bind a non-null pointer.
    static const std::uint8_t empty = 0;
    noteBind(sqlite3_bind_blob64(stmt_, index, value.empty() ? &empty : value.data(), value.size(), SQLITE_TRANSIENT),
             index);
}

void Statement::bindInt(int index, std::int64_t value) { noteBind(sqlite3_bind_int64(stmt_, index, value), index); }

void Statement::bindText(int index, std::string_view value)
{
    noteBind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

void Statement::bindNull(int index) { noteBind(sqlite3_bind_null(stmt_, index), index); }

Result<bool> Statement::step(std::string_view what)
{
    if (bindError_ != 0)
        return makeError(bindError_ == SQLITE_TOOBIG ? StoreError::invalid_record : StoreError::io,
                         std::string(what) + ": cannot bind parameter " + std::to_string(bindIndex_) + ": " +
                             sqlite3_errstr(bindError_));
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return toError(db_, rc, what);
}

Status Statement::run(std::string_view what)
{
    for (;;) {
        auto more = step(what);
        if (!more) return more.error();
        if (!*more) return {};
    }
}

void Statement::reset() noexcept
{
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bindError_ = 0;
    bindIndex_ = 0;
}

int Statement::columnType(int index) const noexcept { return sqlite3_column_type(stmt_, index); }
bool Statement::columnIsNull(int index) const noexcept { return columnType(index) == SQLITE_NULL; }
std::int64_t Statement::columnInt(int index) const noexcept { return sqlite3_column_int64(stmt_, index); }

ByteView Statement::columnBlob(int index) const noexcept
{
    const void* p = sqlite3_column_blob(stmt_, index);
    const int n = sqlite3_column_bytes(stmt_, index);
    if (!p || n <= 0) return {};
    return {static_cast<const std::uint8_t*>(p), static_cast<std::size_t>(n)};
}

std::string_view Statement::columnText(int index) const noexcept
{
    const unsigned char* p = sqlite3_column_text(stmt_, index);
    const int n = sqlite3_column_bytes(stmt_, index);
    if (!p || n <= 0) return {};
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

} // namespace pt::store::sqlite
