// The embedded development chain: anvil (from the project's npm install) as a child process
// on a free loopback port, its state kept in a data directory so balances and contracts
// survive a restart. Started with fork + exec (no shell); stopped with SIGTERM (anvil then
// writes its state), SIGKILL after a bound.
#pragma once

#include "wallet/chain/chain_error.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pt::chain {

// anvil's chain id unless told otherwise.
inline constexpr std::uint64_t anvil_default_chain_id = 31337;

struct AnvilOptions {
    std::filesystem::path binary;  // see anvilBinaryIn()
    std::filesystem::path dataDir; // holds anvil-state.json, anvil.log, anvil.pid
    bool persistState = true;      // load and dump dataDir/anvil-state.json
    std::uint64_t chainId = anvil_default_chain_id;
    // Seconds between periodic state dumps, so a crash of the node loses little chain state
    // (a clean stop always dumps). 0 disables the periodic dump.
    unsigned stateIntervalSeconds = 2;
    std::chrono::milliseconds startTimeout{20'000};
    std::chrono::milliseconds stopTimeout{5'000};
    // A fixed port (e.g. for a shared chain other nodes connect to); none: a free one is
    // picked, and picked again if another process takes it before anvil binds it.
    std::optional<std::uint16_t> port;
    unsigned portAttempts = 5;
    std::vector<std::string> extraArgs;
    // Linux PR_SET_PDEATHSIG: anvil gets SIGTERM if the thread that started it ends (a crash
    // of the node, or of a test). Off by default because it fires on the end of the starting
    // *thread*, not the process: turn it on only when that thread lives as long as the chain
    // (the main thread, or the engine thread). Without it, the pid file lets the next start
    // stop an anvil a crashed node left behind.
    bool stopWithParentThread = false;
};

// Where the npm package puts the binary, under the tools/node directory.
[[nodiscard]] std::filesystem::path anvilBinaryIn(const std::filesystem::path& nodeToolsDir);
// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
[[nodiscard]] Result<std::uint16_t> pickFreeLoopbackPort();

class AnvilProcess {
public:
    // Starts anvil and waits until it answers eth_chainId. A stale anvil left by a crashed
    // node on the same data directory (found by its pid file) is stopped first.
    [[nodiscard]] static Result<std::unique_ptr<AnvilProcess>> start(const AnvilOptions& options);
    ~AnvilProcess();
    AnvilProcess(const AnvilProcess&) = delete;
    AnvilProcess& operator=(const AnvilProcess&) = delete;

    // SIGTERM, wait up to stopTimeout, then SIGKILL. Idempotent.
    Status stop();
    [[nodiscard]] bool running();

    [[nodiscard]] const std::string& rpcUrl() const noexcept { return url_; }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] std::filesystem::path stateFile() const { return options_.dataDir / "anvil-state.json"; }
    [[nodiscard]] std::filesystem::path logFile() const { return options_.dataDir / "anvil.log"; }

private:
    AnvilProcess(AnvilOptions options, pid_t pid, std::uint16_t port);

    AnvilOptions options_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string url_;
};

} // namespace pt::chain
