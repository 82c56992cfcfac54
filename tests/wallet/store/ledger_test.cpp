// The ledger: LedgerBuilder's grouping and sums (pure), and Store::ledger on a real file
// with several torrents, peers and channels in both directions, amounts beyond 64 bits,
// the torrent filter, unlabelled payments, and damaged rows.
#include "wallet/store/ledger.hpp"

#include "raw_db.hpp"
#include "store_fixtures.hpp"
#include "support/temp_dir.hpp"
#include "wallet/store/store.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace pt::store {
namespace {

using fixtures::makeChannel;
using fixtures::TestChannel;

const std::string kTorrentA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kTorrentB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// 2^64 + x: amounts a 64-bit sum would wrap.
Wei big(std::uint64_t x) { return Wei((U256(1) << 64) + U256(x)); }

nitro::ChannelId idOf(std::uint8_t b)
{
    nitro::ChannelId id;
    id.bytes.fill(b);
    return id;
}

LedgerRow row(std::uint8_t channel, const std::string& torrent, const std::string& peer, PaymentDirection dir,
              const Wei& amount, std::uint64_t bytes)
{
    return LedgerRow{idOf(channel), torrent, peer, dir, amount, bytes};
}

const LedgerTorrent* findTorrent(const std::vector<LedgerTorrent>& l, const std::string& t)
{
    for (const auto& x : l)
        if (x.torrent == t) return &x;
    return nullptr;
}

const LedgerPeer* findPeer(const LedgerTorrent& t, const std::string& p)
{
    for (const auto& x : t.peers)
        if (x.peer == p) return &x;
    return nullptr;
}

// --- LedgerBuilder ------------------------------------------------------------------------

TEST(LedgerBuilder, GroupsByTorrentPeerAndChannelAndSumsExactly)
{
    LedgerBuilder b;
    using D = PaymentDirection;
    // Torrent A, peer p1: channel 1 earns (three payments, bytes a running count, rows out of
    // order), channel 2 pays to the same peer. Peer p2: channel 3 earns.
    ASSERT_TRUE(b.add(row(1, kTorrentA, "p1", D::received, big(5), 100)).ok());
    ASSERT_TRUE(b.add(row(1, kTorrentA, "p1", D::received, big(7), 300)).ok());
    ASSERT_TRUE(b.add(row(1, kTorrentA, "p1", D::received, Wei(11), 200)).ok());
    ASSERT_TRUE(b.add(row(2, kTorrentA, "p1", D::sent, Wei(40), 4096)).ok());
    ASSERT_TRUE(b.add(row(3, kTorrentA, "p2", D::received, Wei(1), 50)).ok());
    // Torrent B: one channel paying.
    ASSERT_TRUE(b.add(row(4, kTorrentB, "p1", D::sent, big(0), 1 << 20)).ok());
    auto l = b.finish();
    ASSERT_TRUE(l.ok()) << l.error().describe();
    ASSERT_EQ(l->size(), 2u);
    EXPECT_EQ((*l)[0].torrent, kTorrentA) << "ordered by label";

    const LedgerTorrent& a = (*l)[0];
    EXPECT_EQ(a.channelCount, 3u);
    EXPECT_EQ(a.bytesServed, 300u + 50u); // the largest count per channel, summed over channels
    EXPECT_EQ(a.bytesReceived, 4096u);
    EXPECT_EQ(a.earned, Wei((U256(1) << 65) + U256(5 + 7 + 11 + 1)));
    EXPECT_EQ(a.paid, Wei(40));
    ASSERT_EQ(a.peers.size(), 2u);
    const LedgerPeer* p1 = findPeer(a, "p1");
    ASSERT_NE(p1, nullptr);
    EXPECT_EQ(p1->bytesServed, 300u);
    EXPECT_EQ(p1->bytesReceived, 4096u);
    EXPECT_EQ(p1->earned, Wei((U256(1) << 65) + U256(23)));
    EXPECT_EQ(p1->paid, Wei(40));
    ASSERT_EQ(p1->channels.size(), 2u);
    EXPECT_EQ(p1->channels[0].id, idOf(1));
    EXPECT_EQ(p1->channels[0].payments, 3u);
    EXPECT_EQ(p1->channels[0].bytesReceived, 0u);
    EXPECT_EQ(p1->channels[1].id, idOf(2));
    EXPECT_EQ(p1->channels[1].earned, Wei());

    const LedgerTorrent& tb = (*l)[1];
    EXPECT_EQ(tb.torrent, kTorrentB);
    EXPECT_EQ(tb.paid, big(0));
    EXPECT_EQ(tb.earned, Wei());
    EXPECT_EQ(tb.bytesReceived, 1u << 20);
    EXPECT_EQ(tb.channelCount, 1u);
}

TEST(LedgerBuilder, EmptyIsEmpty)
{
    LedgerBuilder b;
    auto l = b.finish();
    ASSERT_TRUE(l.ok());
    EXPECT_TRUE(l->empty());
}

TEST(LedgerBuilder, OverflowingSumsAreCorruptNotWrapped)
{
    const Wei max(std::numeric_limits<U256>::max());
    {
        LedgerBuilder b;
        ASSERT_TRUE(b.add(row(1, kTorrentA, "p", PaymentDirection::sent, max, 0)).ok());
        auto r = b.add(row(1, kTorrentA, "p", PaymentDirection::sent, Wei(1), 0));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, make_error_code(StoreError::corrupt));
    }
    {
        // Within each channel fine; across channels the torrent's sum overflows.
        LedgerBuilder b;
        ASSERT_TRUE(b.add(row(1, kTorrentA, "p", PaymentDirection::received, max, 0)).ok());
        ASSERT_TRUE(b.add(row(2, kTorrentA, "q", PaymentDirection::received, Wei(1), 0)).ok());
        auto l = b.finish();
        ASSERT_FALSE(l.ok());
        EXPECT_EQ(l.error().code, make_error_code(StoreError::corrupt));
    }
    {
        LedgerBuilder b;
        const auto huge = std::numeric_limits<std::uint64_t>::max();
        ASSERT_TRUE(b.add(row(1, kTorrentA, "p", PaymentDirection::received, Wei(1), huge)).ok());
        ASSERT_TRUE(b.add(row(2, kTorrentA, "p", PaymentDirection::received, Wei(1), 1)).ok());
        auto l = b.finish();
        ASSERT_FALSE(l.ok());
        EXPECT_EQ(l.error().code, make_error_code(StoreError::corrupt));
        EXPECT_NE(l.error().message.find("2^64"), std::string::npos) << l.error().message;
    }
}

