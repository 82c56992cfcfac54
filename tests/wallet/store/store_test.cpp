#include "wallet/store/store.hpp"

#include "raw_db.hpp"
#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "wallet/store/schema.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

namespace pt::store {
namespace {

using fixtures::makeChannel;
using fixtures::TestChannel;

void expectCode(const Status& s, StoreError e)
{
    ASSERT_FALSE(s.ok()) << "expected " << make_error_code(e).message();
    EXPECT_EQ(s.error().code, make_error_code(e)) << s.error().describe();
    EXPECT_FALSE(s.error().message.empty());
}

template <class T>
void expectCode(const Result<T>& r, StoreError e)
{
    ASSERT_FALSE(r.ok()) << "expected " << make_error_code(e).message();
    EXPECT_EQ(r.error().code, make_error_code(e)) << r.error().describe();
    EXPECT_FALSE(r.error().message.empty());
}

void expectSameSignedState(const nitro::SignedState& a, const nitro::SignedState& b)
{
    EXPECT_EQ(a.state, b.state);
    ASSERT_EQ(a.signatures.size(), b.signatures.size());
    for (std::size_t i = 0; i < a.signatures.size(); ++i) EXPECT_EQ(a.signatures[i], b.signatures[i]) << "signature " << i;
}

PaymentRecord payment(const TestChannel& ch, std::uint64_t turn, Wei amount,
                      PaymentDirection dir = PaymentDirection::sent)
{
    PaymentRecord p;
    p.channelId = ch.id;
    p.turnNum = turn;
    p.amount = amount;
    p.direction = dir;
    p.timeMs = 1'700'000'000'000 + static_cast<std::int64_t>(turn);
    return p;
}

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override { reopen(); }

    void reopen()
    {
        store_.reset();
        Store::Options options;
        options.clockMs = [this] { return clock_; };
        auto s = Store::open(path(), options);
        ASSERT_TRUE(s.ok()) << s.error().describe();
        store_.emplace(std::move(*s));
    }
    std::filesystem::path path() const { return dir_ / "wallet.db"; }
    Store& store() { return *store_; }

    // Stores `ch` (as the payer) and its states 0..turns, each paying 10 wei more.
    void seed(const TestChannel& ch, std::uint64_t turns)
    {
        ASSERT_TRUE(store().putChannel(ch.record(ChannelRole::payer)).ok());
        for (std::uint64_t t = 0; t <= turns; ++t) {
            auto ok = store().appendSignedState(ch.id, ch.signedAt(t, Wei(10 * t)));
            ASSERT_TRUE(ok.ok()) << ok.error().describe();
        }
    }

    pt::test::TempDir dir_{"pt-store-test"};
    std::int64_t clock_ = 1'000;
    std::optional<Store> store_;
};

// --- opening ------------------------------------------------------------------------------

TEST_F(StoreTest, OpensInWalModeAtTheLatestSchema)
{
    auto v = store().schemaVersion();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, latestSchemaVersion());
    EXPECT_TRUE(store().integrityCheck().ok());
    test::RawDb raw(path());
    EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.integer("PRAGMA application_id"), store_application_id);
    EXPECT_EQ(raw.integer("PRAGMA user_version"), latestSchemaVersion());
}

TEST_F(StoreTest, RefusesFilesThatAreNotAWalletDatabase)
{
    {
        std::ofstream junk(dir_ / "junk.db", std::ios::binary);
        junk << std::string(4096, 'x');
    }
    expectCode(Store::open(dir_ / "junk.db"), StoreError::corrupt);
    expectCode(Store::open(dir_.path()), StoreError::open_failed);
    expectCode(Store::open(dir_ / "no" / "such" / "dir" / "w.db"), StoreError::open_failed);
    {
        test::RawDb other(dir_ / "other.db");
        other.exec("CREATE TABLE t (x INTEGER)");
    }
    auto foreign = Store::open(dir_ / "other.db");
    expectCode(foreign, StoreError::open_failed);
    EXPECT_NE(foreign.error().message.find("another program"), std::string::npos);
}

