// `paytorrent-cli bench transfer` as a user runs it: the built binary, with a tiny file and
// two increments, so that it takes seconds. The figures depend on the machine, so only their
// shape and what the payments must satisfy are checked, never their size.
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include "wallet/common/wei.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using nlohmann::json;

namespace {

constexpr std::uint64_t mib = 1 << 20;
constexpr std::uint64_t size = 8 * mib;
const pt::U256 price("1000000000000"); // the benchmark's default, in wei per MiB

pt::test::ProcessResult benchTransfer(const std::vector<std::string>& extra, std::chrono::seconds limit)
{
    std::vector<std::string> argv{pt::test::binaryPath("app/paytorrent-cli"), "bench", "transfer"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return pt::test::runProcess(argv, {}, limit);
}

pt::U256 weiOf(const json& j) { return pt::U256(j.get<std::string>()); }

// The whole machine was busy at least about as long as the two processes, and for a share of
// its cores' time. Slack: /proc/stat samples each core at 10 ms ticks while the processes'
// times are exact, so in an 8 MiB run (0.04-0.11 s of CPU) it reads up to 0.02 s lower.
void expectMachineCoversTheProcesses(const json& run)
{
    const double busy = run["machine_busy_core_seconds"].get<double>();
    const double processes = run["downloader_cpu_seconds"].get<double>() + run["seeder_cpu_seconds"].get<double>();
    EXPECT_GE(busy, 0.8 * processes - 0.05);
    const double share = run["machine_busy_share"].get<double>();
    EXPECT_GT(share, 0.0);
    EXPECT_LE(share, 1.0);
}

} // namespace

TEST(CliBenchTransfer, JsonHasPositiveFiguresAndThePaymentsCoverTheFile)
{
    pt::test::TempDir dir("paytorrent-bench-transfer-test");
    auto r = benchTransfer({"--json", "--size", "8MiB", "--increment", "256KiB,1MiB", "--dir", dir.path().string(), "--timeout",
                            "120"},
                           std::chrono::seconds(300));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json out = json::parse(r.out); // throws (fails the test) on anything but JSON
    ASSERT_TRUE(out.contains("transfer")) << r.out;
    const json& t = out["transfer"];
    EXPECT_EQ(t["size_bytes"].get<std::uint64_t>(), size);
    EXPECT_EQ(t["rounds"].get<int>(), 1);
    EXPECT_EQ(t["credit_window_bytes"].get<std::uint64_t>(), mib) << "the default window";

    const json& unpaid = t["unpaid"];
    EXPECT_GT(unpaid["seconds"].get<double>(), 0.0);
    EXPECT_GT(unpaid["mb_per_s"].get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(unpaid["ratio_to_unpaid"].get<double>(), 1.0);
    // MB/s is the size over the time, as printed.
    EXPECT_NEAR(unpaid["mb_per_s"].get<double>(), size / unpaid["seconds"].get<double>() / 1e6,
                1e-6 * unpaid["mb_per_s"].get<double>());
    EXPECT_GE(unpaid["downloader_cpu_seconds"].get<double>(), 0.0);
    EXPECT_GE(unpaid["seeder_cpu_seconds"].get<double>(), 0.0);
    expectMachineCoversTheProcesses(unpaid);

    // Each increment asked for, in order; 1 MiB is not below the 1 MiB window, so that run
    // has a window of two increments.
    ASSERT_EQ(t["paid"].size(), 2u);
    const std::uint64_t increments[] = {256 * 1024, mib};
    const std::uint64_t windows[] = {mib, 2 * mib};
    for (std::size_t i = 0; i < 2; ++i) {
        const json& p = t["paid"][i];
        SCOPED_TRACE(p.dump());
        EXPECT_EQ(p["increment_bytes"].get<std::uint64_t>(), increments[i]);
        const std::uint64_t window = p["credit_window_bytes"].get<std::uint64_t>();
        EXPECT_EQ(window, windows[i]);
        EXPECT_GT(p["seconds"].get<double>(), 0.0);
        EXPECT_GT(p["mb_per_s"].get<double>(), 0.0);
        EXPECT_GT(p["ratio_to_unpaid"].get<double>(), 0.0);
        EXPECT_NEAR(p["ratio_to_unpaid"].get<double>(), p["mb_per_s"].get<double>() / unpaid["mb_per_s"].get<double>(),
                    1e-6 * p["ratio_to_unpaid"].get<double>());

        // The first round trip, in the order it must happen.
        const json& steps = p["steps_seconds"];
        const double proposed = steps["channel_proposed"].get<double>();
        const double open = steps["deposit_mined"].get<double>();
        const double firstPayment = steps["first_payment_countersigned"].get<double>();
        const double firstByte = p["first_paid_byte_seconds"].get<double>();
        EXPECT_GT(proposed, 0.0);
        EXPECT_GE(open, proposed);
        EXPECT_GT(firstPayment, 0.0);
        // No paid byte comes before the deposit is mined (nothing is paid before). The
        // countersignature reaches the buyer before the first data (one connection), but
        // the buyer records it after its own commit, which the data can overtake.
        EXPECT_GE(firstByte, open) << "no paid byte comes before the deposit";
        EXPECT_LE(firstByte, p["seconds"].get<double>());
        EXPECT_GE(t["first_paid_byte_seconds"]["max"].get<double>(), firstByte);

        // What was paid covers the file and at most one window more; the credit window
        // bounds each payment, so there were at least size / window of them.
        const pt::U256 paid = weiOf(p["paid_wei"]);
        EXPECT_GE(paid, price * (size / mib));
        EXPECT_LE(paid, price * ((size + window) / mib));
        EXPECT_GE(p["payments"].get<std::uint64_t>(), size / window);
        EXPECT_GT(p["bytes_per_payment"].get<double>(), 0.0);
        // The buyer timed its payments from send to countersignature: the trigger sends all
        // but the final state, and every one is answered before the channel closes.
        const json& answer = p["payment_answer_ms"];
        EXPECT_GT(answer["timed"].get<std::uint64_t>(), 0u);
        EXPECT_LE(answer["timed"].get<std::uint64_t>(), p["payments"].get<std::uint64_t>());
        EXPECT_GT(answer["p50"].get<double>(), 0.0);
        EXPECT_LE(answer["p50"].get<double>(), answer["p90"].get<double>());
        EXPECT_LE(answer["p90"].get<double>(), answer["p99"].get<double>());
        EXPECT_EQ(p["channel_status"].get<std::string>(), "closed");
        expectMachineCoversTheProcesses(p);

        // What a payment cost, and the ratio its signatures alone would allow, from this
        // run's own CPU figures and the signature timing below.
        const double unpaidCpu = unpaid["downloader_cpu_seconds"].get<double>() + unpaid["seeder_cpu_seconds"].get<double>();
        const double paidCpu = p["downloader_cpu_seconds"].get<double>() + p["seeder_cpu_seconds"].get<double>();
        const auto payments = static_cast<double>(p["payments"].get<std::uint64_t>());
        const double signatureSeconds = t["signatures"]["ms_per_payment"].get<double>() / 1e3;
        if (unpaidCpu > 0) {
            EXPECT_NEAR(p["cpu_ms_per_payment"].get<double>(), 1e3 * (paidCpu - unpaidCpu) / payments, 1e-9);
            const double bound = p["ratio_if_only_signatures"].get<double>();
            EXPECT_NEAR(bound, unpaidCpu / (unpaidCpu + payments * signatureSeconds), 1e-9);
            EXPECT_GT(bound, 0.0);
            EXPECT_LT(bound, 1.0) << "signatures cost something";
        } else {
            EXPECT_EQ(p["cpu_ms_per_payment"].get<double>(), -1.0);
            EXPECT_EQ(p["ratio_if_only_signatures"].get<double>(), -1.0);
        }
    }
    // Two signatures and two recoveries per payment, at the speeds timed.
    const json& sigs = t["signatures"];
    ASSERT_GT(sigs["signatures_per_s"].get<double>(), 0.0);
    ASSERT_GT(sigs["recoveries_per_s"].get<double>(), 0.0);
    EXPECT_NEAR(sigs["ms_per_payment"].get<double>(),
                2e3 / sigs["signatures_per_s"].get<double>() + 2e3 / sigs["recoveries_per_s"].get<double>(), 1e-9);
    EXPECT_GT(t["first_paid_byte_seconds"]["median"].get<double>(), 0.0);

    ASSERT_TRUE(t["goals"].contains("ratio_at_256_kib"));
    EXPECT_TRUE(t["goals"]["ratio_at_256_kib"]["met"].is_boolean());
    EXPECT_FALSE(t["goals"].contains("ratio_at_16_kib")) << "16 KiB was not measured";
    EXPECT_GE(t["machine"]["cores"].get<int>(), 1);
    EXPECT_FALSE(t["machine"]["file_system"].get<std::string>().empty());

    // The scratch directory (files, both nodes, the chain) is gone afterwards.
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(CliBenchTransfer, BadSizesAreUsageErrors)
{
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--size", "lots"},
                                                 std::vector<std::string>{"--size", "1KiB"},
                                                 std::vector<std::string>{"--increment", "8KiB"},
                                                 std::vector<std::string>{"--window", "2TiB"}}) {
        auto r = benchTransfer(args, std::chrono::seconds(30));
        EXPECT_EQ(r.exitCode, 2) << args[0] << " " << args[1] << ": " << r.err;
        EXPECT_TRUE(r.out.empty());
    }
}