TEST(LedgerBuilder, SumLedgerRecomputesAfterAChannelChanges)
{
    LedgerBuilder b;
    ASSERT_TRUE(b.add(row(1, kTorrentA, "p", PaymentDirection::received, Wei(3), 100)).ok());
    ASSERT_TRUE(b.add(row(2, kTorrentA, "q", PaymentDirection::received, Wei(4), 10)).ok());
    auto l = b.finish();
    ASSERT_TRUE(l.ok());
    LedgerTorrent t = (*l)[0];
    t.peers[0].channels[0].bytesServed = 5000; // e.g. a live count above the stored one
    ASSERT_TRUE(sumLedger(t).ok());
    EXPECT_EQ(t.peers[0].bytesServed, 5000u);
    EXPECT_EQ(t.bytesServed, 5010u);
    EXPECT_EQ(t.earned, Wei(7));
    EXPECT_EQ(t.channelCount, 2u);
}

// --- Store::ledger ------------------------------------------------------------------------

class StoreLedgerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto s = Store::open(path());
        ASSERT_TRUE(s.ok()) << s.error().describe();
        store_.emplace(std::move(*s));
    }
    std::filesystem::path path() const { return dir_ / "wallet.db"; }
    Store& store() { return *store_; }

    // Stores `ch` on our side `role` with states 1..amounts.size() and one payment for each,
    // the bytes counts given (received when we are the beneficiary, sent otherwise).
    void pay(const TestChannel& ch, ChannelRole role, const std::optional<std::string>& torrent,
             const std::optional<std::string>& peer, const std::vector<Wei>& amounts,
             const std::vector<std::uint64_t>& bytes)
    {
        ASSERT_TRUE(store().putChannel(ch.record(role)).ok());
        ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(0, Wei())).ok());
        Wei total;
        for (std::size_t i = 0; i < amounts.size(); ++i) {
            total = total + amounts[i];
            const auto turn = static_cast<std::uint64_t>(i + 1);
            auto ok = store().appendSignedState(ch.id, ch.signedAt(turn, total));
            ASSERT_TRUE(ok.ok()) << ok.error().describe();
            PaymentRecord p;
            p.channelId = ch.id;
            p.turnNum = turn;
            p.amount = amounts[i];
            p.direction = role == ChannelRole::beneficiary ? PaymentDirection::received : PaymentDirection::sent;
            p.torrent = torrent;
            p.peer = peer;
            p.timeMs = 1'700'000'000'000 + static_cast<std::int64_t>(turn);
            p.bytes = bytes[i];
            auto r = store().recordPayment(p);
            ASSERT_TRUE(r.ok()) << r.error().describe();
        }
    }

    pt::test::TempDir dir_{"pt-ledger-test"};
    std::optional<Store> store_;
};