// --- channels -----------------------------------------------------------------------------

TEST_F(StoreTest, ChannelsRoundTrip)
{
    const TestChannel a = makeChannel("a");
    const TestChannel b = makeChannel("b", 7);
    ASSERT_TRUE(store().putChannel(a.record(ChannelRole::payer, ChannelStatus::proposed)).ok());
    clock_ = 2'000;
    ASSERT_TRUE(store().putChannel(b.record(ChannelRole::beneficiary)).ok());

    auto got = store().getChannel(a.id);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value());
    ChannelRecord expected = a.record(ChannelRole::payer, ChannelStatus::proposed);
    expected.createdMs = expected.updatedMs = 1'000;
    EXPECT_EQ(**got, expected);

    auto all = store().listChannels();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].id, a.id);
    EXPECT_EQ((*all)[1].id, b.id);
    EXPECT_EQ((*all)[1].role, ChannelRole::beneficiary);
    EXPECT_EQ((*all)[1].counterparty, b.payer.address());
    EXPECT_EQ((*all)[1].fixed, b.fixed);

    auto none = store().getChannel(makeChannel("unknown").id);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
}

TEST_F(StoreTest, PutChannelAgainUpdatesOnlyTheStatus)
{
    const TestChannel a = makeChannel("a");
    ASSERT_TRUE(store().putChannel(a.record(ChannelRole::payer, ChannelStatus::proposed)).ok());
    clock_ = 5'000;
    ASSERT_TRUE(store().putChannel(a.record(ChannelRole::payer, ChannelStatus::open)).ok());
    auto got = store().getChannel(a.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->status, ChannelStatus::open);
    EXPECT_EQ((*got)->createdMs, 1'000);
    EXPECT_EQ((*got)->updatedMs, 5'000);

    expectCode(store().putChannel(a.record(ChannelRole::beneficiary)), StoreError::constraint);
    clock_ = 6'000;
    ASSERT_TRUE(store().setChannelStatus(a.id, ChannelStatus::closed).ok());
    got = store().getChannel(a.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->status, ChannelStatus::closed);
    EXPECT_EQ((*got)->role, ChannelRole::payer);
    EXPECT_EQ((*got)->updatedMs, 6'000);
    expectCode(store().setChannelStatus(makeChannel("nope").id, ChannelStatus::open), StoreError::not_found);
}

TEST_F(StoreTest, PutChannelRefusesInconsistentRecords)
{
    const TestChannel a = makeChannel("a");
    ChannelRecord wrongId = a.record(ChannelRole::payer);
    wrongId.id = makeChannel("b").id;
    expectCode(store().putChannel(wrongId), StoreError::invalid_record);

    ChannelRecord wrongCounterparty = a.record(ChannelRole::payer);
    wrongCounterparty.counterparty = a.payer.address(); // ourselves
    expectCode(store().putChannel(wrongCounterparty), StoreError::invalid_record);

    ChannelRecord three = a.record(ChannelRole::payer);
    three.fixed.participants.push_back(a.payer.address());
    three.id = nitro::channelId(three.fixed);
    expectCode(store().putChannel(three), StoreError::invalid_record);

    ChannelRecord bigNonce = a.record(ChannelRole::payer);
    bigNonce.fixed.channelNonce = nitro::max_uint48 + 1;
    bigNonce.id = nitro::channelId(bigNonce.fixed);
    expectCode(store().putChannel(bigNonce), StoreError::invalid_record);

    auto all = store().listChannels();
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(all->empty());
}

// --- signed states ------------------------------------------------------------------------

TEST_F(StoreTest, SignedStatesRoundTrip)
{
    const TestChannel ch = makeChannel("a");
    ASSERT_TRUE(store().putChannel(ch.record(ChannelRole::payer)).ok());
    auto empty = store().latestState(ch.id);
    ASSERT_TRUE(empty.ok());
    EXPECT_FALSE(empty->has_value());

    nitro::SignedState s0 = ch.signedAt(0, Wei(0));
    nitro::SignedState s1 = ch.signedAt(1, Wei(U256("123456789012345678")), /*both=*/false);
    s1.state.appData = {1, 2, 3};
    s1.signatures[1] = nitro::signState(s1.state, ch.payer);
    ASSERT_TRUE(store().appendSignedState(ch.id, s0).ok());
    ASSERT_TRUE(store().appendSignedState(ch.id, s1).ok());

    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok()) << latest.error().describe();
    ASSERT_TRUE(latest->has_value());
    expectSameSignedState(**latest, s1);
    EXPECT_FALSE((*latest)->signatures[0].has_value());

    auto first = store().stateAt(ch.id, 0);
    ASSERT_TRUE(first.ok() && first->has_value());
    expectSameSignedState(**first, s0);
    // What comes back still verifies: the signatures recover to the participants.
    auto signer = nitro::recoverStateSigner((*first)->state, *(*first)->signatures[0]);
    ASSERT_TRUE(signer.ok());
    EXPECT_EQ(*signer, ch.beneficiary.address());

    auto missing = store().stateAt(ch.id, 9);
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, RefusesTurnsThatAreNotAboveTheLatest)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 0);
    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(5, Wei(50))).ok());
    expectCode(store().appendSignedState(ch.id, ch.signedAt(5, Wei(50))), StoreError::stale_turn);
    expectCode(store().appendSignedState(ch.id, ch.signedAt(5, Wei(60))), StoreError::stale_turn);
    expectCode(store().appendSignedState(ch.id, ch.signedAt(3, Wei(30))), StoreError::stale_turn);
    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(6, Wei(60))).ok());
    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, 6u);
}

