// Paid downloads from several sellers, and a buyer whose budget runs out: real nodes over
// TCP on loopback, paying through channels funded (and closed) on a real anvil running the
// real NitroAdjudicator. The first node starts the chain; the others use it by RPC.
#include "paytorrent/node.hpp"

#include "support/files.hpp"
#include "support/paid_nodes.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>

#include <fstream>
#include <random>
#include <thread>

using namespace paytorrent;
using pt::Wei;
using namespace pt::test;

namespace {

// The nodes' default credit window (NodeOptions::creditWindow), restated by the bound.
constexpr std::uint64_t credit_window = 1 * mib;

// floor(paid x 2^20 / price): the bytes a seller may serve for `paid` (docs/protocol.md, section 4).
std::uint64_t bytesPaidFor(const Wei& paid, const Wei& price)
{
    return static_cast<std::uint64_t>(boost::multiprecision::uint512_t(paid.value()) * mib / price.value());
}

std::string endpoint(const Node& n) { return "127.0.0.1:" + std::to_string(n.listenPort()); }

void reportChannels(const char* who, const Node& n)
{
    for (const auto& c : n.channels())
        ADD_FAILURE() << who << " channel " << c.role << " " << c.peer << " " << c.status << " paid " << c.paid.toDecimal()
                      << " bytes " << c.bytes << " err " << c.error;
}

} // namespace

TEST(PaidSwarm, ThreeSeedersOneDownloaderPaysWithinTheBoundAndEachSettlesOnChain)
{
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    std::vector<std::unique_ptr<Node>> seeders;
    // The first seeder runs the chain: it goes last (after the leecher, declared below).
    struct StopInReverse {
        std::vector<std::unique_ptr<Node>>& nodes;
        ~StopInReverse()
        {
            while (!nodes.empty()) nodes.pop_back();
        }
    } stopInReverse{seeders};
    {
        auto first = Node::open(nodeOptions(dir / "seeder0"));
        ASSERT_TRUE(first) << first.error().describe();
        seeders.push_back(std::move(*first));
    }
    for (int i = 1; i < 3; ++i) {
        auto n = Node::open(joinChain(dir / ("seeder" + std::to_string(i)), *seeders[0]));
        ASSERT_TRUE(n) << n.error().describe();
        seeders.push_back(std::move(*n));
    }
    auto leecher = Node::open(joinChain(dir / "leecher", *seeders[0]));
    ASSERT_TRUE(leecher) << leecher.error().describe();

    // Every seeder seeds the same file (the same path), so the torrent is the same.
    const std::size_t size = 6 * mib + 54321;
    std::filesystem::create_directories(dir / "share");
    const std::string data = writeRandomFile(dir / "share" / "movie.bin", size, 11);
    const Wei price(pt::U256("1000000000000")); // 10^12 wei per MiB
    std::vector<SeedResult> seeded;
    for (auto& s : seeders) {
        auto r = s->seed(dir / "share" / "movie.bin", price);
        ASSERT_TRUE(r) << r.error().describe();
        seeded.push_back(*r);
    }
    ASSERT_EQ(seeded[1].infoHash, seeded[0].infoHash);
    ASSERT_EQ(seeded[2].infoHash, seeded[0].infoHash);

    // A seeder still checking its copy turns connections away; the leecher would find it
    // only after finishing with the others.
    for (auto& s : seeders)
        ASSERT_TRUE(waitFor([&] { auto st = s->status(seeded[0].infoHash); return st && st->isSeeding; }, std::chrono::seconds(10)));

    std::vector<Wei> seederBefore;
    for (auto& s : seeders) {
        auto b = s->balance();
        ASSERT_TRUE(b) << b.error().describe();
        seederBefore.push_back(*b);
    }
    const auto leecherBefore = (*leecher)->balance();
    ASSERT_TRUE(leecherBefore);

    DownloadRequest req{seeded[0].magnet, dir / "out", price, Wei(pt::U256("1000000000000000000")),
                        {endpoint(*seeders[0]), endpoint(*seeders[1]), endpoint(*seeders[2])}};
    auto ih = (*leecher)->download(req);
    ASSERT_TRUE(ih) << ih.error().describe();
    EXPECT_EQ(*ih, seeded[0].infoHash);
    const bool finished = waitFor([&] { auto s = (*leecher)->status(*ih); return s && s->isFinished; }, std::chrono::seconds(30));
    if (!finished) {
        if (auto s = (*leecher)->status(*ih))
            ADD_FAILURE() << "leecher: " << s->state << " " << s->totalDone << "/" << s->totalWanted << " peers " << s->numPeers;
        reportChannels("leecher", **leecher);
        for (auto& s : seeders) reportChannels("seeder", *s);
    }
    ASSERT_TRUE(finished);
    EXPECT_EQ(readFile(dir / "out" / "movie.bin"), data);

    const auto closed = (*leecher)->closeChannels(*ih, std::chrono::seconds(20));
    if (closed.size() != 3u) {
        reportChannels("leecher", **leecher);
        for (auto& s : seeders) reportChannels("seeder", *s);
    }
    ASSERT_EQ(closed.size(), 3u) << "one channel per seeder";
    Wei paid;
    for (const auto& c : closed) {
        EXPECT_EQ(c.status, "closed") << c.peer << ": " << c.error;
        EXPECT_EQ(c.role, "buyer");
        paid = paid + c.paid;
    }
    // docs: price x size <= total paid <= price x size + credit window x number of seeders.
    EXPECT_GE(paid, cost(size, price));
    EXPECT_LE(paid, cost(size, price) + Wei(cost(credit_window, price).value() * 3));

    // Each seeder's ledger, and its balance on chain: it gained exactly what it earned (it
    // sent no transaction); together they earned what the leecher paid.
    Wei earnedByAll;
    for (std::size_t i = 0; i < seeders.size(); ++i) {
        SCOPED_TRACE("seeder " + std::to_string(i));
        Wei earned;
        int channels = 0;
        for (const auto& c : seeders[i]->channels())
            if (c.role == "seller" && c.torrent == *ih) {
                earned = earned + c.paid;
                ++channels;
            }
        EXPECT_EQ(channels, 1);
        const auto after = seeders[i]->balance();
        ASSERT_TRUE(after);
        EXPECT_EQ(*after - seederBefore[i], earned);
        earnedByAll = earnedByAll + earned;
    }
    EXPECT_EQ(earnedByAll, paid);
    const auto leecherAfter = (*leecher)->balance();
    ASSERT_TRUE(leecherAfter);
    EXPECT_EQ(*leecherBefore - *leecherAfter, paid + (*leecher)->gasSpent());
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
}