TEST_F(StoreLedgerTest, SeveralTorrentsPeersAndChannelsInBothDirections)
{
    // Amounts a little under 2^64 each, so that every sum below passes 2^64.
    const Wei nearMax(std::numeric_limits<std::uint64_t>::max() - 1);
    TestChannel s1 = makeChannel("seller-1", 1);
    const TestChannel s2 = makeChannel("seller-2", 2);
    const TestChannel s3 = makeChannel("seller-3", 3);
    const TestChannel b1 = makeChannel("buyer-1", 4);
    TestChannel b2 = makeChannel("buyer-2", 5);
    s1.deposit = b2.deposit = Wei(U256(1) << 100); // room for the large payments
    // Torrent A: we sell to peer X on two channels (a reconnect), to peer Y on one, and buy
    // from peer X on another.
    pay(s1, ChannelRole::beneficiary, kTorrentA, "10.0.0.1:5000", {nearMax, nearMax}, {262144, 524288});
    pay(s2, ChannelRole::beneficiary, kTorrentA, "10.0.0.1:5000", {Wei(1000)}, {65536});
    pay(s3, ChannelRole::beneficiary, kTorrentA, "10.0.0.2:6000", {Wei(7)}, {16384});
    pay(b1, ChannelRole::payer, kTorrentA, "10.0.0.1:5000", {Wei(5), Wei(6), Wei(8)}, {100, 900, 700});
    // Torrent B: we buy from peer Z.
    pay(b2, ChannelRole::payer, kTorrentB, "10.0.0.3:7000", {nearMax, Wei(2)}, {1 << 20, 3 << 20});

    auto l = store().ledger();
    ASSERT_TRUE(l.ok()) << l.error().describe();
    ASSERT_EQ(l->size(), 2u);
    const LedgerTorrent* a = findTorrent(*l, kTorrentA);
    const LedgerTorrent* b = findTorrent(*l, kTorrentB);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);

    const U256 m(std::numeric_limits<std::uint64_t>::max() - 1);
    EXPECT_EQ(a->earned, Wei(2 * m + 1000 + 7));
    EXPECT_EQ(a->paid, Wei(19));
    EXPECT_EQ(a->bytesServed, 524288u + 65536u + 16384u);
    EXPECT_EQ(a->bytesReceived, 900u);
    EXPECT_EQ(a->channelCount, 4u);
    ASSERT_EQ(a->peers.size(), 2u);
    const LedgerPeer* x = findPeer(*a, "10.0.0.1:5000");
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->earned, Wei(2 * m + 1000));
    EXPECT_EQ(x->paid, Wei(19));
    EXPECT_EQ(x->bytesServed, 524288u + 65536u);
    EXPECT_EQ(x->bytesReceived, 900u);
    ASSERT_EQ(x->channels.size(), 3u);
    for (const auto& c : x->channels) EXPECT_TRUE(c.id == s1.id || c.id == s2.id || c.id == b1.id);
    const LedgerPeer* y = findPeer(*a, "10.0.0.2:6000");
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(y->earned, Wei(7));
    EXPECT_EQ(y->bytesServed, 16384u);
    ASSERT_EQ(y->channels.size(), 1u);
    EXPECT_EQ(y->channels[0].id, s3.id);

    EXPECT_EQ(b->paid, Wei(m + 2));
    EXPECT_EQ(b->earned, Wei());
    EXPECT_EQ(b->bytesReceived, 3u << 20);
    EXPECT_EQ(b->bytesServed, 0u);
    EXPECT_EQ(b->channelCount, 1u);

    // The filter returns that torrent alone, with the same figures.
    auto onlyB = store().ledger(kTorrentB);
    ASSERT_TRUE(onlyB.ok());
    ASSERT_EQ(onlyB->size(), 1u);
    EXPECT_EQ((*onlyB)[0], *b);
    auto none = store().ledger(std::string(40, 'c'));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());

    // Each channel agrees with the store's per-channel total.
    for (const auto& c : x->channels) {
        auto earned = store().paymentTotal(c.id, PaymentDirection::received);
        auto paid = store().paymentTotal(c.id, PaymentDirection::sent);
        ASSERT_TRUE(earned.ok() && paid.ok());
        EXPECT_EQ(c.earned, *earned);
        EXPECT_EQ(c.paid, *paid);
    }
}