TEST_F(StoreTest, RefusesStatesThatDoNotFit)
{
    const TestChannel ch = makeChannel("a");
    const TestChannel other = makeChannel("b");
    expectCode(store().appendSignedState(ch.id, ch.signedAt(0, Wei(0))), StoreError::not_found);
    seed(ch, 0);
    expectCode(store().appendSignedState(ch.id, other.signedAt(1, Wei(0))), StoreError::invalid_record);

    // Same channel id (chain, participants, nonce) but another app or challenge duration:
    // not this channel's state either.
    nitro::SignedState otherApp = ch.signedAt(1, Wei(10));
    otherApp.state.fixed.challengeDuration += 1;
    expectCode(store().appendSignedState(ch.id, otherApp), StoreError::invalid_record);
    expectCode(store().addSignatures(ch.id, otherApp), StoreError::invalid_record);

    nitro::SignedState oneSlot = ch.signedAt(1, Wei(10));
    oneSlot.signatures.resize(1);
    expectCode(store().appendSignedState(ch.id, oneSlot), StoreError::invalid_record);

    nitro::SignedState unsigned_ = ch.signedAt(1, Wei(10));
    unsigned_.signatures = {std::nullopt, std::nullopt};
    expectCode(store().appendSignedState(ch.id, unsigned_), StoreError::invalid_record);

    nitro::SignedState bigTurn = ch.signedAt(1, Wei(10));
    bigTurn.state.turnNum = nitro::max_uint48 + 1;
    expectCode(store().appendSignedState(ch.id, bigTurn), StoreError::invalid_record);

    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, 0u) << "nothing refused was stored";
}

TEST_F(StoreTest, AddsACountersignatureToAStoredState)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 0);
    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(1, Wei(10), /*both=*/false)).ok());
    ASSERT_TRUE(store().addSignatures(ch.id, ch.signedAt(1, Wei(10))).ok());
    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    expectSameSignedState(**latest, ch.signedAt(1, Wei(10)));

    expectCode(store().addSignatures(ch.id, ch.signedAt(1, Wei(11))), StoreError::invalid_record);
    expectCode(store().addSignatures(ch.id, ch.signedAt(2, Wei(20))), StoreError::not_found);
}