TEST(PaidSwarm, ADownloaderOutOfBudgetGetsNoMoreThanItPaidFor)
{
    const auto started = std::chrono::steady_clock::now();
    TempDir dir;
    auto seeder = Node::open(nodeOptions(dir / "seeder"));
    ASSERT_TRUE(seeder) << seeder.error().describe();
    auto leecher = Node::open(joinChain(dir / "leecher", **seeder));
    ASSERT_TRUE(leecher) << leecher.error().describe();

    const std::size_t size = 6 * mib;
    std::filesystem::create_directories(dir / "share");
    writeRandomFile(dir / "share" / "movie.bin", size, 12);
    // A price that does not divide a MiB evenly, so the credit rule's rounding is in play.
    const Wei price(pt::U256("1000000000007"));
    auto seeded = (*seeder)->seed(dir / "share" / "movie.bin", price);
    ASSERT_TRUE(seeded) << seeded.error().describe();

    ASSERT_TRUE(waitFor([&] { auto st = (*seeder)->status(seeded->infoHash); return st && st->isSeeding; }, std::chrono::seconds(10)));

    // A budget for 2 MiB of the 6.
    const Wei budget = cost(2 * mib, price);
    DownloadRequest req{seeded->magnet, dir / "out", price, budget, {endpoint(**seeder)}};
    auto ih = (*leecher)->download(req);
    ASSERT_TRUE(ih) << ih.error().describe();

    // Wait until the whole deposit is paid and nothing more arrives for a while.
    auto buyerChannel = [&]() -> std::optional<ChannelInfo> {
        for (const auto& c : (*leecher)->channels())
            if (c.role == "buyer" && c.torrent == *ih) return c;
        return std::nullopt;
    };
    const bool spent = waitFor([&] { auto c = buyerChannel(); return c && c->paid == c->deposit && c->deposit > Wei{}; },
                               std::chrono::seconds(30));
    if (!spent) {
        reportChannels("leecher", **leecher);
        reportChannels("seeder", **seeder);
    }
    ASSERT_TRUE(spent);
    std::int64_t lastReceived = -1;
    auto quietSince = std::chrono::steady_clock::now();
    const bool quiet = waitFor(
        [&] {
            const auto s = (*leecher)->status(*ih);
            if (!s) return false;
            if (s->totalPayloadDownload != lastReceived) {
                lastReceived = s->totalPayloadDownload;
                quietSince = std::chrono::steady_clock::now();
            }
            return std::chrono::steady_clock::now() - quietSince > std::chrono::seconds(3);
        },
        std::chrono::seconds(20));
    ASSERT_TRUE(quiet) << "the leecher kept receiving after its deposit was spent";

    const auto channel = buyerChannel();
    ASSERT_TRUE(channel);
    EXPECT_EQ(channel->deposit, budget);
    EXPECT_EQ(channel->paid, budget);
    const std::uint64_t paidFor = bytesPaidFor(channel->paid, price);

    const auto ls = (*leecher)->status(*ih);
    ASSERT_TRUE(ls);
    EXPECT_FALSE(ls->isFinished);
    EXPECT_LT(ls->totalDone, static_cast<std::int64_t>(size));
    EXPECT_GT(ls->totalPayloadDownload, 0);
    EXPECT_LE(static_cast<std::uint64_t>(ls->totalPayloadDownload), paidFor) << "received more than it paid for";
    EXPECT_LE(channel->bytes, paidFor);

    // The seller's side: what it sent is within the credit its countersigned payments granted.
    Wei earned;
    for (const auto& c : (*seeder)->channels())
        if (c.role == "seller" && c.torrent == *ih) earned = earned + c.paid;
    EXPECT_EQ(earned, channel->paid);
    const std::uint64_t granted = bytesPaidFor(earned, price);
    const auto ss = (*seeder)->status(*ih);
    ASSERT_TRUE(ss);
    EXPECT_GT(ss->totalPayloadUpload, 0);
    EXPECT_LE(static_cast<std::uint64_t>(ss->totalPayloadUpload), granted) << "served more than was paid for";
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
}
