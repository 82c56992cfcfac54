#include "wallet/chain/nonce_manager.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

namespace pt::chain {
namespace {

// An EthRpc that knows only the pending transaction count, which the test moves.
class CountOnlyRpc final : public EthRpc {
public:
    std::atomic<std::uint64_t> pending{0};
    std::atomic<int> countQueries{0};

    Result<std::uint64_t> getTransactionCount(const Address&, const BlockTag& tag) override
    {
        EXPECT_EQ(tag.text(), "pending");
        ++countQueries;
        return pending.load();
    }

    Result<U256> chainId() override { return unsupported(); }
    Result<std::string> clientVersion() override { return unsupported(); }
    Result<std::uint64_t> blockNumber() override { return unsupported(); }
    Result<Block> getBlock(const BlockTag&) override { return unsupported(); }
    Result<Wei> getBalance(const Address&, const BlockTag&) override { return unsupported(); }
    Result<Bytes> getCode(const Address&, const BlockTag&) override { return unsupported(); }
    Result<std::uint64_t> estimateGas(const CallRequest&) override { return unsupported(); }
    Result<U256> gasPrice() override { return unsupported(); }
    Result<U256> maxPriorityFeePerGas() override { return unsupported(); }
    Result<U256> nextBaseFee() override { return unsupported(); }
    Result<Hash32> sendRawTransaction(ByteView) override { return unsupported(); }
    Result<std::optional<Receipt>> getTransactionReceipt(const Hash32&) override { return unsupported(); }
    Result<Bytes> call(const CallRequest&, const BlockTag&) override { return unsupported(); }
    Result<std::vector<Log>> getLogs(const LogFilter&) override { return unsupported(); }
    Status increaseTime(std::uint64_t) override { return unsupported(); }
    Status mine() override { return unsupported(); }
    Status setBalance(const Address&, const Wei&) override { return unsupported(); }

private:
    static Error unsupported() { return makeError(ChainError::rpc_error, "not in this fake"); }
};

Result<Hash32> accept(std::uint64_t)
{
    return Hash32{};
}

TEST(NonceManager, StartsFromThePendingCountAndAdvancesOnSuccess)
{
    CountOnlyRpc rpc;
    rpc.pending = 5;
    NonceManager nonces(Address{});
    EXPECT_FALSE(nonces.peek());
    std::vector<std::uint64_t> used;
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(nonces.withNextNonce(rpc, [&](std::uint64_t n) {
            used.push_back(n);
            return accept(n);
        }));
    EXPECT_EQ(used, (std::vector<std::uint64_t>{5, 6, 7}));
    EXPECT_EQ(rpc.countQueries, 1); // the chain is asked once, not per transaction
    EXPECT_EQ(nonces.peek(), 8u);
}

TEST(NonceManager, ResyncsFromTheChainAfterAFailure)
{
    CountOnlyRpc rpc;
    rpc.pending = 2;
    NonceManager nonces(Address{});
    ASSERT_TRUE(nonces.withNextNonce(rpc, accept));
    auto failed = nonces.withNextNonce(rpc, [](std::uint64_t) -> Result<Hash32> {
        return makeError(ChainError::timeout, "lost");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ChainError::timeout);
    EXPECT_FALSE(nonces.peek());
    // Meanwhile the timed-out transaction did reach the pool, and another process sent one.
    rpc.pending = 5;
    std::uint64_t next = 0;
    ASSERT_TRUE(nonces.withNextNonce(rpc, [&](std::uint64_t n) {
        next = n;
        return accept(n);
    }));
    EXPECT_EQ(next, 5u);
}

TEST(NonceManager, RestartResumesFromTheChain)
{
    CountOnlyRpc rpc;
    rpc.pending = 0;
    {
        NonceManager first(Address{});
        for (int i = 0; i < 4; ++i) {
            ASSERT_TRUE(first.withNextNonce(rpc, [&](std::uint64_t n) {
                rpc.pending = n + 1; // the chain accepted it
                return accept(n);
            }));
        }
    }
    NonceManager second(Address{}); // a new process: nothing cached
    std::uint64_t next = 0;
    ASSERT_TRUE(second.withNextNonce(rpc, [&](std::uint64_t n) {
        next = n;
        return accept(n);
    }));
    EXPECT_EQ(next, 4u);
}

TEST(NonceManager, ConcurrentSubmissionsGetDistinctConsecutiveNonces)
{
    CountOnlyRpc rpc;
    rpc.pending = 10;
    NonceManager nonces(Address{});
    std::mutex m;
    std::vector<std::uint64_t> used;
    std::atomic<int> inside{0};
    std::atomic<bool> overlapped{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto r = nonces.withNextNonce(rpc, [&](std::uint64_t n) {
                    if (++inside > 1) overlapped = true;
                    {
                        std::lock_guard lock(m);
                        used.push_back(n);
                    }
                    --inside;
                    return accept(n);
                });
                EXPECT_TRUE(r);
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_FALSE(overlapped); // submissions never interleave
    ASSERT_EQ(used.size(), 400u);
    std::sort(used.begin(), used.end());
    for (std::size_t i = 0; i < used.size(); ++i) EXPECT_EQ(used[i], 10 + i);
}

} // namespace
} // namespace pt::chain