// A payer's payments signed ahead and never sent are forgotten; nothing the counterparty
// signed, or that the ledger counts, ever is.
TEST_F(StoreTest, DiscardsOnlyStatesOneParticipantSigned)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 0);
    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(1, Wei(10))).ok());
    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(2, Wei(20), /*both=*/false)).ok());
    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(3, Wei(30), /*both=*/false)).ok());

    expectCode(store().discardUnsharedStates(ch.id, 1), StoreError::constraint);
    auto kept = store().latestState(ch.id);
    ASSERT_TRUE(kept.ok() && kept->has_value());
    EXPECT_EQ((*kept)->state.turnNum, 3u) << "a refused discard removes nothing";

    auto removed = store().discardUnsharedStates(ch.id, 2);
    ASSERT_TRUE(removed.ok()) << removed.error().describe();
    EXPECT_EQ(*removed, 2u);
    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, 1u);
    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(2, Wei(15), /*both=*/false)).ok())
        << "the turn is free again, for another state";
    ASSERT_TRUE(store().integrityCheck().ok());

    removed = store().discardUnsharedStates(ch.id, 9);
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(*removed, 0u) << "nothing from that turn on";

    // A state with a payment row stays, even with one signature.
    ASSERT_TRUE(store().recordPayment(payment(ch, 2, Wei(5))).ok());
    expectCode(store().discardUnsharedStates(ch.id, 2), StoreError::constraint);
}

// With backgroundCheckpoint, the log is copied into the database by the store's own thread
// while the writer goes on; what was written is all there after reopening.
TEST_F(StoreTest, CheckpointsInTheBackground)
{
    const auto hot = dir_ / "hot.db";
    const TestChannel ch = makeChannel("a");
    constexpr std::uint64_t turns = 1500; // several thousand WAL frames
    {
        Store::Options options;
        options.backgroundCheckpoint = true;
        auto opened = Store::open(hot, options);
        ASSERT_TRUE(opened.ok()) << opened.error().describe();
        Store& s = *opened;
        const auto initialSize = std::filesystem::file_size(hot);
        ASSERT_TRUE(s.putChannel(ch.record(ChannelRole::payer)).ok());
        for (std::uint64_t t = 0; t <= turns; ++t) ASSERT_TRUE(s.appendSignedState(ch.id, ch.signedAt(t, Wei(10 * t))).ok());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (s.backgroundCheckpoints() == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        EXPECT_GT(s.backgroundCheckpoints(), 0u);
        EXPECT_GT(std::filesystem::file_size(hot), initialSize + 100 * 1024)
            << "pages were copied into the database while the connection was open";
        EXPECT_EQ(store().backgroundCheckpoints(), 0u) << "off unless asked for";
    }
    auto reopened = Store::open(hot);
    ASSERT_TRUE(reopened.ok());
    auto latest = reopened->latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, turns);
    EXPECT_TRUE(reopened->integrityCheck().ok());
}

