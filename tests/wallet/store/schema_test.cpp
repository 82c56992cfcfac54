#include "wallet/store/schema.hpp"

#include "raw_db.hpp"
#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "wallet/store/store.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace pt::store {
namespace {

bool hasTable(test::RawDb& db, const std::string& name)
{
    return db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" + name + "'") == 1;
}

std::span<const Migration> firstSteps(int n) { return schemaMigrations().first(static_cast<std::size_t>(n)); }

class SchemaTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir_ / "wallet.db"; }
    pt::test::TempDir dir_{"pt-schema-test"};
};

TEST_F(SchemaTest, StepsAreNumberedInOrder)
{
    ASSERT_GE(latestSchemaVersion(), 2);
    const auto steps = schemaMigrations();
    ASSERT_EQ(steps.size(), static_cast<std::size_t>(latestSchemaVersion()));
    for (std::size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i].version, static_cast<int>(i) + 1);
}

TEST_F(SchemaTest, FreshDatabaseGetsEveryStep)
{
    test::RawDb db(path());
    ASSERT_TRUE(migrate(db.get(), schemaMigrations()).ok());
    EXPECT_EQ(db.integer("PRAGMA user_version"), latestSchemaVersion());
    EXPECT_EQ(db.integer("PRAGMA application_id"), store_application_id);
    for (const char* t : {"channels", "signed_states", "state_signatures", "payments", "settings"})
        EXPECT_TRUE(hasTable(db, t)) << t;
    // Migrating again is a no-op.
    ASSERT_TRUE(migrate(db.get(), schemaMigrations()).ok());
    EXPECT_EQ(db.integer("PRAGMA user_version"), latestSchemaVersion());
}

TEST_F(SchemaTest, OpensAVersion1DatabaseAndMigratesItKeepingItsRows)
{
    const auto ch = fixtures::makeChannel("old");
    {
        test::RawDb db(path());
        ASSERT_TRUE(migrate(db.get(), firstSteps(1)).ok());
        ASSERT_EQ(db.integer("PRAGMA user_version"), 1);
        ASSERT_FALSE(hasTable(db, "settings"));
        // A channel as version 1 stored it, written with plain SQL.
        Bytes parts;
        for (const auto& a : ch.fixed.participants) parts.insert(parts.end(), a.bytes.begin(), a.bytes.end());
        db.execWithBlob("INSERT INTO channels VALUES (X'" + ch.id.hex(false) + "', X'" +
                            toWord(ch.fixed.chainId).hex(false) + "', ?1, 1, X'" + Address().hex(false) +
                            "', 86400, 'payer', X'" + ch.beneficiary.address().hex(false) + "', 'open', 5, 6)",
                        parts);
    }
    auto store = Store::open(path());
    ASSERT_TRUE(store.ok()) << store.error().describe();
    auto v = store->schemaVersion();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, latestSchemaVersion());
    auto c = store->getChannel(ch.id);
    ASSERT_TRUE(c.ok()) << c.error().describe();
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->fixed, ch.fixed);
    EXPECT_EQ((*c)->role, ChannelRole::payer);
    EXPECT_EQ((*c)->createdMs, 5);
    // What version 2 added works on the migrated file.
    ASSERT_TRUE(store->putSetting("chain.cursor", Bytes{1}).ok());
    EXPECT_TRUE(store->integrityCheck().ok());
}

