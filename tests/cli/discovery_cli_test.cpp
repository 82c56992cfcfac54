// `paytorrent-cli seed` and `get` as real processes finding each other without --peer:
//   - through a tracker (`seed --tracker URL`; `get` given the .torrent file),
//   - through the magnet link's direct peer (`seed --magnet-peer 127.0.0.1` prints x.pe),
//   - through a closed DHT (`--dht-bootstrap` to a plain python3-libtorrent DHT node).
// Every process binds loopback only; `--local` keeps LSD, UPnP and uTP off (and the DHT too,
// unless --dht-bootstrap is given). A control run shows `get` finds no one without them.
#include "support/child_process.hpp"
#include "support/files.hpp"
#include "support/http_tracker.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdlib>
#include <regex>
#include <sstream>

using namespace pt::test;
using namespace std::chrono_literals;
using boost::multiprecision::uint512_t;

namespace {

constexpr std::size_t kSize = 3 * (1 << 20) + 777;
const std::string kPrice = "2000000000000"; // wei per MiB
const std::string kPython = "/usr/bin/python3"; // Debian's, the one with the libtorrent module
// `get --timeout`: finding the seeder and 3 MiB of paid transfer take a few seconds.
constexpr int kGetTimeoutSeconds = 20;

std::string cli() { return binaryPath("app/paytorrent-cli"); }

// The first line of `output` that parses as a JSON object whose "event" is `name` (and that
// satisfies `match`).
std::optional<nlohmann::json> findEvent(const std::string& output, const std::string& name,
                                        const std::function<bool(const nlohmann::json&)>& match = {})
{
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("event", "") == name && (!match || match(j))) return j;
    }
    return std::nullopt;
}

class CliDiscovery : public ::testing::Test {
protected:
    void SetUp() override
    {
        ::setenv("PAYTORRENT_PASSWORD", "cli test password", 1);
        std::filesystem::create_directories(dir / "share");
        data = writeRandomFile(dir / "share" / "song.bin", kSize, 31);
    }