// With deferredSync, commitDeferred() leaves the fsync to WalSync; every other commit (a
// Transaction's commit(), a write outside a transaction) still syncs before it returns.
TEST_F(StoreTest, DeferredSyncLeavesTheFsyncToWalSync)
{
    EXPECT_EQ(store().walSync(), nullptr) << "off unless asked for: every commit fsyncs itself";
    const auto hot = dir_ / "deferred.db";
    const TestChannel ch = makeChannel("a");
    {
        Store::Options options;
        options.deferredSync = true;
        auto opened = Store::open(hot, options);
        ASSERT_TRUE(opened.ok()) << opened.error().describe();
        Store& s = *opened;
        const std::shared_ptr<WalSync> wal = s.walSync();
        ASSERT_NE(wal, nullptr);

        std::uint64_t syncs = wal->syncs();
        ASSERT_TRUE(s.putChannel(ch.record(ChannelRole::payer)).ok());
        EXPECT_EQ(wal->syncs(), syncs + 1) << "a write outside a transaction is durable when it returns";

        syncs = wal->syncs();
        {
            auto tx = s.begin();
            ASSERT_TRUE(tx.ok());
            ASSERT_TRUE(s.appendSignedState(ch.id, ch.signedAt(0, Wei(0))).ok());
            ASSERT_TRUE(tx->commit().ok());
        }
        EXPECT_EQ(wal->syncs(), syncs + 1) << "commit() is durable when it returns";

        syncs = wal->syncs();
        for (std::uint64_t t = 1; t <= 3; ++t) {
            auto tx = s.begin();
            ASSERT_TRUE(tx.ok());
            ASSERT_TRUE(s.appendSignedState(ch.id, ch.signedAt(t, Wei(10 * t))).ok());
            ASSERT_TRUE(tx->commitDeferred().ok());
        }
        EXPECT_EQ(wal->syncs(), syncs) << "commitDeferred() does not sync";
        auto latest = s.latestState(ch.id);
        ASSERT_TRUE(latest.ok() && latest->has_value());
        EXPECT_EQ((*latest)->state.turnNum, 3u) << "visible at once";

        // From another thread, as the engine's syncer does; it may outlive the store.
        Status synced = makeError(StoreError::io, "not run");
        std::thread([&] { synced = wal->sync(); }).join();
        EXPECT_TRUE(synced.ok()) << synced.error().describe();
        EXPECT_EQ(wal->syncs(), syncs + 1);
    }
    auto reopened = Store::open(hot);
    ASSERT_TRUE(reopened.ok());
    auto latest = reopened->latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, 3u);
    EXPECT_TRUE(reopened->integrityCheck().ok());
}

// A log that cannot be synced is an error, never a silent success.
TEST_F(StoreTest, WalSyncOfAMissingLogFails)
{
    WalSync wal(dir_ / "nowhere.db-wal");
    auto synced = wal.sync();
    ASSERT_FALSE(synced.ok());
    EXPECT_EQ(synced.error().code, make_error_code(StoreError::io));
    EXPECT_NE(synced.error().message.find("nowhere.db-wal"), std::string::npos) << synced.error().message;
    EXPECT_EQ(wal.syncs(), 0u);
}

// After a failed fsync no later one is trusted: Linux reports a write-back error once and may
// drop the pages it could not write, so a second fsync can succeed over lost commits. The
// log is a symbolic link, first to /dev/null (whose fsync fails with EINVAL), then to a real
// file: WalSync opens the new file, and still refuses.
TEST_F(StoreTest, WalSyncFailsForGoodAfterAFailedFsync)
{
    const auto real = dir_ / "real.db-wal";
    std::ofstream(real) << "frames";
    const auto log = dir_ / "linked.db-wal";
    std::filesystem::create_symlink("/dev/null", log);
    WalSync wal(log);
    auto first = wal.sync();
    ASSERT_FALSE(first.ok());
    EXPECT_NE(first.error().message.find("cannot sync the log"), std::string::npos) << first.error().message;

    std::filesystem::remove(log);
    std::filesystem::create_symlink(real, log);
    EXPECT_TRUE(WalSync(log).sync().ok()) << "the new target syncs";
    auto later = wal.sync();
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(later.error().code, make_error_code(StoreError::io));
    EXPECT_NE(later.error().message.find("an earlier sync of the log failed"), std::string::npos) << later.error().message;
    EXPECT_EQ(wal.syncs(), 0u);
}

