// `paytorrent-cli ledger` on the data directories of a real paid transfer between two
// processes (`seed` with the embedded chain, `get` on the same chain): the buyer's ledger
// while the seeder runs, the seller's after the seeder stopped (its chain restarted from
// its data directory), both as JSON and as a table, and the usage errors.
#include "support/child_process.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdlib>
#include <sstream>

using namespace pt::test;
using boost::multiprecision::uint512_t;
using nlohmann::json;

namespace {

std::string cli() { return binaryPath("app/paytorrent-cli"); }

std::optional<json> findEvent(const std::string& output, const std::string& name)
{
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        auto j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("event", "") == name) return j;
    }
    return std::nullopt;
}

} // namespace

TEST(CliLedger, BothSidesOfARealTransferAgree)
{
    TempDir dir("pt-cli-ledger");
    ::setenv("PAYTORRENT_PASSWORD", "cli ledger password", 1);
    std::filesystem::create_directories(dir / "share");
    const std::size_t size = 2 * (1 << 20) + 99;
    writeRandomFile(dir / "share" / "track.bin", size, 5);
    const std::string price = "5000000000000"; // wei per MiB

    ChildProcess seeder({cli(), "seed", (dir / "share" / "track.bin").string(), "--price", price, "--data-dir",
                         (dir / "seeder").string(), "--listen", "127.0.0.1:0", "--local", "--challenge-duration", "60",
                         "--json"},
                        ChildOptions{{}, dir / "seeder.log"});
    ASSERT_TRUE(seeder.waitForOutput("\"event\":\"seeding\"", std::chrono::seconds(60))) << seeder.output();
    const auto seeding = findEvent(seeder.output(), "seeding");
    ASSERT_TRUE(seeding);
    const std::string magnet = (*seeding)["magnet"];
    const std::string rpc = (*seeding)["chain"]["rpc"];
    const std::string adjudicator = (*seeding)["chain"]["adjudicator"];
    const std::string peer = "127.0.0.1:" + std::to_string((*seeding)["port"].get<int>());
    const std::vector<std::string> onChain{"--chain-rpc", rpc, "--adjudicator", adjudicator, "--listen", "127.0.0.1:0",
                                           "--local"};

    std::vector<std::string> get{cli(), "get", magnet, "--out", (dir / "out").string(), "--max-price", price, "--budget",
                                 "1000000000000000000", "--peer", peer, "--data-dir", (dir / "buyer").string(),
                                 "--json", "--timeout", "60", "--challenge-duration", "60"};
    get.insert(get.end(), onChain.begin(), onChain.end());
    auto got = runProcess(get, {}, std::chrono::seconds(120));
    ASSERT_EQ(got.exitCode, 0) << got.err << got.out;
    const json summary = json::parse(got.out);
    const std::string infoHash = summary["infoHash"];
    const std::string paid = summary["paid_wei"];
    ASSERT_EQ(summary["channels"].size(), 1u);
    const std::string channelId = summary["channels"][0]["id"];
    ASSERT_NE(uint512_t(paid), 0);

    // The buyer's ledger (the seeder's chain still runs).
    std::vector<std::string> buyerLedger{cli(), "ledger", "--json", "--data-dir", (dir / "buyer").string()};
    buyerLedger.insert(buyerLedger.end(), onChain.begin(), onChain.end());
    auto b = runProcess(buyerLedger, {}, std::chrono::seconds(60));
    ASSERT_EQ(b.exitCode, 0) << b.err << b.out;
    const json bj = json::parse(b.out);
    ASSERT_EQ(bj["torrents"].size(), 1u) << b.out;
    const json& bt = bj["torrents"][0];
    EXPECT_EQ(bt["info_hash"], infoHash);
    EXPECT_EQ(bt["name"], "track.bin");
    EXPECT_EQ(bt["paid_wei"], paid);
    EXPECT_EQ(bt["earned_wei"], "0");
    EXPECT_EQ(bt["channel_count"], 1);
    EXPECT_EQ(bt["bytes_served"], 0);
    // Bytes stored with the last payment: a buyer pays ahead, so data arrived before and
    // after it; more than half the file and at most the file.
    EXPECT_GT(bt["bytes_received"].get<std::uint64_t>(), size / 2) << b.out;
    EXPECT_LE(bt["bytes_received"].get<std::uint64_t>(), size) << b.out;
    ASSERT_EQ(bt["peers"].size(), 1u);
    EXPECT_EQ(bt["peers"][0]["peer"], peer);
    EXPECT_EQ(bt["peers"][0]["paid_wei"], paid);
    EXPECT_EQ(bt["peers"][0]["channels"], json::array({channelId}));

    // The table names the torrent, the peer and the amount.
    std::vector<std::string> table{cli(), "ledger", "--data-dir", (dir / "buyer").string(), "--torrent", infoHash};
    table.insert(table.end(), onChain.begin(), onChain.end());
    auto t = runProcess(table, {}, std::chrono::seconds(60));
    ASSERT_EQ(t.exitCode, 0) << t.err;
    EXPECT_NE(t.out.find(infoHash), std::string::npos) << t.out;
    EXPECT_NE(t.out.find(peer), std::string::npos) << t.out;
    EXPECT_NE(t.out.find(paid), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("track.bin"), std::string::npos) << t.out;

    // The seller's ledger, once the seeder has stopped: its own embedded chain comes back.
    seeder.stop(std::chrono::seconds(20));
    auto s = runProcess({cli(), "ledger", "--json", "--torrent", infoHash, "--data-dir", (dir / "seeder").string(),
                         "--listen", "127.0.0.1:0", "--local"},
                        {}, std::chrono::seconds(90));
    ASSERT_EQ(s.exitCode, 0) << s.err << s.out;
    const json sj = json::parse(s.out);
    ASSERT_EQ(sj["torrents"].size(), 1u) << s.out;
    const json& st = sj["torrents"][0];
    EXPECT_EQ(st["info_hash"], infoHash);
    EXPECT_EQ(st["earned_wei"], paid) << "the seller earned what the buyer paid";
    EXPECT_EQ(st["paid_wei"], "0");
    EXPECT_EQ(st["bytes_received"], 0);
    EXPECT_GT(st["bytes_served"].get<std::uint64_t>(), size / 2) << s.out;
    EXPECT_LE(st["bytes_served"].get<std::uint64_t>(), size) << s.out;
    ASSERT_EQ(st["peers"].size(), 1u);
    EXPECT_EQ(st["peers"][0]["channels"], json::array({channelId}));
    EXPECT_EQ(st["peers"][0]["earned_wei"], paid);
}

TEST(CliLedger, ATorrentThatIsNotAnInfoHashIsAUsageError)
{
    TempDir dir("pt-cli-ledger-usage");
    ::setenv("PAYTORRENT_PASSWORD", "cli ledger password", 1);
    auto r = runProcess({cli(), "ledger", "--torrent", "not-a-hash", "--data-dir", (dir / "n").string()}, {},
                        std::chrono::seconds(30));
    EXPECT_EQ(r.exitCode, 2) << r.err;
    EXPECT_NE(r.err.find("info-hash"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}
