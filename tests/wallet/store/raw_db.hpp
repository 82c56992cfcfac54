// Direct SQLite access for the store tests: to build old-version databases, to damage rows
// the way a bad disk or another program might, and to look at pragmas.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pt::store::test {

class RawDb {
public:
    explicit RawDb(const std::filesystem::path& path)
    {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "cannot open " << path;
    }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;
    ~RawDb() { sqlite3_close(db_); }

    [[nodiscard]] sqlite3* get() const noexcept { return db_; }

    void exec(const std::string& sql)
    {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) ADD_FAILURE() << sql << ": " << (err ? err : "");
        sqlite3_free(err);
    }

    // The first column of the first row, as text ("" when there is no row).
    std::string text(const std::string& sql)
    {
        sqlite3_stmt* s = nullptr;
        std::string out;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
            return out;
        }
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        return out;
    }
    std::int64_t integer(const std::string& sql) { return std::stoll(text(sql).empty() ? "0" : text(sql)); }

    // Runs `sql` with one blob parameter (?1).
    void execWithBlob(const std::string& sql, const std::vector<std::uint8_t>& blob)
    {
        sqlite3_stmt* s = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
        sqlite3_bind_blob(s, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
        EXPECT_EQ(sqlite3_step(s), SQLITE_DONE) << sql << ": " << sqlite3_errmsg(db_);
        sqlite3_finalize(s);
    }

private:
    sqlite3* db_ = nullptr;
};

} // namespace pt::store::test