// A sync must not read the log's times. Since Linux 6.13, ext4, XFS, Btrfs and tmpfs stamp a
// change with the coarse clock (one tick) unless someone has read the file's times since its
// last change; then the next write takes a fine-grained stamp and dirties the inode, and on
// ext4 without a journal the fdatasync after it writes the inode too: one more disk round
// trip per payment (measured on the development VM: three block requests per sync, not two).
// The probe: a write right after a read of the times takes a fine-grained stamp, before the
// clock reading `after`; then sync(); then a second write within the same tick.
// If sync() read the times, that write takes a new fine-grained stamp, later than `after`;
// if not, it leaves the stamp alone. A tick may fall in between, so it tries several times.
// (With coarse stamps only, before Linux 6.13, the check holds whatever sync() does.)
TEST_F(StoreTest, WalSyncLeavesTheLogsTimesUnread)
{
    const auto log = dir_ / "times.db-wal";
    const int fd = ::open(log.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    WalSync wal(log);
    ASSERT_TRUE(wal.sync().ok()) << "the first sync opens the log";
    const char byte = 'x';
    const auto now = [] {
        timespec t{};
        ::clock_gettime(CLOCK_REALTIME, &t);
        return t;
    };
    const auto earlier = [](const timespec& a, const timespec& b) {
        return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
    };
    int untouched = 0;
    for (int attempt = 0; attempt < 20; ++attempt) {
        struct stat st {};
        ASSERT_EQ(::fstat(fd, &st), 0); // reads the times
        ASSERT_EQ(::pwrite(fd, &byte, 1, 0), 1); // a fine-grained stamp, before `after`
        const timespec after = now();
        ASSERT_TRUE(wal.sync().ok());
        ASSERT_EQ(::pwrite(fd, &byte, 1, 1), 1);
        ASSERT_EQ(::fstat(fd, &st), 0);
        if (earlier(st.st_mtim, after)) ++untouched;
    }
    ::close(fd);
    EXPECT_GT(untouched, 0) << "every write after a sync took a new fine-grained stamp: the sync read the log's times";
    EXPECT_EQ(wal.syncs(), 21u);
}

// Two connections to one file (the engine's and the watchtower's) write at once. A write
// that reads first (appendSignedState checks the latest turn) must wait for the other's lock,
// not fail with "database is locked" because the other committed after its read began.
TEST_F(StoreTest, TwoConnectionsWritingAtOnceWaitForEachOther)
{
    const TestChannel ch = makeChannel("a");
    ASSERT_TRUE(store().putChannel(ch.record(ChannelRole::payer)).ok());
    auto other = Store::open(path());
    ASSERT_TRUE(other.ok()) << other.error().describe();
    std::atomic<bool> done{false};
    std::atomic<int> otherFailures{0};
    std::thread watchtower([&] {
        // Often, as a busy watchtower would, but not in a loop so tight that it starves the
        // other writer past its busy timeout.
        for (std::uint64_t i = 0; !done; ++i) {
            const std::uint8_t b = static_cast<std::uint8_t>(i);
            if (!other->putSetting("cursor", ByteView(&b, 1)).ok()) ++otherFailures;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    std::vector<std::string> failures;
    for (std::uint64_t t = 0; t <= 500; ++t) {
        auto ok = store().appendSignedState(ch.id, ch.signedAt(t, Wei(10 * t)));
        if (!ok) failures.push_back(ok.error().describe());
    }
    done = true;
    watchtower.join();
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed, the first: " << failures.front();
    EXPECT_EQ(otherFailures.load(), 0);
    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, 500u);
}

// --- payments -----------------------------------------------------------------------------

TEST_F(StoreTest, PaymentsRoundTripExactly)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 3);
    const Wei huge(U256(1) << 255);
    std::vector<PaymentRecord> written = {payment(ch, 1, Wei(10)), payment(ch, 2, huge, PaymentDirection::received),
                                          payment(ch, 3, Wei(7))};
    written[0].torrent = "0123456789abcdef0123456789abcdef01234567";
    written[0].peer = "127.0.0.1:6881";
    written[1].bytes = 123'456'789'012;
    for (const auto& p : written) ASSERT_TRUE(store().recordPayment(p).ok());

    auto back = store().payments(ch.id);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, written);

    auto sent = store().paymentTotal(ch.id, PaymentDirection::sent);
    ASSERT_TRUE(sent.ok());
    EXPECT_EQ(*sent, Wei(17));
    auto received = store().paymentTotal(ch.id, PaymentDirection::received);
    ASSERT_TRUE(received.ok());
    EXPECT_EQ(*received, huge);

    auto none = store().payments(makeChannel("b").id);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, RefusesPaymentsWithoutTheirState)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 1);
    ASSERT_TRUE(store().recordPayment(payment(ch, 1, Wei(10))).ok());
    expectCode(store().recordPayment(payment(ch, 1, Wei(10))), StoreError::constraint); // twice
    expectCode(store().recordPayment(payment(ch, 2, Wei(10))), StoreError::constraint); // no state 2
    PaymentRecord longLabel = payment(ch, 0, Wei(1));
    longLabel.peer = std::string(max_payment_label_bytes + 1, 'p');
    expectCode(store().recordPayment(longLabel), StoreError::invalid_record);
    auto back = store().payments(ch.id);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->size(), 1u);
}

