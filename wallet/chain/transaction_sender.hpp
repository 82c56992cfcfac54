// Sends transactions from one key: gas estimation, fees, nonce, in-process signing,
// submission, waiting for the receipt, and revert reasons decoded into errors.
#pragma once

#include "wallet/chain/eth_rpc.hpp"
#include "wallet/chain/nonce_manager.hpp"
#include "wallet/chain/transaction.hpp"

#include <chrono>
#include <memory>

namespace pt::chain {

struct SenderOptions {
    TxType type = TxType::eip1559;
    // Added to eth_estimateGas: the estimate is exact for the state it ran against, and the
    // state may move (a deposit or challenge in between) before the transaction is mined.
    unsigned gasMarginPercent = 25;
    // Used when the node does not implement eth_maxPriorityFeePerGas.
    U256 fallbackPriorityFee = 1'000'000'000; // 1 gwei
    std::chrono::milliseconds receiptTimeout{60'000};
    std::chrono::milliseconds receiptPoll{50};
    // Attempts after "nonce too low" (another process using the same key took the nonce).
    unsigned nonceRetries = 3;
};

// What to send; the sender fills in nonce, fees and (unless given) the gas limit.
struct TxRequest {
    std::optional<Address> to; // none: contract creation
    Wei value;
    Bytes data;
    std::optional<std::uint64_t> gasLimit;
};

class TransactionSender {
public:
    TransactionSender(std::shared_ptr<EthRpc> rpc, PrivateKey key, U256 chainId, SenderOptions options = {});
    // Checks the endpoint's chain id against `chainId` first (wrong_chain_id).
    [[nodiscard]] static Result<std::shared_ptr<TransactionSender>> create(std::shared_ptr<EthRpc> rpc, PrivateKey key,
                                                                           U256 chainId, SenderOptions options = {});

    // Estimates, signs and submits; does not wait. A call that would revert fails here with
    // `reverted` and its reason, without spending a nonce or gas.
    [[nodiscard]] Result<SignedTransaction> submit(const TxRequest& req);
    // submit() and wait for the receipt. A transaction mined with status 0 gives `reverted`
    // (its reason recovered by replaying the call at the previous block).
    [[nodiscard]] Result<Receipt> send(const TxRequest& req);
    // Waits for a submitted transaction, with the same revert handling as send().
    [[nodiscard]] Result<Receipt> wait(const SignedTransaction& tx);

    [[nodiscard]] const Address& address() const noexcept { return key_.address(); }
    [[nodiscard]] const U256& chainId() const noexcept { return chainId_; }
    [[nodiscard]] EthRpc& rpc() noexcept { return *rpc_; }
    [[nodiscard]] const std::shared_ptr<EthRpc>& rpcPtr() const noexcept { return rpc_; }
    [[nodiscard]] NonceManager& nonces() noexcept { return nonces_; }

private:
    [[nodiscard]] Result<Transaction> prepare(const TxRequest& req);

    std::shared_ptr<EthRpc> rpc_;
    PrivateKey key_;
    U256 chainId_;
    SenderOptions options_;
    NonceManager nonces_;
};

} // namespace pt::chain
