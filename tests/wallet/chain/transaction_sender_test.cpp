// Sending real transactions to a real anvil: EIP-1559 and legacy, exact fee accounting,
// concurrent submissions, restarts, other processes on the same key, and failures.
#include "wallet/chain/transaction_sender.hpp"

#include "chain_fixture.hpp"

#include <thread>

namespace pt::chain {
namespace {

using test::ChainSuite;

class TransactionSenderTest : public ChainSuite {};

TEST_F(TransactionSenderTest, Eip1559TransferIsAcceptedAndAccountedToTheWei)
{
    const auto key = fundedKey(milliEther(1000));
    const auto to = PrivateKey::generate().value().address();
    auto sender = senderFor(key);
    const Wei before = balanceOf(key.address());

    auto signedTx = sender->submit(TxRequest{to, Wei(777), {}, std::nullopt});
    ASSERT_TRUE(signedTx) << signedTx.error().describe();
    EXPECT_EQ(signedTx->tx.type, TxType::eip1559);
    // What anvil accepted is what we signed, and it recovers to our key.
    auto decoded = decodeSignedTransaction(signedTx->raw);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->from, key.address());

    auto receipt = sender->wait(*signedTx);
    ASSERT_TRUE(receipt) << receipt.error().describe();
    EXPECT_TRUE(receipt->success);
    EXPECT_EQ(receipt->from, key.address());
    EXPECT_EQ(receipt->transactionHash, signedTx->hash);
    EXPECT_EQ(receipt->gasUsed, 21000u);
    EXPECT_EQ(balanceOf(to), Wei(777));
    EXPECT_EQ(balanceOf(key.address()), before - Wei(777) - receipt->fee());
}

TEST_F(TransactionSenderTest, LegacyEip155TransferIsAccepted)
{
    const auto key = fundedKey(milliEther(1000));
    const auto to = PrivateKey::generate().value().address();
    SenderOptions o;
    o.type = TxType::legacy;
    TransactionSender sender(rpc(), key, localChain().info().chainId, o);
    const Wei before = balanceOf(key.address());
    auto receipt = sender.send(TxRequest{to, Wei(5), {}, std::nullopt});
    ASSERT_TRUE(receipt) << receipt.error().describe();
    EXPECT_EQ(balanceOf(to), Wei(5));
    EXPECT_EQ(balanceOf(key.address()), before - Wei(5) - receipt->fee());
}

TEST_F(TransactionSenderTest, ConcurrentSubmissionsAllLand)
{
    const auto key = fundedKey(milliEther(1000));
    const auto to = PrivateKey::generate().value().address();
    auto sender = senderFor(key);
    constexpr int threads = 4, perThread = 5;
    std::vector<std::thread> pool;
    std::atomic<int> failures{0};
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i = 0; i < perThread; ++i) {
                auto r = sender->send(TxRequest{to, Wei(1), {}, std::nullopt});
                if (!r) {
                    ++failures;
                    ADD_FAILURE() << r.error().describe();
                }
            }
        });
    for (auto& th : pool) th.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(balanceOf(to), Wei(threads * perThread));
    EXPECT_EQ(rpc()->getTransactionCount(key.address(), BlockTag::latest()).value(),
              static_cast<std::uint64_t>(threads * perThread));
}

TEST_F(TransactionSenderTest, AnotherSenderOnTheSameKeyIsRecoveredFrom)
{
    // Two processes (here: two senders) share a key; each caches its own nonce counter.
    const auto key = fundedKey(milliEther(1000));
    const auto to = PrivateKey::generate().value().address();
    auto a = senderFor(key);
    auto b = senderFor(key);
    ASSERT_TRUE(a->send(TxRequest{to, Wei(1), {}, std::nullopt}));
    ASSERT_TRUE(b->send(TxRequest{to, Wei(1), {}, std::nullopt}));
    // a's counter is now stale: "nonce too low", resync, and success.
    auto again = a->send(TxRequest{to, Wei(1), {}, std::nullopt});
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(balanceOf(to), Wei(3));
}

TEST_F(TransactionSenderTest, RestartedSenderContinuesTheNonceSequence)
{
    const auto key = fundedKey(milliEther(1000));
    const auto to = PrivateKey::generate().value().address();
    {
        auto first = senderFor(key);
        ASSERT_TRUE(first->send(TxRequest{to, Wei(1), {}, std::nullopt}));
        ASSERT_TRUE(first->send(TxRequest{to, Wei(1), {}, std::nullopt}));
    }
    auto second = senderFor(key);
    auto tx = second->submit(TxRequest{to, Wei(1), {}, std::nullopt});
    ASSERT_TRUE(tx) << tx.error().describe();
    EXPECT_EQ(tx->tx.nonce, 2u);
    ASSERT_TRUE(second->wait(*tx));
}

TEST_F(TransactionSenderTest, InsufficientFundsIsATypedError)
{
    const auto poor = PrivateKey::generate().value(); // holds nothing
    auto sender = senderFor(poor);
    auto r = sender->send(TxRequest{localChain().faucet().address(), milliEther(1), {}, std::nullopt});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ChainError::insufficient_funds) << r.error().describe();

    // Enough for the value but not for the gas: the node refuses at submission.
    const auto almost = fundedKey(Wei(1000));
    auto sender2 = senderFor(almost);
    auto r2 = sender2->send(TxRequest{localChain().faucet().address(), Wei(1000), {}, std::uint64_t{21000}});
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, ChainError::insufficient_funds) << r2.error().describe();
    // Nothing was spent, and the nonce was not burnt.
    EXPECT_EQ(balanceOf(almost.address()), Wei(1000));
    EXPECT_EQ(rpc()->getTransactionCount(almost.address(), BlockTag::pending()).value(), 0u);
}

TEST_F(TransactionSenderTest, WrongChainIdIsRefusedBeforeAnythingIsSigned)
{
    auto sender = TransactionSender::create(rpc(), anvilDevKey(), U256(1));
    ASSERT_FALSE(sender);
    EXPECT_EQ(sender.error().code, ChainError::wrong_chain_id);
    EXPECT_TRUE(TransactionSender::create(rpc(), anvilDevKey(), localChain().info().chainId));
}

TEST_F(TransactionSenderTest, DevelopmentMethodsMoveTimeAndBalances)
{
    const auto before = rpc()->getBlock(BlockTag::latest());
    ASSERT_TRUE(before) << before.error().describe();
    ASSERT_TRUE(rpc()->increaseTime(3600));
    ASSERT_TRUE(rpc()->mine());
    const auto after = rpc()->getBlock(BlockTag::latest());
    ASSERT_TRUE(after);
    EXPECT_EQ(after->number, before->number + 1);
    EXPECT_GE(after->timestamp, before->timestamp + 3600);
    EXPECT_TRUE(after->baseFeePerGas);

    const auto someone = PrivateKey::generate().value().address();
    ASSERT_TRUE(rpc()->setBalance(someone, Wei(424242)));
    EXPECT_EQ(balanceOf(someone), Wei(424242));
    EXPECT_TRUE(rpc()->nextBaseFee());
    EXPECT_TRUE(rpc()->gasPrice());
}

} // namespace
} // namespace pt::chain
