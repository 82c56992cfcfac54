#include "wallet/chain/nonce_manager.hpp"

namespace pt::chain {

Result<Hash32> NonceManager::withNextNonce(EthRpc& rpc, const std::function<Result<Hash32>(std::uint64_t)>& submit)
{
    std::lock_guard lock(mutex_);
    if (!next_) {
        auto pending = rpc.getTransactionCount(sender_, BlockTag::pending());
        if (!pending) return pending.error();
        next_ = *pending;
    }
    auto result = submit(*next_);
    if (result) ++*next_;
    else next_.reset();
    return result;
}

void NonceManager::reset()
{
    std::lock_guard lock(mutex_);
    next_.reset();
}

std::optional<std::uint64_t> NonceManager::peek() const
{
    std::lock_guard lock(mutex_);
    return next_;
}

} // namespace pt::chain
