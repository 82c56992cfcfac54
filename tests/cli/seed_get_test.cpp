// `paytorrent-cli seed`, `get` and `demo` as real processes: a seeder process with the
// embedded chain, a downloader process on the same chain, a paid download over loopback.
#include "support/child_process.hpp"
#include "support/files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

using namespace pt::test;
using boost::multiprecision::uint512_t;

namespace {

std::string cli() { return binaryPath("app/paytorrent-cli"); }

// The first line of the child's output that parses as a JSON object with "event" == name.
std::optional<nlohmann::json> findEvent(const std::string& output, const std::string& name)
{
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("event", "") == name) return j;
    }
    return std::nullopt;
}

// PAYTORRENT_PASSWORD unset for the scope (other tests of this binary set it).
class WithoutPassword {
public:
    WithoutPassword()
    {
        if (const char* p = std::getenv("PAYTORRENT_PASSWORD")) saved_ = p;
        ::unsetenv("PAYTORRENT_PASSWORD");
    }
    ~WithoutPassword()
    {
        if (saved_) ::setenv("PAYTORRENT_PASSWORD", saved_->c_str(), 1);
    }
    WithoutPassword(const WithoutPassword&) = delete;
    WithoutPassword& operator=(const WithoutPassword&) = delete;

private:
    std::optional<std::string> saved_;
};

} // namespace

TEST(CliSeedGet, PaidDownloadBetweenTwoProcessesPrintsTheSummaryAndClosesOnChain)
{
    TempDir dir;
    ::setenv("PAYTORRENT_PASSWORD", "cli test password", 1);
    std::filesystem::create_directories(dir / "share");
    const std::size_t size = 3 * (1 << 20) + 777;
    const std::string data = writeRandomFile(dir / "share" / "song.bin", size, 11);
    const std::string price = "2000000000000"; // wei per MiB

    ChildProcess seeder({cli(), "seed", (dir / "share" / "song.bin").string(), "--price", price, "--data-dir",
                         (dir / "seeder").string(), "--listen", "127.0.0.1:0", "--local", "--challenge-duration", "60",
                         "--json"},
                        ChildOptions{{}, dir / "seeder.log"});
    ASSERT_TRUE(seeder.waitForOutput("\"event\":\"seeding\"", std::chrono::seconds(60))) << seeder.output();
    auto seeding = findEvent(seeder.output(), "seeding");
    ASSERT_TRUE(seeding);
    const std::string magnet = (*seeding)["magnet"];
    EXPECT_NE(magnet.find("x.pt.price=" + price), std::string::npos);

    const std::string peer = "127.0.0.1:" + std::to_string((*seeding)["port"].get<int>());
    auto got = runProcess({cli(), "get", magnet, "--out", (dir / "out").string(), "--max-price", price, "--budget",
                           "1000000000000000000", "--peer", peer, "--data-dir", (dir / "leecher").string(), "--listen",
                           "127.0.0.1:0", "--local", "--challenge-duration", "60", "--chain-rpc",
                           (*seeding)["chain"]["rpc"], "--adjudicator", (*seeding)["chain"]["adjudicator"], "--json",
                           "--timeout", "60"},
                          {}, std::chrono::seconds(120));
    ASSERT_EQ(got.exitCode, 0) << got.err << got.out;
    auto summary = nlohmann::json::parse(got.out);
    EXPECT_EQ(summary["bytes"].get<std::int64_t>(), static_cast<std::int64_t>(size));
    ASSERT_EQ(summary["channels"].size(), 1u);
    EXPECT_EQ(summary["channels"][0]["status"], "closed");
    EXPECT_EQ(summary["channels"][0]["peer"], peer);
    const uint512_t paid(summary["paid_wei"].get<std::string>());
    const uint512_t p(price);
    const uint512_t exact = (uint512_t(size) * p + (1 << 20) - 1) >> 20;
    EXPECT_GE(paid, exact);
    EXPECT_LE(paid, exact + p); // plus at most the 1 MiB credit window
    EXPECT_EQ(readFile(dir / "out" / "song.bin"), data);

    // The seeder reported the payments it earned, summing to what the downloader paid.
    ASSERT_TRUE(seeder.waitForOutput("\"event\":\"payment\"", std::chrono::seconds(5)));
    uint512_t last = 0;
    std::istringstream lines(seeder.output());
    std::string line;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("event", "") == "payment")
            last = uint512_t(j["total_wei"].get<std::string>());
    }
    EXPECT_EQ(last, paid);
}

