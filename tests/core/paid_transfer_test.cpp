// Paid downloads end to end: real nodes (keystore, SQLite, payment engine, libtorrent with
// the paid-streaming extension) over TCP on loopback, paying through channels funded and
// closed on a real anvil running the real NitroAdjudicator.
#include "paytorrent/node.hpp"

#include "support/files.hpp"
#include "support/log_capture.hpp"
#include "support/paid_nodes.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

using namespace paytorrent;
using pt::Wei;
using namespace pt::test;


TEST(PaidTransfer, OneSeederOneDownloaderPaysWithinTheBoundAndSettlesOnChain)
{
    TempDir dir;
    auto seeder = Node::open(nodeOptions(dir / "seeder"));
    ASSERT_TRUE(seeder) << seeder.error().describe();
    NodeOptions lo = nodeOptions(dir / "leecher");
    lo.chainRpc = (*seeder)->chain().rpc;
    lo.adjudicator = (*seeder)->chain().adjudicator;
    auto leecher = Node::open(lo);
    ASSERT_TRUE(leecher) << leecher.error().describe();

    const std::size_t size = 6 * mib + 12345;
    std::filesystem::create_directories(dir / "share");
    const std::string data = writeRandomFile(dir / "share" / "movie.bin", size, 7);
    const Wei price(pt::U256("1000000000000")); // 10^12 wei per MiB
    auto seeded = (*seeder)->seed(dir / "share" / "movie.bin", price);
    ASSERT_TRUE(seeded) << seeded.error().describe();
    EXPECT_NE(seeded->magnet.find("x.pt.price=1000000000000"), std::string::npos);
    auto terms = parseMagnetTerms(seeded->magnet);
    ASSERT_TRUE(terms);
    EXPECT_EQ(*terms->pricePerMiB, price);

    const auto seederBefore = (*seeder)->balance();
    const auto leecherBefore = (*leecher)->balance();
    ASSERT_TRUE(seederBefore && leecherBefore);

    DownloadRequest req{seeded->magnet, dir / "out", price, Wei(pt::U256("1000000000000000000")),
                        {"127.0.0.1:" + std::to_string((*seeder)->listenPort())}};
    auto ih = (*leecher)->download(req);
    ASSERT_TRUE(ih) << ih.error().describe();
    const bool finished = waitFor([&] { auto s = (*leecher)->status(*ih); return s && s->isFinished; }, std::chrono::seconds(40));
    if (!finished) {
        auto s = (*leecher)->status(*ih);
        if (s) ADD_FAILURE() << "leecher: " << s->state << " " << s->totalDone << "/" << s->totalWanted << " peers " << s->numPeers;
        for (const auto& c : (*leecher)->channels()) ADD_FAILURE() << "leecher channel " << c.status << " paid " << c.paid.toDecimal() << " bytes " << c.bytes << " err " << c.error;
        for (const auto& c : (*seeder)->channels()) ADD_FAILURE() << "seeder channel " << c.status << " paid " << c.paid.toDecimal() << " bytes " << c.bytes << " err " << c.error;
    }
    ASSERT_TRUE(finished);
    EXPECT_EQ(readFile(dir / "out" / "movie.bin"), data);

    const auto closed = (*leecher)->closeChannels(*ih, std::chrono::seconds(60));
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].status, "closed") << closed[0].error;
    const Wei paid = closed[0].paid;
    const Wei window = cost(1 * mib, price);
    EXPECT_GE(paid, cost(size, price));
    EXPECT_LE(paid, cost(size, price) + window);

    // The seeder's ledger says the same.
    Wei earned;
    for (const auto& c : (*seeder)->channels())
        if (c.role == "seller" && c.torrent == *ih) earned = earned + c.paid;
    EXPECT_EQ(earned, paid);

    // On chain: the seeder received exactly what it earned (it sent no transaction); the
    // leecher spent what it paid plus the gas of its deposit and conclusion.
    const auto seederAfter = (*seeder)->balance();
    const auto leecherAfter = (*leecher)->balance();
    ASSERT_TRUE(seederAfter && leecherAfter);
    EXPECT_EQ(*seederAfter - *seederBefore, paid);
    EXPECT_EQ(*leecherBefore - *leecherAfter, paid + (*leecher)->gasSpent());
    EXPECT_GT((*leecher)->gasSpent(), Wei{});

    // Restarted, the leecher resumes the finished download as a seed and meets the seeder
    // again: it has nothing to buy, so it opens no channel and pays nothing more.
    leecher->reset();
    auto again = Node::open(lo);
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_TRUE(waitFor([&] { auto s = (*again)->status(*ih); return s && s->isFinished && s->numPeers > 0; },
                        std::chrono::seconds(20)))
        << "the resumed seed did not meet the seeder";
    std::this_thread::sleep_for(std::chrono::seconds(2)); // time to propose and pay, were it to
    for (const auto& c : (*again)->channels()) { // only the one it closed, from its store
        EXPECT_EQ(c.id, closed[0].id);
        EXPECT_EQ(c.status, "closed");
        EXPECT_EQ(c.paid, paid);
    }
    std::size_t sellerChannels = 0;
    for (const auto& c : (*seeder)->channels()) sellerChannels += c.role == "seller" && c.torrent == *ih;
    EXPECT_EQ(sellerChannels, 1u);
}