// --- settings -----------------------------------------------------------------------------

TEST_F(StoreTest, SettingsRoundTrip)
{
    auto missing = store().getSetting("chain.cursor");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
    ASSERT_TRUE(store().putSetting("chain.cursor", Bytes{0, 0, 1}).ok());
    ASSERT_TRUE(store().putSetting("chain.cursor", Bytes{0, 0, 2}).ok());
    ASSERT_TRUE(store().putSetting("empty", Bytes{}).ok());
    auto got = store().getSetting("chain.cursor");
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ(**got, (Bytes{0, 0, 2}));
    auto empty = store().getSetting("empty");
    ASSERT_TRUE(empty.ok() && empty->has_value());
    EXPECT_TRUE((*empty)->empty());
    expectCode(store().putSetting("", Bytes{1}), StoreError::invalid_record);
    expectCode(store().putSetting(std::string(max_setting_key_bytes + 1, 'k'), Bytes{1}), StoreError::invalid_record);
}

// --- transactions and persistence ---------------------------------------------------------

TEST_F(StoreTest, TransactionCommitsAllOrNothing)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 0);
    {
        auto tx = store().begin();
        ASSERT_TRUE(tx.ok());
        ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(1, Wei(10))).ok());
        ASSERT_TRUE(store().recordPayment(payment(ch, 1, Wei(10))).ok());
        expectCode(store().begin(), StoreError::nested_transaction);
        // dropped without commit: rolled back
    }
    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, 0u);

    auto tx = store().begin();
    ASSERT_TRUE(tx.ok());
    for (std::uint64_t t = 1; t <= 20; ++t) {
        ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(t, Wei(10 * t))).ok());
        ASSERT_TRUE(store().recordPayment(payment(ch, t, Wei(10))).ok());
    }
    // A refused write inside the batch is undone alone; the batch goes on.
    expectCode(store().appendSignedState(ch.id, ch.signedAt(20, Wei(200))), StoreError::stale_turn);
    expectCode(store().recordPayment(payment(ch, 20, Wei(10))), StoreError::constraint);
    ASSERT_TRUE(tx->commit().ok());
    EXPECT_FALSE(tx->active());
    expectCode(tx->commit(), StoreError::io);

    reopen();
    auto back = store().payments(ch.id);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->size(), 20u);
    latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->state.turnNum, 20u);
    EXPECT_TRUE(store().integrityCheck().ok());
}

TEST_F(StoreTest, ExplicitRollbackDiscards)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 0);
    auto tx = store().begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(store().putSetting("k", Bytes{1}).ok());
    tx->rollback();
    EXPECT_FALSE(tx->active());
    auto got = store().getSetting("k");
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value());
    EXPECT_TRUE(store().begin().ok()) << "a new transaction can start after a rollback";
}

TEST_F(StoreTest, EverythingSurvivesReopening)
{
    const TestChannel ch = makeChannel("a");
    seed(ch, 2);
    ASSERT_TRUE(store().recordPayment(payment(ch, 2, Wei(20))).ok());
    ASSERT_TRUE(store().putSetting("x", Bytes{9}).ok());
    reopen();
    auto c = store().getChannel(ch.id);
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->fixed, ch.fixed);
    auto latest = store().latestState(ch.id);
    ASSERT_TRUE(latest.ok() && latest->has_value());
    expectSameSignedState(**latest, ch.signedAt(2, Wei(20)));
    auto p = store().payments(ch.id);
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->size(), 1u);
    EXPECT_EQ((*p)[0], payment(ch, 2, Wei(20)));
    auto x = store().getSetting("x");
    ASSERT_TRUE(x.ok() && x->has_value());
}