TEST(CliSeedGet, GetRefusesAPriceAboveTheMaximumWithExitCode2)
{
    TempDir dir;
    ::setenv("PAYTORRENT_PASSWORD", "cli test password", 1);
    auto r = runProcess({cli(), "get", "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pt.price=900",
                         "--out", (dir / "out").string(), "--max-price", "100", "--budget", "1000", "--data-dir",
                         (dir / "n").string(), "--listen", "127.0.0.1:0", "--local"},
                        {}, std::chrono::seconds(60));
    EXPECT_EQ(r.exitCode, 2) << r.err;
    EXPECT_NE(r.err.find("900 wei per MiB"), std::string::npos) << r.err;
}

// A source that cannot be downloaded is a usage error found before anything else: no
// password asked for, no wallet created, no chain started.
TEST(CliSeedGet, GetRefusesABadSourceBeforeTouchingTheWallet)
{
    TempDir dir;
    WithoutPassword noPassword;
    const std::string notBencoded = (dir / "not.torrent").string();
    std::ofstream(notBencoded) << "this is not a torrent";
    const std::pair<std::string, std::string> cases[] = {
        {"magnet:?xt=urn:btih:zz", "info-hash"},
        {"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pt.price=abc", "x.pt.price"},
        {(dir / "missing.torrent").string(), "cannot read"},
        {notBencoded, "cannot download"},
    };
    for (const auto& [source, reason] : cases) {
        auto r = runProcess({cli(), "get", source, "--out", (dir / "out").string(), "--max-price", "100", "--budget",
                             "1000", "--data-dir", (dir / "n").string()},
                            {}, std::chrono::seconds(30));
        EXPECT_EQ(r.exitCode, 2) << source << ": " << r.err;
        EXPECT_NE(r.err.find("cannot download: "), std::string::npos) << source << ": " << r.err;
        EXPECT_NE(r.err.find(reason), std::string::npos) << source << ": " << r.err;
        EXPECT_EQ(r.err.find("password"), std::string::npos) << source << ": " << r.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "n")) << "no data directory, so no wallet, was created";
    EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

// The same for seed: a path with nothing to share is refused before the wallet is opened.
TEST(CliSeedGet, SeedRefusesAPathWithNothingToShareBeforeTouchingTheWallet)
{
    TempDir dir;
    WithoutPassword noPassword;
    std::ofstream(dir / "empty.bin").close();
    std::filesystem::create_directories(dir / "empty-folder");
    const std::pair<std::string, std::string> cases[] = {
        {(dir / "missing.bin").string(), "no such file or folder"},
        {(dir / "empty.bin").string(), "nothing to share"},
        {(dir / "empty-folder").string(), "nothing to share"},
    };
    for (const auto& [path, reason] : cases) {
        auto r = runProcess({cli(), "seed", path, "--price", "100", "--data-dir", (dir / "n").string()}, {},
                            std::chrono::seconds(30));
        EXPECT_EQ(r.exitCode, 2) << path << ": " << r.err;
        EXPECT_NE(r.err.find("cannot seed " + path), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(reason), std::string::npos) << path << ": " << r.err;
        EXPECT_EQ(r.err.find("password"), std::string::npos) << path << ": " << r.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "n")) << "no data directory, so no wallet, was created";
}

TEST(CliSeedGet, BadAmountsAreUsageErrors)
{
    TempDir dir;
    auto r = runProcess({cli(), "get", "magnet:?xt=urn:btih:00", "--max-price", "1.5", "--data-dir", (dir / "n").string()});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("--max-price"), std::string::npos) << r.err;
}

TEST(CliDemo, TradesAFileAndSettlesOnChain)
{
    auto r = runProcess({cli(), "demo", "--size", "2", "--json"}, {}, std::chrono::seconds(120));
    ASSERT_EQ(r.exitCode, 0) << r.err << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j["identical"].get<bool>());
    EXPECT_TRUE(j["channels_closed"].get<bool>());
    EXPECT_GT(j["payments"].size(), 0u);
    const uint512_t paid(j["paid_wei"].get<std::string>());
    const uint512_t price("1000000000000000");
    EXPECT_GE(paid, 2 * price);
    EXPECT_LE(paid, 3 * price);
}
