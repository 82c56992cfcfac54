// The embedded default chain: anvil in the node's data directory, the NitroAdjudicator
// deployed once from the npm artifact (its address remembered in chain.json), and a faucet
// that funds wallets from anvil's first development account.
#pragma once

#include "wallet/chain/adjudicator.hpp"
#include "wallet/chain/anvil.hpp"
#include "wallet/chain/rpc_eth_client.hpp"
#include "wallet/chain/transaction_sender.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>

namespace pt::chain {

// Account 0 of anvil's default mnemonic ("test test ... junk"): public knowledge, funded
// with 10000 ETH on every fresh anvil chain, worthless anywhere else.
inline constexpr std::string_view anvil_dev_private_key =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
[[nodiscard]] PrivateKey anvilDevKey();

// What a node needs to use a chain; `paytorrent-cli chain up` prints it as JSON.
struct ChainInfo {
    std::string rpc;
    U256 chainId = 0;
    Address adjudicator;

    [[nodiscard]] nlohmann::json toJson() const; // {"rpc", "chainId" (number), "adjudicator"}
    [[nodiscard]] static Result<ChainInfo> fromJson(const nlohmann::json& j);
};

// If `who` holds less than `minimum`, sends it enough from `faucet` to reach `target`.
// Returns the funding receipt, or none when no funding was needed.
[[nodiscard]] Result<std::optional<Receipt>> ensureFunded(TransactionSender& faucet, const Address& who,
                                                          const Wei& minimum, const Wei& target);

// Whether the endpoint is a development chain whose well-known accounts may be used as a
// faucet (anvil; hardhat's node answers the same methods).
[[nodiscard]] Result<bool> isDevelopmentChain(EthRpc& rpc);
// On a development chain, ensureFunded() from anvil's development account (whoever started
// the chain); elsewhere an invalid_argument error naming the address to fund by hand.
[[nodiscard]] Result<std::optional<Receipt>> fundFromDevAccountIfLow(const std::shared_ptr<EthRpc>& rpc,
                                                                     const U256& chainId, const Address& who,
                                                                     const Wei& minimum, const Wei& target);

// The adjudicator recorded in `recordFile` if code still lives at that address on this chain
// (same chain id), else a fresh deployment from `artifact`, recorded (atomically) for next time.
[[nodiscard]] Result<Address> ensureAdjudicator(TransactionSender& deployer, const std::filesystem::path& recordFile,
                                                const std::filesystem::path& artifact);

struct LocalChainOptions {
    std::filesystem::path nodeToolsDir; // tools/node (anvil and the nitro artifact under it)
    std::filesystem::path dataDir;      // anvil state, log, pid, chain.json
    std::uint64_t chainId = anvil_default_chain_id;
    AnvilOptions anvil;                 // binary, dataDir and chainId are filled in from above
};

class LocalChain {
public:
    // Starts anvil (state loaded from dataDir), and deploys the adjudicator unless the
    // recorded one is still there.
    [[nodiscard]] static Result<std::unique_ptr<LocalChain>> start(LocalChainOptions options);

    [[nodiscard]] const ChainInfo& info() const noexcept { return info_; }
    [[nodiscard]] const std::shared_ptr<RpcEthClient>& rpc() const noexcept { return rpc_; }
    // Sends from the development account (the faucet).
    [[nodiscard]] TransactionSender& faucet() noexcept { return *faucet_; }
    [[nodiscard]] AnvilProcess& process() noexcept { return *anvil_; }
    // Stops anvil (it writes its state). Also done by the destructor.
    Status stop();

private:
    LocalChain() = default;
    std::unique_ptr<AnvilProcess> anvil_;
    std::shared_ptr<RpcEthClient> rpc_;
    std::shared_ptr<TransactionSender> faucet_;
    ChainInfo info_;
};

} // namespace pt::chain
