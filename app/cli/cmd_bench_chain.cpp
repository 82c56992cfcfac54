// `paytorrent-cli bench chain`: gas of deposit, cooperative close, challenge, checkpoint and
// transfer on a fresh local chain, beside the Nitro authors' figures, and the time from
// `challenge` to the funds in the wallet with the window skipped by evm_increaseTime.
#include "bench_command.hpp"

#include "paytorrent/chain_bench.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace paytorrent::cli {
namespace {

void printChain(const ChainBenchReport& r)
{
    auto row = [](const char* what, std::uint64_t ours, std::uint64_t nitro) {
        return fmt::format("  {:<38} {:>9}   {:>9}   {:+.1f} %\n", what, ours, nitro,
                           100.0 * (static_cast<double>(ours) - static_cast<double>(nitro)) / static_cast<double>(nitro));
    };
    std::cout << "Chain benchmark on " << r.client << " with the NitroAdjudicator of nitro-protocol 0.17.3\n"
              << fmt::format("  {:<38} {:>9}   {:>9}   {}\n", "gas", "here", "Nitro", "difference")
              << row("deposit (first)", r.depositGas, ChainBenchReport::nitroDeposit)
              << row("cooperative close (conclude+transfer)", r.concludeGas, ChainBenchReport::nitroCooperativeExit)
              << row("challenge", r.challengeGas, ChainBenchReport::nitroChallenge)
              << row("checkpoint", r.checkpointGas, ChainBenchReport::nitroCheckpoint)
              << row("transferAllAssets after the window", r.transferGas, ChainBenchReport::nitroTransfer)
              << row("forced exit (challenge + transfer)", r.forcedExitGas(), ChainBenchReport::nitroForcedExit)
              << fmt::format("challenge to funds received ({} s window skipped, watchtower polling every {} ms, "
                             "median of {}):\n",
                             r.challengeWindow, r.pollIntervalMs, r.rounds)
              << fmt::format("  challenge mined       {:8.3f} s\n", r.challengeSeconds)
              << fmt::format("  window over -> funds  {:8.3f} s\n", r.payoutSeconds)
              << fmt::format("  total                 {:8.3f} s (plus the window)\n", r.totalSeconds);
}

const BenchRegistration chain_bench{"chain", [](CLI::App& bench, int& exitCode) {
    struct Args {
        bool json = false;
        std::uint64_t window = 60;
        unsigned pollMs = 1000;
        int rounds = 3;
        std::string dir;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = bench.add_subcommand(
        "chain", "Gas of each channel operation, and the time from challenge to funds, on a fresh local chain");
    cmd->add_flag("--json", args->json, "Print one JSON object");
    cmd->add_option("--window", args->window, "Challenge window in seconds (skipped with evm_increaseTime)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{30} * 24 * 3600))
        ->capture_default_str();
    cmd->add_option("--poll-ms", args->pollMs, "Watchtower poll interval in milliseconds")
        ->check(CLI::Range(10u, 60'000u))
        ->capture_default_str();
    cmd->add_option("--rounds", args->rounds, "Force-closes timed (the median is printed)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    cmd->add_option("--dir", args->dir, "Directory for the chain's files (default: the temporary directory)");
    cmd->callback([args, &exitCode] {
        ChainBenchOptions o;
        o.challengeWindow = args->window;
        o.pollInterval = std::chrono::milliseconds(args->pollMs);
        o.rounds = args->rounds;
        o.directory = args->dir;
        auto report = runChainBench(o);
        if (!report) {
            std::cerr << "paytorrent-cli: " << report.error().describe() << "\n";
            exitCode = exit_failure;
            return;
        }
        if (args->json)
            std::cout << nlohmann::json{{"chain", toJson(*report)}}.dump(2) << "\n";
        else
            printChain(*report);
        exitCode = exit_ok;
    });
}};

} // namespace
} // namespace paytorrent::cli
