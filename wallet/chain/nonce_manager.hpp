// The next nonce of one sending address, safe under concurrent submissions in this process
// and across restarts: the counter starts from the chain's pending count, advances only when
// a transaction was accepted, and is re-read from the chain after any failure.
#pragma once

#include "wallet/chain/eth_rpc.hpp"

#include <functional>
#include <mutex>
#include <optional>

namespace pt::chain {

class NonceManager {
public:
    explicit NonceManager(Address sender) : sender_(sender) {}

    // Calls `submit(nonce)` with the next nonce, holding the lock so that no other submission
    // from this process interleaves. Success advances the counter; failure forgets it, so the
    // next call resynchronises from eth_getTransactionCount(sender, "pending").
    [[nodiscard]] Result<Hash32> withNextNonce(EthRpc& rpc, const std::function<Result<Hash32>(std::uint64_t)>& submit);

    // Forget the counter (e.g. after another process used the same key).
    void reset();
    // The nonce the next submission will use, if known without asking the chain.
    [[nodiscard]] std::optional<std::uint64_t> peek() const;
    [[nodiscard]] const Address& sender() const noexcept { return sender_; }

private:
    Address sender_;
    mutable std::mutex mutex_;
    std::optional<std::uint64_t> next_; // guarded by mutex_
};

} // namespace pt::chain
