#include "wallet/chain/local_chain.hpp"

#include "chain_fixture.hpp"

#include <fstream>

namespace pt::chain {
namespace {

LocalChainOptions optionsIn(const std::filesystem::path& dir)
{
    LocalChainOptions o;
    o.nodeToolsDir = test::nodeToolsDir();
    o.dataDir = dir;
    o.anvil.stopWithParentThread = true;
    return o;
}

TEST(LocalChain, StateAndAdjudicatorSurviveARestart)
{
    test::TempDir dir("pt-localchain");
    const LocalChainOptions o = optionsIn(dir / "chain");
    const auto someone = PrivateKey::generate().value().address();
    Address adjudicatorAddress;
    std::uint64_t blockBefore = 0;
    {
        auto chain = LocalChain::start(o);
        ASSERT_TRUE(chain) << chain.error().describe();
        adjudicatorAddress = (*chain)->info().adjudicator;
        auto code = (*chain)->rpc()->getCode(adjudicatorAddress, BlockTag::latest());
        ASSERT_TRUE(code);
        EXPECT_FALSE(code->empty());
        auto sent = (*chain)->faucet().send(TxRequest{someone, Wei(123456789), {}, std::nullopt});
        ASSERT_TRUE(sent) << sent.error().describe();
        blockBefore = (*chain)->rpc()->blockNumber().value();
        EXPECT_TRUE(std::filesystem::exists(o.dataDir / "chain.json"));
    }
    auto again = LocalChain::start(o);
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ((*again)->info().adjudicator, adjudicatorAddress); // not deployed a second time
    EXPECT_EQ((*again)->rpc()->getBalance(someone, BlockTag::latest()).value(), Wei(123456789));
    EXPECT_EQ((*again)->rpc()->blockNumber().value(), blockBefore);
    // The faucet's nonce continues from the chain (a restart resyncs).
    auto sent = (*again)->faucet().send(TxRequest{someone, Wei(1), {}, std::nullopt});
    ASSERT_TRUE(sent) << sent.error().describe();
    EXPECT_EQ((*again)->rpc()->getBalance(someone, BlockTag::latest()).value(), Wei(123456790));
}

TEST(LocalChain, LostStateMeansANewDeployment)
{
    test::TempDir dir("pt-localchain");
    const LocalChainOptions o = optionsIn(dir / "chain");
    {
        auto chain = LocalChain::start(o);
        ASSERT_TRUE(chain) << chain.error().describe();
    }
    // The chain.json record survives but the chain state does not: a stale record must not
    // be trusted. The recorded address is one that never had code, so the check is not by luck.
    std::filesystem::remove(o.dataDir / "anvil-state.json");
    {
        std::ofstream(o.dataDir / "chain.json", std::ios::trunc)
            << R"({"rpc":"","chainId":31337,"adjudicator":"0x00000000000000000000000000000000000000aa"})";
    }
    auto again = LocalChain::start(o);
    ASSERT_TRUE(again) << again.error().describe();
    const Address deployed = (*again)->info().adjudicator;
    EXPECT_NE(deployed.hex(), "0x00000000000000000000000000000000000000aa");
    EXPECT_FALSE((*again)->rpc()->getCode(deployed, BlockTag::latest()).value().empty());
}

TEST(LocalChain, StopStopsTheChain)
{
    test::TempDir dir("pt-localchain");
    auto chain = LocalChain::start(optionsIn(dir / "chain"));
    ASSERT_TRUE(chain) << chain.error().describe();
    const auto rpc = (*chain)->rpc();
    ASSERT_TRUE((*chain)->stop());
    EXPECT_FALSE((*chain)->process().running());
    auto after = rpc->blockNumber();
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code, ChainError::unreachable);
}

TEST(ChainInfo, JsonRoundTrip)
{
    ChainInfo info{"http://127.0.0.1:8545", U256(31337),
                   Address::fromHex("0x5fbdb2315678afecb367f032d93f642f64180aa3").value()};
    const auto j = info.toJson();
    EXPECT_EQ(j["chainId"], 31337);
    EXPECT_EQ(j["adjudicator"], "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    auto back = ChainInfo::fromJson(j);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->rpc, info.rpc);
    EXPECT_EQ(back->chainId, info.chainId);
    EXPECT_EQ(back->adjudicator, info.adjudicator);
    EXPECT_FALSE(ChainInfo::fromJson(nlohmann::json{{"rpc", 1}}));
    EXPECT_FALSE(ChainInfo::fromJson(nlohmann::json{{"rpc", "x"}, {"chainId", -1}, {"adjudicator", "0x00"}}));
}

using test::ChainSuite;
class LocalChainFunding : public ChainSuite {};

TEST_F(LocalChainFunding, LowWalletIsToppedUpToTheTarget)
{
    const auto node = PrivateKey::generate().value().address();
    const Wei minimum = milliEther(100), target = milliEther(1000);
    auto first = ensureFunded(localChain().faucet(), node, minimum, target);
    ASSERT_TRUE(first) << first.error().describe();
    ASSERT_TRUE(*first);
    EXPECT_EQ(balanceOf(node), target);
    auto second = ensureFunded(localChain().faucet(), node, minimum, target);
    ASSERT_TRUE(second);
    EXPECT_FALSE(*second); // enough already: nothing sent
    EXPECT_EQ(balanceOf(node), target);

    // Spent down below the minimum: topped up to the target again, not by the target.
    ASSERT_TRUE(rpc()->setBalance(node, milliEther(40)));
    auto third = ensureFunded(localChain().faucet(), node, minimum, target);
    ASSERT_TRUE(third && *third);
    EXPECT_EQ(balanceOf(node), target);
}

TEST_F(LocalChainFunding, AnyNodeOnADevelopmentChainCanFundItself)
{
    EXPECT_TRUE(isDevelopmentChain(*rpc()).value());
    // Another faucet object (as in another node process) beside the chain's own.
    const auto node = PrivateKey::generate().value().address();
    auto funded = fundFromDevAccountIfLow(rpc(), localChain().info().chainId, node, milliEther(1), milliEther(10));
    ASSERT_TRUE(funded) << funded.error().describe();
    EXPECT_EQ(balanceOf(node), milliEther(10));
    // The chain's own faucet still works after the other one used its nonces.
    const auto other = PrivateKey::generate().value().address();
    ASSERT_TRUE(ensureFunded(localChain().faucet(), other, milliEther(1), milliEther(2)));
    EXPECT_EQ(balanceOf(other), milliEther(2));
}

} // namespace
} // namespace pt::chain
