// `paytorrent-cli bench <what>`: measurements of this machine. `bench wallet` is here; other
// benchmarks register themselves with BenchRegistration from their own files.
#include "bench_command.hpp"

#include "paytorrent/bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

namespace paytorrent::cli {

std::vector<RegisteredCommand>& registeredBenchmarks()
{
    static std::vector<RegisteredCommand> benchmarks;
    return benchmarks;
}

BenchRegistration::BenchRegistration(std::string name, CommandSetup setup)
{
    registeredBenchmarks().push_back({std::move(name), std::move(setup)});
}

namespace {

const CommandRegistration bench_command{"bench", [](CLI::App& app, int& exitCode) {
    CLI::App* bench = app.add_subcommand("bench", "Measure parts of the node on this machine");
    bench->require_subcommand(1);
    auto benchmarks = registeredBenchmarks();
    std::sort(benchmarks.begin(), benchmarks.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (auto& b : benchmarks) b.setup(*bench, exitCode);
}};

std::string perSecond(double v) { return fmt::format("{:>12.0f} /s", v); }
// How much of one core the process had while measuring: a busy machine shows here first.
std::string cpu(const BenchRate& r) { return fmt::format("cpu {:>3.0f}%", r.seconds > 0 ? 100 * r.cpuSeconds / r.seconds : 0); }

void printWallet(const WalletBenchReport& r, const WalletBenchOptions& o)
{
    auto goal = [](double ratio, double target) {
        return fmt::format("{:.2f} of the limit (goal {:.2f}: {})", ratio, target, ratio >= target ? "met" : "NOT met");
    };
    std::cout << fmt::format("Wallet benchmark: {} rounds, at most {:.2f} s per measurement\n", std::max(1, o.rounds),
                             o.secondsPerMeasurement.count())
              << "crypto\n"
              << fmt::format("  sign             {}  {}\n", perSecond(r.sign.perSecond()), cpu(r.sign))
              << fmt::format("  recover          {}  {}\n", perSecond(r.recover.perSecond()), cpu(r.recover))
              << fmt::format("  keccak-256 (32B) {}  {}\n", perSecond(r.keccak.perSecond()), cpu(r.keccak))
              << fmt::format("  state digest     {}  {}  (stateHash + Ethereum prefix of a channel state)\n",
                             perSecond(r.stateHash.perSecond()), cpu(r.stateHash))
              << fmt::format("  limit            {}            payments: 1 / (2 t_sign + 2 t_recover)\n",
                             perSecond(r.cryptoLimit))
              << "countersigned payments end to end (payer signs; beneficiary validates, countersigns, persists;\n"
              << "payer verifies), channels paid round-robin\n"
              << fmt::format("  in memory        {}  {}  {}\n", perSecond(r.memory.perSecond()), cpu(r.memory),
                             goal(r.memoryRatio, WalletBenchReport::memoryGoal))
              << fmt::format("  durable SQLite   {}  {}  {}\n", perSecond(r.durable.perSecond()), cpu(r.durable),
                             goal(r.durableRatio, WalletBenchReport::durableGoal))
              << fmt::format("                   on a commit thread: batches of {}, at most {} in flight, {} channels;\n"
                             "                   {} commits of {:.0f} payments on average\n",
                             r.groupCommit, r.pipelineDepth, r.channels, r.commits, r.paymentsPerCommitMean)
              << fmt::format("                   writing rows {:.0f} us per payment, commit (fsync) {:.1f} ms mean\n",
                             r.writeMicrosPerPayment, r.commitMillisMean)
              << fmt::format("  durable, inline  {}  {}  {:.2f} of the limit (commit on the signing thread)\n",
                             perSecond(r.durableInline.perSecond()), cpu(r.durableInline), r.durableInlineRatio)
              << fmt::format("storage: {} ({}), WAL, synchronous=FULL\n", r.storageFileSystem, r.storageDirectory);
    const double share = (r.sign.cpuSeconds + r.recover.cpuSeconds + r.memory.cpuSeconds) /
                         std::max(1e-9, r.sign.seconds + r.recover.seconds + r.memory.seconds);
    if (share < 0.9)
        std::cout << fmt::format("note: the machine was busy (this process had {:.0f}% of a core while signing); "
                                 "the ratios are noisy, run again when it is idle\n",
                                 100 * share);
    if (r.storageFileSystem == "tmpfs")
        std::cout << "note: tmpfs makes fsync free; use --dir on a disk for a durable figure\n";
}

const BenchRegistration wallet_bench{"wallet", [](CLI::App& bench, int& exitCode) {
    struct Args {
        bool json = false;
        double seconds = 0.6;
        std::uint64_t count = 0;
        int rounds = 2;
        std::size_t groupCommit = 64;
        std::string dir;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = bench.add_subcommand(
        "wallet", "Signatures, hashes, and countersigned payments per second, in memory and with durable SQLite");
    cmd->add_flag("--json", args->json, "Print one JSON object");
    cmd->add_option("--seconds", args->seconds, "Wall time per measurement (there are seven)")
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    cmd->add_option("--count", args->count, "At most this many operations per measurement (0: no cap)")
        ->capture_default_str();
    cmd->add_option("--rounds", args->rounds, "Interleaved rounds the measurements are split into")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    cmd->add_option("--group-commit", args->groupCommit, "Payments per batch (one per channel); a commit holds one batch or more")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    cmd->add_option("--dir", args->dir, "Directory for the benchmark database (default: the temporary directory)");
    cmd->callback([args, &exitCode] {
        WalletBenchOptions options;
        options.secondsPerMeasurement = std::chrono::duration<double>(args->seconds);
        options.maxCount = args->count;
        options.rounds = args->rounds;
        options.groupCommit = args->groupCommit;
        options.directory = args->dir;
        auto report = runWalletBench(options);
        if (!report) {
            std::cerr << "bench wallet: " << report.error().describe() << "\n";
            exitCode = exit_failure;
            return;
        }
        if (args->json)
            std::cout << nlohmann::json{{"wallet", toJson(*report)}}.dump(2) << "\n";
        else
            printWallet(*report, options);
        exitCode = exit_ok;
    });
}};

} // namespace

} // namespace paytorrent::cli
