// A local anvil chain with the real NitroAdjudicator for one test suite, and fresh funded
// accounts for each test (so tests do not depend on each other's balances).
#pragma once

#include "wallet/chain/local_chain.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace pt::test {

class ChainSuite : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dir_ = std::make_unique<TempDir>("pt-chain");
        chain::LocalChainOptions o;
        o.nodeToolsDir = nodeToolsDir();
        o.dataDir = dir_->path() / "chain";
        o.anvil.stopWithParentThread = true; // a crashing test must not leave anvil behind
        auto started = chain::LocalChain::start(o);
        ASSERT_TRUE(started) << started.error().describe();
        chain_ = std::move(*started);
    }
    static void TearDownTestSuite()
    {
        chain_.reset();
        dir_.reset();
    }
    void SetUp() override { ASSERT_TRUE(chain_) << "the local chain did not start"; }

    static chain::LocalChain& localChain() { return *chain_; }
    static const std::shared_ptr<chain::RpcEthClient>& rpc() { return chain_->rpc(); }
    static chain::Adjudicator adjudicator() { return chain::Adjudicator(chain_->rpc(), chain_->info().adjudicator); }

    // A new random key holding exactly `amount` wei (funded from the development account).
    static PrivateKey fundedKey(const Wei& amount)
    {
        auto key = PrivateKey::generate().value();
        auto r = chain_->faucet().send(chain::TxRequest{key.address(), amount, {}, std::nullopt});
        EXPECT_TRUE(r) << r.error().describe();
        return key;
    }
    static std::shared_ptr<chain::TransactionSender> senderFor(const PrivateKey& key)
    {
        return std::make_shared<chain::TransactionSender>(chain_->rpc(), key, chain_->info().chainId);
    }
    static Wei balanceOf(const Address& who)
    {
        auto b = chain_->rpc()->getBalance(who, chain::BlockTag::latest());
        EXPECT_TRUE(b) << b.error().describe();
        return b ? *b : Wei();
    }
    static Wei milliEther(std::uint64_t milli) { return Wei(U256(milli) * U256(1'000'000'000'000'000ULL)); }

private:
    static inline std::unique_ptr<TempDir> dir_;
    static inline std::unique_ptr<chain::LocalChain> chain_;
};

} // namespace pt::test