TEST_F(SchemaTest, OpensAVersion2DatabaseWithPaymentsAndKeepsThemWithZeroBytes)
{
    const auto ch = fixtures::makeChannel("v2");
    const std::string torrent = "0123456789abcdef0123456789abcdef01234567";
    {
        // A version-2 file, its rows as version 2 stored them, written with plain SQL (today's
        // store would migrate the file before writing).
        test::RawDb db(path());
        ASSERT_TRUE(migrate(db.get(), firstSteps(2)).ok());
        ASSERT_EQ(db.integer("PRAGMA user_version"), 2);
        ASSERT_EQ(db.integer("SELECT count(*) FROM pragma_table_info('payments') WHERE name = 'bytes'"), 0);
        Bytes parts;
        for (const auto& a : ch.fixed.participants) parts.insert(parts.end(), a.bytes.begin(), a.bytes.end());
        db.execWithBlob("INSERT INTO channels VALUES (X'" + ch.id.hex(false) + "', X'" +
                            toWord(ch.fixed.chainId).hex(false) + "', ?1, 1, X'" + Address().hex(false) +
                            "', 86400, 'beneficiary', X'" + ch.payer.address().hex(false) + "', 'open', 5, 6)",
                        parts);
        for (int turn = 1; turn <= 2; ++turn) {
            db.exec("INSERT INTO signed_states VALUES (X'" + ch.id.hex(false) + "', " + std::to_string(turn) +
                    ", 0, X'', X'00', X'" + Hash32{}.hex(false) + "')");
            const Bytes32 amount = toWord(U256(1000 * turn));
            db.exec("INSERT INTO payments (channel_id, turn_num, amount, direction, torrent, peer, time_ms) VALUES (X'" +
                    ch.id.hex(false) + "', " + std::to_string(turn) + ", X'" + amount.hex(false) +
                    "', 'received', '" + torrent + "', '10.0.0.9:1', " + std::to_string(7000 + turn) + ")");
        }
        ASSERT_EQ(db.integer("SELECT count(*) FROM payments"), 2);
    }
    auto store = Store::open(path());
    ASSERT_TRUE(store.ok()) << store.error().describe();
    EXPECT_EQ(*store->schemaVersion(), latestSchemaVersion());
    auto rows = store->payments(ch.id);
    ASSERT_TRUE(rows.ok()) << rows.error().describe();
    ASSERT_EQ(rows->size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ((*rows)[i].turnNum, i + 1);
        EXPECT_EQ((*rows)[i].amount, Wei(1000 * (i + 1)));
        EXPECT_EQ((*rows)[i].direction, PaymentDirection::received);
        EXPECT_EQ((*rows)[i].torrent, torrent);
        EXPECT_EQ((*rows)[i].timeMs, static_cast<std::int64_t>(7001 + i));
        EXPECT_EQ((*rows)[i].bytes, 0u) << "payments of before version 3 carry no byte count";
    }
    auto ledger = store->ledger(torrent);
    ASSERT_TRUE(ledger.ok()) << ledger.error().describe();
    ASSERT_EQ(ledger->size(), 1u);
    EXPECT_EQ((*ledger)[0].earned, Wei(3000));
    EXPECT_EQ((*ledger)[0].bytesServed, 0u);
    // The new column's rule holds on the migrated table.
    {
        test::RawDb db(path());
        sqlite3_stmt* s = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db.get(), "UPDATE payments SET bytes = -1", -1, &s, nullptr), SQLITE_OK);
        EXPECT_EQ(sqlite3_step(s), SQLITE_CONSTRAINT);
        sqlite3_finalize(s);
    }
}

TEST_F(SchemaTest, RefusesADatabaseOfANewerVersion)
{
    {
        test::RawDb db(path());
        ASSERT_TRUE(migrate(db.get(), schemaMigrations()).ok());
        db.exec("PRAGMA user_version = " + std::to_string(latestSchemaVersion() + 1));
    }
    auto store = Store::open(path());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, make_error_code(StoreError::newer_schema));
    EXPECT_NE(store.error().message.find(std::to_string(latestSchemaVersion() + 1)), std::string::npos)
        << store.error().message;
    test::RawDb db(path());
    EXPECT_EQ(db.integer("PRAGMA user_version"), latestSchemaVersion() + 1) << "the file is left alone";
}

TEST_F(SchemaTest, AFailingStepChangesNothing)
{
    const std::vector<Migration> broken = {
        schemaMigrations()[0],
        {2, "a step that fails half-way", "CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);"},
    };
    {
        test::RawDb db(path());
        auto r = migrate(db.get(), broken);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, make_error_code(StoreError::migration_failed));
        EXPECT_NE(r.error().message.find("a step that fails half-way"), std::string::npos) << r.error().message;
        // From 0, nothing of step 1 stays either: all pending steps are one transaction.
        EXPECT_EQ(db.integer("PRAGMA user_version"), 0);
        EXPECT_FALSE(hasTable(db, "channels"));
        EXPECT_FALSE(hasTable(db, "half"));

        ASSERT_TRUE(migrate(db.get(), firstSteps(1)).ok());
        r = migrate(db.get(), broken);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(db.integer("PRAGMA user_version"), 1);
        EXPECT_TRUE(hasTable(db, "channels"));
        EXPECT_FALSE(hasTable(db, "half"));
    }
    // The real migrations still apply afterwards.
    auto store = Store::open(path());
    ASSERT_TRUE(store.ok()) << store.error().describe();
}

TEST_F(SchemaTest, RefusesAnotherProgramsDatabase)
{
    {
        test::RawDb db(path());
        db.exec("PRAGMA application_id = 42");
        db.exec("PRAGMA user_version = 1");
    }
    auto store = Store::open(path());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, make_error_code(StoreError::open_failed));
    test::RawDb db(path());
    EXPECT_FALSE(hasTable(db, "channels"));
}

TEST_F(SchemaTest, MisnumberedStepsAreAProgrammingError)
{
    test::RawDb db(path());
    const std::vector<Migration> gap = {schemaMigrations()[0], {3, "skips 2", "SELECT 1"}};
    EXPECT_THROW((void)migrate(db.get(), gap), std::logic_error);
}

} // namespace
} // namespace pt::store
