// `paytorrent-cli bench wallet` as a user runs it: the built binary, bounded to a tiny count.
// The figures depend on the machine, so only their shape is checked, never their size.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using nlohmann::json;

namespace {

pt::test::ProcessResult benchWallet(const std::vector<std::string>& extra)
{
    std::vector<std::string> argv{pt::test::binaryPath("app/paytorrent-cli"), "bench", "wallet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return pt::test::runProcess(argv, {}, std::chrono::seconds(120));
}

constexpr int count = 12;
constexpr int groupCommit = 4;

} // namespace

TEST(CliBenchWallet, JsonHasPositiveFiguresForEveryMeasurement)
{
    pt::test::TempDir dir("paytorrent-bench-test");
    // A count this small ends each measurement long before its (generous) time.
    auto r = benchWallet({"--json", "--count", std::to_string(count), "--seconds", "60", "--rounds", "1",
                          "--group-commit", std::to_string(groupCommit), "--dir", dir.path().string()});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json out = json::parse(r.out); // throws (fails the test) on anything but JSON
    ASSERT_TRUE(out.contains("wallet"));
    const json& w = out["wallet"];

    for (const char* name : {"sign", "recover", "keccak256", "state_digest", "memory", "durable", "durable_inline"}) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(w.contains(name));
        EXPECT_EQ(w[name]["operations"].get<int>(), count) << "--count bounds every measurement";
        EXPECT_GT(w[name]["seconds"].get<double>(), 0.0);
        EXPECT_GE(w[name]["cpu_seconds"].get<double>(), 0.0);
        EXPECT_GT(w[name]["per_second"].get<double>(), 0.0);
    }
    const double limit = w["crypto_limit_payments_per_second"].get<double>();
    EXPECT_GT(limit, 0.0);
    for (const char* name : {"memory", "durable", "durable_inline"}) {
        SCOPED_TRACE(name);
        const double ratio = w[name]["ratio_to_limit"].get<double>();
        EXPECT_GT(ratio, 0.0);
        // The ratio is the rate over the limit, as printed.
        EXPECT_NEAR(ratio, w[name]["per_second"].get<double>() / limit, 1e-6 * ratio);
    }
    EXPECT_EQ(w["durable"]["batch_size"].get<int>(), groupCommit);
    // 12 payments in batches of 4: one to three group commits (batches that queue up behind
    // a running commit share the next one), and the mean says how many payments each held.
    const int commits = w["durable"]["commits"].get<int>();
    EXPECT_GE(commits, 1);
    EXPECT_LE(commits, count / groupCommit);
    EXPECT_NEAR(w["durable"]["payments_per_commit_mean"].get<double>() * commits, count, 1e-9);
    EXPECT_GE(w["durable"]["pipeline_depth"].get<int>(), 1);
    EXPECT_EQ(w["channels"].get<int>(), w["durable"]["pipeline_depth"].get<int>() * groupCommit);
    EXPECT_FALSE(w["durable"]["file_system"].get<std::string>().empty());
    EXPECT_TRUE(w["memory"]["goal_met"].is_boolean());

    // The benchmark database lived in --dir and is gone afterwards.
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(CliBenchWallet, TextOutputNamesEachFigure)
{
    auto r = benchWallet({"--count", "4", "--seconds", "60", "--rounds", "2", "--group-commit", "2"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    for (const char* line : {"sign", "recover", "keccak-256", "state digest", "limit", "in memory", "durable SQLite",
                             "of the limit"})
        EXPECT_NE(r.out.find(line), std::string::npos) << "missing '" << line << "' in:\n" << r.out;
}

TEST(CliBenchWallet, BadUsageExitsWithTwo)
{
    EXPECT_EQ(benchWallet({"--seconds", "0"}).exitCode, 2);
    EXPECT_EQ(benchWallet({"--group-commit", "0"}).exitCode, 2);
    EXPECT_EQ(benchWallet({"--no-such-flag"}).exitCode, 2);
    auto bare = pt::test::runProcess({pt::test::binaryPath("app/paytorrent-cli"), "bench"}, {}, std::chrono::seconds(30));
    EXPECT_EQ(bare.exitCode, 2) << "bench needs a subcommand";
}

TEST(CliBenchWallet, UnwritableDirectoryFailsWithOne)
{
    auto r = benchWallet({"--count", "1", "--dir", "/nonexistent/paytorrent-bench"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("bench wallet:"), std::string::npos) << r.err;
}