// A free torrent by magnet link between two PayTorrent nodes: the seeder advertises no price,
// so the downloader proposes it no channel, also when the metadata arrives (it used to be
// proposed one at price 0 then, refused for a spent budget and disconnected, and the
// download waited for libtorrent to dial it again).
TEST(PaidTransfer, AFreeMagnetDownloadOpensNoChannelAndDropsNoSeeder)
{
    LogCapture log;
    TempDir dir;
    auto seeder = Node::open(nodeOptions(dir / "seeder"));
    ASSERT_TRUE(seeder) << seeder.error().describe();
    auto leecher = Node::open(joinChain(dir / "leecher", **seeder));
    ASSERT_TRUE(leecher) << leecher.error().describe();

    const std::size_t size = 3 * mib + 777;
    std::filesystem::create_directories(dir / "share");
    const std::string data = writeRandomFile(dir / "share" / "free.bin", size, 11);
    auto seeded = (*seeder)->seed(dir / "share" / "free.bin", std::nullopt);
    ASSERT_TRUE(seeded) << seeded.error().describe();
    EXPECT_EQ(seeded->magnet.find("x.pt.price"), std::string::npos);

    const Wei price(pt::U256("1000000000000"));
    DownloadRequest req{seeded->magnet, dir / "out", price, cost(size + mib, price),
                        {"127.0.0.1:" + std::to_string((*seeder)->listenPort())}};
    auto ih = (*leecher)->download(req);
    ASSERT_TRUE(ih) << ih.error().describe();
    ASSERT_TRUE(waitFor([&] { auto s = (*leecher)->status(*ih); return s && s->isFinished; }, std::chrono::seconds(40)));
    EXPECT_EQ(readFile(dir / "out" / "free.bin"), data);
    EXPECT_TRUE((*leecher)->channels().empty());
    EXPECT_TRUE((*seeder)->channels().empty());
    for (const auto& line : log.sink->lines()) EXPECT_EQ(line.find("disconnected"), std::string::npos) << line;
}

TEST(PaidTransfer, RefusesAPriceAboveTheMaximumBeforeConnecting)
{
    TempDir dir;
    auto node = Node::open(nodeOptions(dir / "n"));
    ASSERT_TRUE(node) << node.error().describe();
    DownloadRequest req{"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pt.price=500", dir / "out",
                        Wei(400u), Wei(1000000u), {}};
    auto r = (*node)->download(req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, NodeError::refused_terms);
}

TEST(MagnetTerms, ParsesAndRefusesMalformedFields)
{
    auto t = parseMagnetTerms("magnet:?xt=urn:btih:00&x.pt.price=12&x.pt.chain=31337&x.pt.adjudicator=0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->pricePerMiB->toDecimal(), "12");
    EXPECT_EQ(*t->chainId, "31337");
    EXPECT_EQ(*t->adjudicator, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    EXPECT_FALSE(parseMagnetTerms("magnet:?x.pt.price=-1"));
    EXPECT_FALSE(parseMagnetTerms("magnet:?x.pt.price=0"));
    EXPECT_FALSE(parseMagnetTerms("http://example/"));
    EXPECT_FALSE(parseMagnetTerms("magnet:?x.pt.adjudicator=0x12"));
    EXPECT_FALSE(parseMagnetTerms("magnet:?x.pt.price=1" + std::string(100, '0')));
    auto free = parseMagnetTerms("magnet:?xt=urn:btih:00");
    ASSERT_TRUE(free);
    EXPECT_FALSE(free->pricePerMiB);
}
