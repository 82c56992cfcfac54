// Node::ledger end to end: two real nodes (keystore, SQLite, payment engine, libtorrent with
// the paid-streaming extension) on loopback, one small paid download settled on a real anvil
// with the real NitroAdjudicator. The seller's ledger and the buyer's must agree with each
// other, with the channel and with the chain; and the seller's channel must read "closed"
// once the buyer has concluded it (the watchtower tells the seller's node).
#include "paytorrent/node.hpp"

#include "support/files.hpp"
#include "support/paid_nodes.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

using namespace paytorrent;
using namespace std::chrono_literals;
using pt::Wei;
using namespace pt::test;

namespace {

const ChannelInfo* findChannel(const std::vector<ChannelInfo>& channels, const std::string& id)
{
    for (const auto& c : channels)
        if (c.id == id) return &c;
    return nullptr;
}

std::string channelStatus(const Node& node, const std::string& id)
{
    const auto channels = node.channels();
    const ChannelInfo* c = findChannel(channels, id);
    return c ? c->status : "missing";
}

} // namespace

TEST(NodeLedger, SellerAndBuyerAgreeWithTheChannelAndTheChain)
{
    TempDir dir("pt-ledger-nodes");
    NodeOptions so = nodeOptions(dir / "seller");
    so.watchtowerInterval = 100ms;
    auto seller = Node::open(so);
    ASSERT_TRUE(seller) << seller.error().describe();
    auto buyer = Node::open(joinChain(dir / "buyer", **seller));
    ASSERT_TRUE(buyer) << buyer.error().describe();

    const std::size_t size = 2 * mib + 4321;
    std::filesystem::create_directories(dir / "share");
    const std::string data = writeRandomFile(dir / "share" / "clip.bin", size, 23);
    const Wei price(pt::U256("3000000000000")); // wei per MiB
    auto seeded = (*seller)->seed(dir / "share" / "clip.bin", price);
    ASSERT_TRUE(seeded) << seeded.error().describe();
    const auto sellerBefore = (*seller)->balance();
    ASSERT_TRUE(sellerBefore);

    // Nothing paid yet: an empty ledger, and the filter finds nothing either.
    auto empty = (*seller)->ledger();
    ASSERT_TRUE(empty) << empty.error().describe();
    EXPECT_TRUE(empty->empty());

    DownloadRequest req{seeded->magnet, dir / "out", price, Wei(pt::U256("1000000000000000000")),
                        {"127.0.0.1:" + std::to_string((*seller)->listenPort())}};
    auto ih = (*buyer)->download(req);
    ASSERT_TRUE(ih) << ih.error().describe();
    ASSERT_TRUE(waitFor([&] { auto s = (*buyer)->status(*ih); return s && s->isFinished; }, 40s));
    EXPECT_EQ(readFile(dir / "out" / "clip.bin"), data);
    const auto closed = (*buyer)->closeChannels(*ih, 60s);
    ASSERT_EQ(closed.size(), 1u);
    ASSERT_EQ(closed[0].status, "closed") << closed[0].error;
    const std::string channelId = closed[0].id;
    const Wei channelPaid = closed[0].paid; // the final state's allocation to the seller

    // The seller's node learns of the conclusion from the chain, not from the buyer.
    EXPECT_TRUE(waitFor([&] { return channelStatus(**seller, channelId) == "closed"; }, 15s))
        << "the seller's channel stayed " << channelStatus(**seller, channelId);

    auto sl = (*seller)->ledger(*ih);
    auto bl = (*buyer)->ledger(*ih);
    ASSERT_TRUE(sl) << sl.error().describe();
    ASSERT_TRUE(bl) << bl.error().describe();
    ASSERT_EQ(sl->size(), 1u);
    ASSERT_EQ(bl->size(), 1u);
    const TorrentLedger& s = (*sl)[0];
    const TorrentLedger& b = (*bl)[0];
    EXPECT_EQ(s.infoHash, *ih);
    EXPECT_EQ(b.infoHash, *ih);
    EXPECT_EQ(s.name, "clip.bin");
    EXPECT_EQ(b.name, "clip.bin");

    EXPECT_GT(s.earned, Wei());
    EXPECT_EQ(s.earned, b.paid);
    EXPECT_EQ(s.earned, channelPaid);
    EXPECT_EQ(s.paid, Wei());
    EXPECT_EQ(b.earned, Wei());
    EXPECT_GE(s.earned, cost(size, price));
    // The seller sent no transaction: its balance grew by exactly what it earned.
    const auto sellerAfter = (*seller)->balance();
    ASSERT_TRUE(sellerAfter);
    EXPECT_EQ(*sellerAfter - *sellerBefore, s.earned);

    EXPECT_GE(s.bytesServed, size);
    EXPECT_GE(b.bytesReceived, size);
    EXPECT_EQ(s.bytesReceived, 0u);
    EXPECT_EQ(b.bytesServed, 0u);
    EXPECT_EQ(s.channels, 1u);
    EXPECT_EQ(b.channels, 1u);
    ASSERT_EQ(s.peers.size(), 1u);
    ASSERT_EQ(b.peers.size(), 1u);
    EXPECT_EQ(s.peers[0].channels, std::vector<std::string>{channelId});
    EXPECT_EQ(b.peers[0].channels, std::vector<std::string>{channelId});
    EXPECT_EQ(s.peers[0].earned, s.earned);
    EXPECT_EQ(b.peers[0].paid, b.paid);
    EXPECT_EQ(b.peers[0].peer, "127.0.0.1:" + std::to_string((*seller)->listenPort()));

    // The unfiltered ledger holds the same single torrent; an unknown one is empty.
    auto all = (*seller)->ledger();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].earned, s.earned);
    auto other = (*seller)->ledger(std::string(40, 'e'));
    ASSERT_TRUE(other);
    EXPECT_TRUE(other->empty());
    // Info-hashes are matched whatever their case.
    std::string upper = *ih;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto byUpper = (*buyer)->ledger(upper);
    ASSERT_TRUE(byUpper);
    ASSERT_EQ(byUpper->size(), 1u);
    EXPECT_EQ((*byUpper)[0].paid, b.paid);
}