// --- damaged files ------------------------------------------------------------------------

// Rows damaged behind the store's back (another program, a bad disk) are reported as
// corrupt, never trusted and never a crash. The raw connection ignores CHECK constraints to
// write what the schema would refuse.
class DamagedStoreTest : public StoreTest {
protected:
    void damage(const std::string& sql, const std::vector<std::uint8_t>& blob = {})
    {
        store_.reset();
        {
            test::RawDb raw(path());
            raw.exec("PRAGMA ignore_check_constraints = ON");
            if (blob.empty()) raw.exec(sql);
            else raw.execWithBlob(sql, blob);
        }
        reopen();
    }
    TestChannel ch = makeChannel("a");
};

TEST_F(DamagedStoreTest, WrongSizedStateHash)
{
    seed(ch, 1);
    damage("UPDATE signed_states SET state_hash = ?1 WHERE turn_num = 1", std::vector<std::uint8_t>(31, 1));
    expectCode(store().latestState(ch.id), StoreError::corrupt);
    auto other = store().stateAt(ch.id, 0);
    EXPECT_TRUE(other.ok()) << "undamaged rows still read";
}

TEST_F(DamagedStoreTest, StateThatNoLongerMatchesItsHash)
{
    seed(ch, 1);
    damage("UPDATE signed_states SET app_data = ?1 WHERE turn_num = 1", {0xde, 0xad});
    expectCode(store().latestState(ch.id), StoreError::corrupt);
}

TEST_F(DamagedStoreTest, UndecodableOutcome)
{
    seed(ch, 1);
    damage("UPDATE signed_states SET outcome = ?1 WHERE turn_num = 1", {1, 2, 3});
    expectCode(store().latestState(ch.id), StoreError::corrupt);
}

TEST_F(DamagedStoreTest, BadSignatureBytes)
{
    seed(ch, 1);
    std::vector<std::uint8_t> sig(65, 0x11);
    sig[64] = 42; // v is 27 or 28
    damage("UPDATE state_signatures SET signature = ?1 WHERE turn_num = 1 AND participant = 0", sig);
    expectCode(store().latestState(ch.id), StoreError::corrupt);
}

TEST_F(DamagedStoreTest, UnknownEnumTexts)
{
    seed(ch, 1);
    ASSERT_TRUE(store().recordPayment(payment(ch, 1, Wei(1))).ok());
    damage("UPDATE payments SET direction = 'sideways'");
    expectCode(store().payments(ch.id), StoreError::corrupt);
    damage("UPDATE channels SET status = 'exploded'");
    expectCode(store().getChannel(ch.id), StoreError::corrupt);
    expectCode(store().listChannels(), StoreError::corrupt);
}

TEST_F(DamagedStoreTest, WrongSizedAmountAndParticipants)
{
    seed(ch, 1);
    ASSERT_TRUE(store().recordPayment(payment(ch, 1, Wei(1))).ok());
    damage("UPDATE payments SET amount = ?1", std::vector<std::uint8_t>(8, 1));
    expectCode(store().payments(ch.id), StoreError::corrupt);
    expectCode(store().paymentTotal(ch.id, PaymentDirection::sent), StoreError::corrupt);
    damage("UPDATE channels SET participants = ?1", std::vector<std::uint8_t>(60, 1));
    expectCode(store().getChannel(ch.id), StoreError::corrupt);
}

TEST_F(DamagedStoreTest, IntegrityCheckFindsDanglingRows)
{
    seed(ch, 1);
    store_.reset();
    {
        test::RawDb raw(path());
        raw.exec("PRAGMA foreign_keys = OFF");
        raw.exec("DELETE FROM signed_states WHERE turn_num = 1");
    }
    reopen();
    auto check = store().integrityCheck();
    expectCode(check, StoreError::corrupt);
}

} // namespace
} // namespace pt::store
