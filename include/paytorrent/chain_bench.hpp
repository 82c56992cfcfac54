// `paytorrent-cli bench chain`: what the channel lifecycle costs on chain and how long a
// force-close takes, measured on a fresh local chain (anvil + the real NitroAdjudicator).
#pragma once

#include "wallet/common/result.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace paytorrent {

struct ChainBenchOptions {
    std::optional<std::filesystem::path> nodeToolsDir; // default: $PAYTORRENT_NODE_TOOLS or the build's
    std::filesystem::path directory;                   // for the chain and stores; the temp dir when empty
    std::uint64_t challengeWindow = 60;                // seconds (evm_increaseTime skips it)
    std::chrono::milliseconds pollInterval{1000};      // the watchtower's, as a node runs it
    int rounds = 3;                                    // force-closes timed (the median is reported)
};

struct ChainBenchReport {
    // Gas of each operation, from its receipt (two-party ETH channel, one doubly signed state).
    std::uint64_t depositGas = 0;     // the payer's first deposit
    std::uint64_t concludeGas = 0;    // concludeAndTransferAllAssets: the cooperative exit
    std::uint64_t challengeGas = 0;
    std::uint64_t checkpointGas = 0;  // answering a stale challenge
    std::uint64_t transferGas = 0;    // transferAllAssets after the window
    [[nodiscard]] std::uint64_t forcedExitGas() const noexcept { return challengeGas + transferGas; }

    // From `challenge` to the funds in the wallet, without the window itself (medians):
    double challengeSeconds = 0; // challenge() called -> challenge mined and recorded
    double payoutSeconds = 0;    // window over (time advanced) -> the watchtower's transfer seen in the balance
    double totalSeconds = 0;     // the sum of the two
    std::uint64_t challengeWindow = 0;
    std::int64_t pollIntervalMs = 0;
    int rounds = 0;
    std::string client; // web3_clientVersion of the chain measured

    // The Nitro authors' figures (nitro-protocol 0.17.3 docs, direct-funded channel).
    static constexpr std::uint64_t nitroDeposit = 46'500;
    static constexpr std::uint64_t nitroCooperativeExit = 111'500;
    static constexpr std::uint64_t nitroChallenge = 113'000;
    static constexpr std::uint64_t nitroTransfer = 82'000;
    static constexpr std::uint64_t nitroForcedExit = 195'000;
    static constexpr std::uint64_t nitroCheckpoint = 72'000; // "about 70-74k"
};

[[nodiscard]] pt::Result<ChainBenchReport> runChainBench(const ChainBenchOptions& options);

[[nodiscard]] nlohmann::json toJson(const ChainBenchReport& report);

} // namespace paytorrent
