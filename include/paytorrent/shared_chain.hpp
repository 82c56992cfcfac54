// A local development chain several nodes share (`paytorrent-cli chain up`): anvil from the
// project's npm install with its state in a directory, the NitroAdjudicator deployed once,
// and the {"rpc", "chainId", "adjudicator"} nodes need to join it (--chain-rpc,
// --adjudicator). Any node on it funds itself from anvil's development account.
#pragma once

#include "paytorrent/node.hpp"
#include "wallet/common/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

namespace paytorrent {

struct SharedChainOptions {
    std::filesystem::path dataDir;                     // anvil state, log, pid, chain.json
    std::optional<std::filesystem::path> nodeToolsDir; // default: $PAYTORRENT_NODE_TOOLS or the build's
    std::uint64_t chainId = 31337;
    std::optional<std::uint16_t> port;                 // default: a free loopback port
    // anvil gets SIGTERM when the thread that started it ends (even by a crash): set it only
    // when that thread lives as long as the chain (a command's main thread).
    bool stopWithStartingThread = false;
};

class SharedChain {
public:
    [[nodiscard]] static pt::Result<std::unique_ptr<SharedChain>> start(const SharedChainOptions& options);
    ~SharedChain(); // stops anvil (it writes its state)
    SharedChain(const SharedChain&) = delete;
    SharedChain& operator=(const SharedChain&) = delete;

    [[nodiscard]] const ChainSummary& summary() const noexcept { return summary_; }
    // {"rpc": URL, "chainId": number, "adjudicator": EIP-55 address}
    [[nodiscard]] nlohmann::json toJson() const;
    // False once anvil has exited by itself.
    [[nodiscard]] bool running();
    [[nodiscard]] pt::Status stop();

    struct Impl;

private:
    explicit SharedChain(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    ChainSummary summary_;
};

} // namespace paytorrent
