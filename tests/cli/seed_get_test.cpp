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

// What a paid download between a `seed` process and a `get` process left behind.
struct PaidDownload {
    std::size_t size = 0;
    uint512_t price;
    std::string peer;
    nlohmann::json summary;          // get's JSON summary
    std::vector<uint512_t> earnings; // the seeder's "payment" events: its running total each
    std::vector<uint512_t> amounts;  // and the payment each reports
    bool identical = false;          // the downloaded file equals the seeded one
};

// Seeds a 3 MiB file at 2 x 10^12 wei per MiB and downloads it with `get` (plus `getArgs`).
void paidDownload(const std::vector<std::string>& getArgs, PaidDownload& out)
{
    TempDir dir;
    ::setenv("PAYTORRENT_PASSWORD", "cli test password", 1);
    std::filesystem::create_directories(dir / "share");
    out.size = 3 * (1 << 20) + 777;
    const std::string data = writeRandomFile(dir / "share" / "song.bin", out.size, 11);
    const std::string price = "2000000000000"; // wei per MiB
    out.price = uint512_t(price);

    ChildProcess seeder({cli(), "seed", (dir / "share" / "song.bin").string(), "--price", price, "--data-dir",
                         (dir / "seeder").string(), "--listen", "127.0.0.1:0", "--local", "--challenge-duration", "60",
                         "--json"},
                        ChildOptions{{}, dir / "seeder.log"});
    ASSERT_TRUE(seeder.waitForOutput("\"event\":\"seeding\"", std::chrono::seconds(60))) << seeder.output();
    auto seeding = findEvent(seeder.output(), "seeding");
    ASSERT_TRUE(seeding);
    const std::string magnet = (*seeding)["magnet"];
    EXPECT_NE(magnet.find("x.pt.price=" + price), std::string::npos);

    out.peer = "127.0.0.1:" + std::to_string((*seeding)["port"].get<int>());
    std::vector<std::string> args{cli(), "get", magnet, "--out", (dir / "out").string(), "--max-price", price, "--budget",
                                  "1000000000000000000", "--peer", out.peer, "--data-dir", (dir / "leecher").string(),
                                  "--listen", "127.0.0.1:0", "--local", "--challenge-duration", "60", "--chain-rpc",
                                  (*seeding)["chain"]["rpc"], "--adjudicator", (*seeding)["chain"]["adjudicator"],
                                  "--json", "--timeout", "60"};
    args.insert(args.end(), getArgs.begin(), getArgs.end());
    auto got = runProcess(args, {}, std::chrono::seconds(120));
    ASSERT_EQ(got.exitCode, 0) << got.err << got.out;
    out.summary = nlohmann::json::parse(got.out);
    out.identical = readFile(dir / "out" / "song.bin") == data;

    ASSERT_TRUE(seeder.waitForOutput("\"event\":\"payment\"", std::chrono::seconds(5)));
    std::istringstream lines(seeder.output());
    std::string line;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("event", "") == "payment") {
            out.earnings.emplace_back(j["total_wei"].get<std::string>());
            out.amounts.emplace_back(j["amount_wei"].get<std::string>());
        }
    }
}

} // namespace

TEST(CliSeedGet, PaidDownloadBetweenTwoProcessesPrintsTheSummaryAndClosesOnChain)
{
    PaidDownload d;
    ASSERT_NO_FATAL_FAILURE(paidDownload({}, d));
    EXPECT_EQ(d.summary["bytes"].get<std::int64_t>(), static_cast<std::int64_t>(d.size));
    ASSERT_EQ(d.summary["channels"].size(), 1u);
    EXPECT_EQ(d.summary["channels"][0]["status"], "closed");
    EXPECT_EQ(d.summary["channels"][0]["peer"], d.peer);
    const uint512_t paid(d.summary["paid_wei"].get<std::string>());
    const uint512_t exact = (uint512_t(d.size) * d.price + (1 << 20) - 1) >> 20;
    EXPECT_GE(paid, exact);
    EXPECT_LE(paid, exact + d.price); // plus at most the 1 MiB credit window
    EXPECT_TRUE(d.identical);
    // The seeder reported the payments it earned, summing to what the downloader paid.
    ASSERT_FALSE(d.earnings.empty());
    EXPECT_EQ(d.earnings.back(), paid);
}

// --increment and --window set how the buyer pays: 64 KiB at a time within 128 KiB (a
// top-up after a pause at most a whole window), where the defaults pay 256 KiB at a time
// within 1 MiB; the overpayment bound is then 128 KiB's worth instead of 1 MiB's.
TEST(CliSeedGet, GetPaysInTheIncrementAndWithinTheWindowItIsGiven)
{
    PaidDownload d;
    ASSERT_NO_FATAL_FAILURE(paidDownload({"--increment", "64KiB", "--window", "128KiB"}, d));
    EXPECT_EQ(d.summary["bytes"].get<std::int64_t>(), static_cast<std::int64_t>(d.size));
    EXPECT_TRUE(d.identical);
    const uint512_t paid(d.summary["paid_wei"].get<std::string>());
    const uint512_t exact = (uint512_t(d.size) * d.price + (1 << 20) - 1) >> 20;
    EXPECT_GE(paid, exact);
    EXPECT_LE(paid, exact + d.price / 8) << "at most the 128 KiB window's worth beyond the file";
    // 3 MiB in payments of at most 128 KiB: at least 25 (the defaults make 13).
    EXPECT_GE(d.earnings.size(), 25u);
    ASSERT_FALSE(d.earnings.empty());
    EXPECT_EQ(d.earnings.back(), paid);
    // Each event's total is the last one's plus its own payment (not a later payment's total,
    // which the seller may have accepted while this one was being stored).
    EXPECT_EQ(d.earnings.front(), d.amounts.front());
    for (std::size_t i = 1; i < d.earnings.size(); ++i) {
        EXPECT_EQ(d.earnings[i] - d.earnings[i - 1], d.amounts[i]) << "payment " << i;
        EXPECT_LE(d.amounts[i], d.price / 8) << "payment " << i << " is more than 128 KiB's worth";
    }
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

    // Payment sizes: not a size, an increment below one block, a window below the increment
    // or above 1 GiB; for get and seed alike, before any wallet is opened.
    WithoutPassword noPassword;
    const std::vector<std::vector<std::string>> sizes = {
        {"--window", "lots"}, {"--increment", "8KiB"}, {"--increment", "2MiB"}, {"--window", "2GiB"}};
    for (const auto& flags : sizes) {
        for (const std::string command : {"get", "seed"}) {
            std::vector<std::string> args{cli(), command};
            if (command == "get")
                args.insert(args.end(), {"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", "--out",
                                         (dir / "out").string(), "--max-price", "1", "--budget", "1"});
            else
                args.insert(args.end(), {(dir / "missing").string(), "--price", "1"});
            args.insert(args.end(), {"--data-dir", (dir / "n").string()});
            args.insert(args.end(), flags.begin(), flags.end());
            auto bad = runProcess(args);
            EXPECT_EQ(bad.exitCode, 2) << command << " " << flags[0] << " " << flags[1] << ": " << bad.err;
            EXPECT_NE(bad.err.find("bad payment sizes"), std::string::npos) << bad.err;
        }
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "n"));
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