TEST_F(StoreLedgerTest, UnlabelledPaymentsUseTheCounterpartyAndTheEmptyTorrent)
{
    const TestChannel ch = makeChannel("anon");
    pay(ch, ChannelRole::beneficiary, std::nullopt, std::nullopt, {Wei(3), Wei(4)}, {10, 20});
    auto l = store().ledger();
    ASSERT_TRUE(l.ok()) << l.error().describe();
    ASSERT_EQ(l->size(), 1u);
    EXPECT_EQ((*l)[0].torrent, "");
    ASSERT_EQ((*l)[0].peers.size(), 1u);
    EXPECT_EQ((*l)[0].peers[0].peer, ch.payer.address().toChecksum());
    EXPECT_EQ((*l)[0].earned, Wei(7));
    EXPECT_EQ((*l)[0].bytesServed, 20u);
    auto unlabelled = store().ledger(std::string());
    ASSERT_TRUE(unlabelled.ok());
    EXPECT_EQ(*unlabelled, *l);
}

TEST_F(StoreLedgerTest, BytesRoundTripAndOutOfRangeCountsAreRefused)
{
    const TestChannel ch = makeChannel("bytes");
    pay(ch, ChannelRole::payer, kTorrentA, "p", {Wei(1)}, {(std::uint64_t{1} << 62) + 3});
    auto back = store().payments(ch.id);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].bytes, (std::uint64_t{1} << 62) + 3);

    ASSERT_TRUE(store().appendSignedState(ch.id, ch.signedAt(2, Wei(2))).ok());
    PaymentRecord tooMany = (*back)[0];
    tooMany.turnNum = 2;
    tooMany.bytes = std::uint64_t{1} << 63;
    auto r = store().recordPayment(tooMany);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, make_error_code(StoreError::invalid_record));
}

TEST_F(StoreLedgerTest, DamagedRowsAreCorrupt)
{
    const TestChannel ch = makeChannel("damaged");
    pay(ch, ChannelRole::beneficiary, kTorrentA, "p", {Wei(1)}, {10});
    store_.reset();
    {
        test::RawDb raw(path());
        raw.exec("PRAGMA ignore_check_constraints = ON");
        raw.exec("UPDATE payments SET bytes = -5");
    }
    auto s = Store::open(path());
    ASSERT_TRUE(s.ok());
    auto l = s->ledger();
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().code, make_error_code(StoreError::corrupt));
    auto p = s->payments(ch.id);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, make_error_code(StoreError::corrupt));
}

} // namespace
} // namespace pt::store