    // Starts `paytorrent-cli seed` (embedded chain, loopback only) with `extra` flags and
    // waits for its "seeding" line.
    void startSeeder(const std::vector<std::string>& extra)
    {
        std::vector<std::string> argv{cli(), "seed", (dir / "share" / "song.bin").string(), "--price", kPrice,
                                      "--data-dir", (dir / "seeder").string(), "--listen", "127.0.0.1:0", "--local",
                                      "--challenge-duration", "60", "--json"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        seeder = std::make_unique<ChildProcess>(argv, ChildOptions{{}, dir / "seeder.log"});
        ASSERT_TRUE(seeder->waitForOutput("\"event\":\"seeding\"", 60s)) << seeder->output();
        auto s = findEvent(seeder->output(), "seeding");
        ASSERT_TRUE(s);
        seeding = *s;
    }

    int seederPort() const { return seeding["port"].get<int>(); }

    // `paytorrent-cli get SOURCE` on the seeder's chain, with no --peer.
    ProcessResult get(const std::string& source, const std::string& name, const std::vector<std::string>& extra = {},
                      int timeoutSeconds = kGetTimeoutSeconds)
    {
        std::vector<std::string> argv{cli(), "get", source, "--out", (dir / ("out-" + name)).string(), "--max-price",
                                      kPrice, "--budget", "1000000000000000000", "--data-dir",
                                      (dir / ("leecher-" + name)).string(), "--listen", "127.0.0.1:0", "--local",
                                      "--challenge-duration", "60", "--chain-rpc",
                                      seeding["chain"]["rpc"].get<std::string>(), "--adjudicator",
                                      seeding["chain"]["adjudicator"].get<std::string>(), "--json", "--timeout",
                                      std::to_string(timeoutSeconds)};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return runProcess(argv, {}, std::chrono::seconds(timeoutSeconds + 60));
    }

    // A completed paid download: the file, the channel closed, the payment within its bound.
    void expectPaidDownload(const ProcessResult& got, const std::string& name, const std::string& how)
    {
        ASSERT_EQ(got.exitCode, 0) << "get did not download through " << how << ":\n" << got.err << got.out;
        auto summary = nlohmann::json::parse(got.out);
        EXPECT_EQ(summary["bytes"].get<std::int64_t>(), static_cast<std::int64_t>(kSize));
        ASSERT_EQ(summary["channels"].size(), 1u);
        EXPECT_EQ(summary["channels"][0]["status"], "closed");
        EXPECT_EQ(summary["channels"][0]["peer"], "127.0.0.1:" + std::to_string(seederPort()));
        const uint512_t paid(summary["paid_wei"].get<std::string>());
        const uint512_t p(kPrice);
        const uint512_t exact = (uint512_t(kSize) * p + (1 << 20) - 1) >> 20;
        EXPECT_GE(paid, exact);
        EXPECT_LE(paid, exact + p); // plus at most the 1 MiB credit window
        EXPECT_EQ(readFile(dir / ("out-" + name) / "song.bin"), data);
    }

    TempDir dir;
    std::string data;
    std::unique_ptr<ChildProcess> seeder;
    nlohmann::json seeding;
};

TEST_F(CliDiscovery, GetFindsTheSeederThroughTheTrackerOfTheTorrentFile)
{
    HttpTracker tracker(dir / "tracker.log");
    ASSERT_NO_FATAL_FAILURE(startSeeder({"--tracker", tracker.announceUrl()}));
    const std::string magnet = seeding["magnet"];
    EXPECT_NE(magnet.find("&tr="), std::string::npos) << magnet;
    EXPECT_EQ(magnet.find("x.pe="), std::string::npos) << magnet;
    ASSERT_TRUE(tracker.waitForStart(seederPort(), 10s)) << "the seeder never announced; tracker log:\n"
                                                         << tracker.output();

    // The .torrent file (its announce list), not the magnet link: both carry the tracker.
    const auto got = get(seeding["torrent"].get<std::string>(), "tracker");
    ASSERT_NO_FATAL_FAILURE(expectPaidDownload(got, "tracker", "the tracker"));
}

TEST_F(CliDiscovery, GetFindsTheSeederThroughTheDirectPeerOfTheMagnetLinkAndNoOneWithout)
{
    ASSERT_NO_FATAL_FAILURE(startSeeder({"--magnet-peer", "127.0.0.1"}));
    const std::string magnet = seeding["magnet"];
    const std::string pe = "&x.pe=127.0.0.1:" + std::to_string(seederPort());
    ASSERT_NE(magnet.find(pe), std::string::npos) << magnet;
    EXPECT_EQ(magnet.find("&tr="), std::string::npos) << magnet;

    const auto got = get(magnet, "xpe");
    ASSERT_NO_FATAL_FAILURE(expectPaidDownload(got, "xpe", "x.pe"));

    // The control: the same link without x.pe leads nowhere, and get says why.
    std::string bare = magnet;
    bare.erase(bare.find(pe), pe.size());
    const auto lost = get(bare, "none", {}, 4);
    EXPECT_EQ(lost.exitCode, 1) << lost.err;
    EXPECT_NE(lost.err.find("no peer was found"), std::string::npos) << lost.err;
    EXPECT_NE(lost.out.find("\"complete\":false"), std::string::npos) << lost.out;
}

TEST_F(CliDiscovery, GetFindsTheSeederThroughAClosedDht)
{
    ChildProcess dhtNode({kPython, sourcePath("tests/py/dht_bootstrap_node.py"), "--duration", "90"},
                         ChildOptions{{}, dir / "dht.log"});
    ASSERT_TRUE(dhtNode.waitForOutput("\"event\": \"listening\"", 15s)) << dhtNode.output();
    std::smatch m;
    const std::string listening = dhtNode.output();
    ASSERT_TRUE(std::regex_search(listening, m, std::regex("\"port\": ([0-9]+)")));
    const std::string bootstrap = "127.0.0.1:" + m[1].str();

    ASSERT_NO_FATAL_FAILURE(startSeeder({"--dht-bootstrap", bootstrap}));
    const std::string magnet = seeding["magnet"];
    EXPECT_EQ(magnet.find("&tr="), std::string::npos) << magnet;
    EXPECT_EQ(magnet.find("x.pe="), std::string::npos) << magnet;
    const std::string infoHash = seeding["infoHash"];
    const std::string announced = "{\"event\": \"announce\", \"info_hash\": \"" + infoHash +
                                  "\", \"port\": " + std::to_string(seederPort()) + "}";
    // (How the DHT node ended, if it did: it once stopped 1.8 s in with no message.)
    const auto ended = [&]() -> std::string {
        if (dhtNode.running()) return "still running";
        if (dhtNode.exitCode()) return "exited with status " + std::to_string(*dhtNode.exitCode());
        return "ended by signal " + std::to_string(dhtNode.termSignal());
    };
    ASSERT_TRUE(dhtNode.waitForOutput(announced, 15s)) << "the seeder never announced to the DHT (the DHT node "
                                                       << ended() << "):\n" << dhtNode.output();

    const auto got = get(magnet, "dht", {"--dht-bootstrap", bootstrap});
    ASSERT_NO_FATAL_FAILURE(expectPaidDownload(got, "dht", "the DHT"));
}

TEST(CliDiscoveryFlags, SeedRefusesAMalformedTrackerAsAUsageErrorWithoutEchoingIt)
{
    TempDir dir;
    ::setenv("PAYTORRENT_PASSWORD", "cli test password", 1);
    std::filesystem::create_directories(dir / "share");
    writeRandomFile(dir / "share" / "a.bin", 1000, 1);
    auto r = runProcess({cli(), "seed", (dir / "share" / "a.bin").string(), "--tracker",
                         "ftp://tracker.example/passkey-91be/announce", "--data-dir", (dir / "n").string(), "--listen",
                         "127.0.0.1:0", "--local"},
                        {}, 60s);
    EXPECT_EQ(r.exitCode, 2) << r.err;
    EXPECT_NE(r.err.find("tracker URL must start with"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("passkey-91be"), std::string::npos) << r.err;
}

} // namespace
