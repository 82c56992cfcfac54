// The channel lifecycle on a real anvil with the real NitroAdjudicator, through the Node
// facade: cooperative close, a challenge against a silent counterparty, a cheating
// counterparty answered by the watchtower (also across a restart inside the window), an
// honest challenge left to finalize and then withdrawn, and the errors a user can meet.
// Payments are driven with the wallet's payment channel functions and written into the
// node's store as its engine would; the counterparty is a bare key with its own sender.
// Balances are checked to the wei, each fee taken from its receipt.
#include "paytorrent/node.hpp"
#include "src/channel_lifecycle.hpp"

#include "support/paid_channel.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>

using namespace std::chrono_literals;
using paytorrent::DataDir;
using paytorrent::Node;
using paytorrent::NodeOptions;
using pt::Wei;
using pt::test::milliEther;
using pt::test::must;
using pt::test::PaidChannel;
namespace chain = pt::chain;
namespace store = pt::store;

namespace {

const std::string kPassword = "lifecycle test";
constexpr std::uint64_t kWindow = 60; // seconds: skipped with evm_increaseTime
// How long the watchtower (polling every 100 ms) gets to act on anything.
constexpr auto kWatchLimit = 15s;

class ChannelLifecycleTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dir_ = std::make_unique<pt::test::TempDir>("pt-lifecycle");
        chain::LocalChainOptions o;
        o.nodeToolsDir = pt::test::nodeToolsDir();
        o.dataDir = dir_->path() / "chain";
        o.anvil.persistState = false;
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

    void SetUp() override
    {
        ASSERT_TRUE(chain_) << "the local chain did not start";
        home_ = std::make_unique<pt::test::TempDir>("pt-lifecycle-node");
        dataDir_ = DataDir{home_->path() / "node"};
        nodeKey_ = pt::test::writeTestKeystore(dataDir_.keyFile(), kPassword);
        other_ = fundedKey(milliEther(10'000));
    }
    void TearDown() override
    {
        node_.reset();
        home_.reset();
    }

    static std::shared_ptr<chain::RpcEthClient> rpc() { return chain_->rpc(); }
    static chain::Adjudicator adjudicator() { return chain::Adjudicator(chain_->rpc(), chain_->info().adjudicator); }
    static pt::U256 chainId() { return chain_->info().chainId; }

    static pt::PrivateKey fundedKey(const Wei& amount)
    {
        auto key = must(pt::PrivateKey::generate(), "key");
        must(chain_->faucet().send(chain::TxRequest{key.address(), amount, {}, std::nullopt}), "fund");
        return key;
    }
    static std::shared_ptr<chain::TransactionSender> senderFor(const pt::PrivateKey& key)
    {
        return std::make_shared<chain::TransactionSender>(chain_->rpc(), key, chainId());
    }
    static Wei balanceOf(const pt::Address& who) { return must(rpc()->getBalance(who, chain::BlockTag::latest()), "balance"); }
    static Wei holdings(const pt::nitro::ChannelId& id) { return must(adjudicator().holdings(id), "holdings"); }
    static chain::ChannelStatus onChain(const pt::nitro::ChannelId& id) { return must(adjudicator().status(id), "status"); }
    static void skipWindow()
    {
        must(rpc()->increaseTime(kWindow + 1), "evm_increaseTime");
        must(rpc()->mine(), "evm_mine");
    }
    // The receipt of the transaction that emitted the first event of type E for `id`.
    template <class E>
    static chain::Receipt receiptOfEvent(const pt::nitro::ChannelId& id, std::size_t nth = 0)
    {
        auto evs = must(adjudicator().events(0, std::nullopt, {id}), "events");
        std::size_t seen = 0;
        for (const auto& ev : evs)
            if (std::holds_alternative<E>(ev.body) && seen++ == nth) {
                auto r = must(rpc()->getTransactionReceipt(ev.transactionHash), "receipt");
                if (!r) throw std::runtime_error("no receipt for an event's transaction");
                return *r;
            }
        throw std::runtime_error("no such event");
    }

    NodeOptions options() const
    {
        NodeOptions o;
        o.dataDir = dataDir_;
        o.password = kPassword;
        o.chainRpc = chain_->info().rpc;
        o.adjudicator = chain_->info().adjudicator.toChecksum();
        o.listen = "127.0.0.1:0";
        o.localOnly = true;
        o.scryptN = 1024;
        o.watchtowerInterval = 100ms;
        return o;
    }
    Node& openNode()
    {
        auto n = Node::open(options());
        if (!n) throw std::runtime_error("Node::open: " + n.error().describe());
        node_ = std::move(*n);
        return *node_;
    }

    PaidChannel newChannel(const pt::PrivateKey& beneficiary, const pt::PrivateKey& payer, std::uint64_t window = kWindow)
    {
        return PaidChannel(chainId(), beneficiary, payer, nextNonce_++, window, milliEther(1000));
    }
    std::string cursorKey() const { return paytorrent::core::watchtowerCursorKey(chainId(), chain_->info().adjudicator); }
    // The watchtower stores its cursor once it has polled.
    bool watchtowerPolled() const
    {
        return pt::test::waitUntil([&] {
            auto st = must(store::Store::open(dataDir_.database()), "store");
            auto v = st.getSetting(cursorKey());
            return v && *v;
        }, kWatchLimit);
    }
    std::string statusOf(const pt::nitro::ChannelId& id) const
    {
        for (const auto& c : node_->channels())
            if (c.id == id.hex()) return c.status;
        return "missing";
    }

    std::unique_ptr<pt::test::TempDir> home_;
    DataDir dataDir_;
    const pt::PrivateKey& nodeKey() const { return *nodeKey_; }
    const pt::PrivateKey& other() const { return *other_; } // the counterparty
    std::optional<pt::PrivateKey> nodeKey_;
    std::optional<pt::PrivateKey> other_;
    std::unique_ptr<Node> node_;

    static inline std::unique_ptr<pt::test::TempDir> dir_;
    static inline std::unique_ptr<chain::LocalChain> chain_;
    static inline std::uint64_t nextNonce_ = 1;
};

TEST_F(ChannelLifecycleTest, FundPayOffChainAndCloseCooperatively)
{
    Node& node = openNode(); // the seller; the test's key buys
    const Wei sellerBefore = balanceOf(nodeKey().address());
    const Wei buyerBefore = balanceOf(other().address());

    auto ch = newChannel(nodeKey(), other());
    const auto deposit = must(adjudicator().deposit(*senderFor(other()), ch.id(), Wei(), milliEther(1000)), "deposit");
    EXPECT_EQ(holdings(ch.id()), milliEther(1000));
    ch.pay(milliEther(100));
    ch.pay(milliEther(150));
    ch.pay(milliEther(7));
    ch.finalize();
    ch.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::closing);

    auto w = node.withdraw(ch.id().hex());
    ASSERT_TRUE(w) << w.error().describe();
    EXPECT_EQ(w->action, "concluded");
    EXPECT_EQ(w->amount, milliEther(257));
    ASSERT_TRUE(w->transaction);
    EXPECT_EQ(balanceOf(nodeKey().address()), sellerBefore + milliEther(257) - w->transaction->fee);
    EXPECT_EQ(balanceOf(other().address()), buyerBefore - milliEther(1000) - deposit.fee() + milliEther(743));
    EXPECT_EQ(holdings(ch.id()), Wei());
    EXPECT_EQ(statusOf(ch.id()), "closed");

    // Nothing left: a second withdraw says so and sends nothing.
    const Wei now = balanceOf(nodeKey().address());
    auto again = node.withdraw(ch.id().hex());
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_EQ(again->action, "already_paid_out");
    EXPECT_FALSE(again->transaction);
    EXPECT_EQ(balanceOf(nodeKey().address()), now);
}

TEST_F(ChannelLifecycleTest, TheBuyersConclusionOnChainClosesTheSellersChannel)
{
    Node& node = openNode(); // the seller; the test's key buys and concludes
    auto ch = newChannel(nodeKey(), other());
    must(adjudicator().deposit(*senderFor(other()), ch.id(), Wei(), milliEther(1000)), "deposit");
    ch.pay(milliEther(30));
    ch.pay(milliEther(12));
    ch.finalize();
    // As the seller's engine leaves it: final state countersigned, status closing.
    ch.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::closing);
    // The watchtower has polled (its cursor is stored), so the conclusion reaches it as events.
    ASSERT_TRUE(watchtowerPolled());
    EXPECT_EQ(statusOf(ch.id()), "closing");
    const Wei sellerBefore = balanceOf(nodeKey().address());

    const auto conclude =
        must(adjudicator().concludeAndTransferAllAssets(*senderFor(other()), ch.proofAt(ch.states().size() - 1)), "conclude");
    EXPECT_EQ(holdings(ch.id()), Wei());
    ASSERT_TRUE(pt::test::waitUntil([&] { return statusOf(ch.id()) == "closed"; }, kWatchLimit))
        << "the seller's channel stayed " << statusOf(ch.id());
    {
        auto st = must(store::Store::open(dataDir_.database()), "store");
        auto rec = must(st.getChannel(ch.id()), "channel");
        ASSERT_TRUE(rec);
        EXPECT_EQ(rec->status, store::ChannelStatus::closed);
    }
    // The seller was paid by the buyer's transaction and sent none of its own.
    EXPECT_EQ(balanceOf(nodeKey().address()), sellerBefore + milliEther(42));
    EXPECT_EQ(conclude.from, other().address());
    (void)node;
}

TEST_F(ChannelLifecycleTest, AConclusionThatLeavesExtraHoldingsStillClosesTheChannel)
{
    // A third party deposited beyond the outcome: after the buyer's conclusion the adjudicator
    // still holds that surplus, which no outcome of the channel pays out. The seller's node
    // recognises the paid-out outcome's fingerprint instead of waiting for holdings of zero.
    Node& node = openNode();
    auto ch = newChannel(nodeKey(), other());
    must(adjudicator().deposit(*senderFor(other()), ch.id(), Wei(), milliEther(1000)), "deposit");
    const auto stranger = fundedKey(milliEther(100));
    must(adjudicator().deposit(*senderFor(stranger), ch.id(), milliEther(1000), milliEther(5)), "extra deposit");
    ch.pay(milliEther(64));
    ch.finalize();
    ch.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::closing);
    const Wei sellerBefore = balanceOf(nodeKey().address());

    must(adjudicator().concludeAndTransferAllAssets(*senderFor(other()), ch.proofAt(ch.states().size() - 1)), "conclude");
    ASSERT_EQ(holdings(ch.id()), milliEther(5));
    ASSERT_TRUE(pt::test::waitUntil([&] { return statusOf(ch.id()) == "closed"; }, kWatchLimit))
        << "the seller's channel stayed " << statusOf(ch.id());
    EXPECT_EQ(balanceOf(nodeKey().address()), sellerBefore + milliEther(64)) << "the seller sent no transaction";
    EXPECT_EQ(holdings(ch.id()), milliEther(5));

    // And withdraw by hand says there is nothing (left) for us, without a transaction.
    auto w = node.withdraw(ch.id().hex());
    ASSERT_TRUE(w) << w.error().describe();
    EXPECT_EQ(w->action, "already_paid_out");
    EXPECT_FALSE(w->transaction);
}

TEST_F(ChannelLifecycleTest, ChallengeAgainstASilentCounterpartyThenTheWatchtowerTransfers)
{
    Node& node = openNode(); // the buyer; the silent seller is the test's key
    auto ch = newChannel(other(), nodeKey());
    // The node's key deposits (as its engine would).
    const auto deposit = must(adjudicator().deposit(*senderFor(nodeKey()), ch.id(), Wei(), milliEther(1000)), "deposit");
    const Wei buyerBefore = balanceOf(nodeKey().address());
    const Wei sellerBefore = balanceOf(other().address());
    ch.pay(milliEther(200));
    ch.pay(milliEther(120));
    // The buyer's store also holds its last payments, never countersigned: more than the
    // engine lets be unanswered (eight), as a crash can leave them. The challenge must use the
    // latest state signed by both (turn 2), not one of these.
    ch.store(dataDir_.database(), store::ChannelRole::payer, store::ChannelStatus::open,
             ch.unansweredPayments(milliEther(5), 9));

    auto c = node.challenge(ch.id().hex());
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ(c->turnNum, 2u);
    const auto block = must(rpc()->getBlock(chain::BlockTag::number(c->transaction.block)), "block");
    EXPECT_EQ(c->finalizesAt, block.timestamp + kWindow);
    EXPECT_EQ(onChain(ch.id()).turnNumRecord, 2u);
    EXPECT_EQ(statusOf(ch.id()), "challenged");

    // Inside the window there is nothing to withdraw yet.
    auto early = node.withdraw(ch.id().hex());
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, paytorrent::core::LifecycleError::challenge_running);

    skipWindow();
    ASSERT_TRUE(pt::test::waitUntil([&] { return holdings(ch.id()) == Wei() && statusOf(ch.id()) == "closed"; }, kWatchLimit))
        << "the watchtower did not transfer after the window";
    const auto transfer = receiptOfEvent<chain::AllocationUpdatedEvent>(ch.id());
    EXPECT_EQ(transfer.from, nodeKey().address());
    EXPECT_EQ(balanceOf(nodeKey().address()),
              buyerBefore - c->transaction.fee - transfer.fee() + milliEther(1000) - milliEther(320));
    EXPECT_EQ(balanceOf(other().address()), sellerBefore + milliEther(320));
    (void)deposit;

    // Finalized: a second challenge is refused with a clear reason, before any gas is spent.
    const Wei now = balanceOf(nodeKey().address());
    auto late = node.challenge(ch.id().hex());
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, paytorrent::core::LifecycleError::already_finalized);
    EXPECT_NE(late.error().message.find("finalized"), std::string::npos) << late.error().message;
    EXPECT_EQ(balanceOf(nodeKey().address()), now);
}

TEST_F(ChannelLifecycleTest, CheatingCounterpartyIsAnsweredAndThePayoutFollowsTheLatestState)
{
    Node& node = openNode(); // the seller; the test's key buys and cheats
    const Wei sellerBefore = balanceOf(nodeKey().address());
    const Wei buyerBefore = balanceOf(other().address());
    auto ch = newChannel(nodeKey(), other());
    const auto deposit = must(adjudicator().deposit(*senderFor(other()), ch.id(), Wei(), milliEther(1000)), "deposit");
    ch.pay(milliEther(10));
    ch.pay(milliEther(300));
    ch.pay(milliEther(300));
    ch.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::open);

    // The buyer challenges with turn 1, when it had paid only 10 milliether.
    const auto& old = ch.states().at(1);
    const auto cheat =
        must(adjudicator().challenge(*senderFor(other()), ch.proofAt(1), pt::nitro::signChallenge(old.state, other())), "cheat");
    ASSERT_TRUE(pt::test::waitUntil([&] {
        const auto st = onChain(ch.id());
        return st.turnNumRecord == 3 && st.finalizesAt == 0;
    }, kWatchLimit)) << "the watchtower did not checkpoint";
    const auto checkpoint = receiptOfEvent<chain::ChallengeClearedEvent>(ch.id());
    EXPECT_EQ(checkpoint.from, nodeKey().address());
    EXPECT_TRUE(pt::test::waitUntil([&] { return statusOf(ch.id()) == "open"; }, kWatchLimit));

    // The seller then force-closes with its latest state and collects after the window.
    auto c = node.challenge(ch.id().hex());
    ASSERT_TRUE(c) << c.error().describe();
    EXPECT_EQ(c->turnNum, 3u);
    skipWindow();
    ASSERT_TRUE(pt::test::waitUntil([&] { return holdings(ch.id()) == Wei(); }, kWatchLimit));
    const auto transfer = receiptOfEvent<chain::AllocationUpdatedEvent>(ch.id());
    EXPECT_EQ(transfer.from, nodeKey().address());
    EXPECT_EQ(balanceOf(nodeKey().address()),
              sellerBefore - checkpoint.fee() - c->transaction.fee - transfer.fee() + milliEther(610));
    EXPECT_EQ(balanceOf(other().address()), buyerBefore - milliEther(1000) - deposit.fee() - cheat.fee() + milliEther(390));
}

TEST_F(ChannelLifecycleTest, NodeRestartedInsideTheWindowStillAnswers)
{
    auto ch = newChannel(nodeKey(), other(), 3600); // a long window: the node is down for part of it
    must(adjudicator().deposit(*senderFor(other()), ch.id(), Wei(), milliEther(1000)), "deposit");
    ch.pay(milliEther(50));
    ch.pay(milliEther(50));
    ch.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::open);

    openNode();
    const std::string cursorKey = this->cursorKey();
    ASSERT_TRUE(watchtowerPolled());
    node_.reset(); // the node stops

    const auto& old = ch.states().at(1);
    must(adjudicator().challenge(*senderFor(other()), ch.proofAt(1), pt::nitro::signChallenge(old.state, other())), "cheat");
    ASSERT_EQ(onChain(ch.id()).turnNumRecord, 1u);
    const std::uint64_t cheatBlock = must(rpc()->blockNumber(), "block number");
    {
        auto st = must(store::Store::open(dataDir_.database()), "store");
        auto v = must(st.getSetting(cursorKey), "cursor");
        ASSERT_TRUE(v);
        const auto cursor = must(pt::parseU256(std::string(v->begin(), v->end())), "cursor value");
        EXPECT_LE(cursor, pt::U256(cheatBlock)) << "the cheat happened after the persisted cursor";
    }

    openNode(); // back inside the window
    ASSERT_TRUE(pt::test::waitUntil([&] {
        const auto st = onChain(ch.id());
        return st.turnNumRecord == 2 && st.finalizesAt == 0;
    }, kWatchLimit)) << "the restarted node did not checkpoint";
    EXPECT_EQ(receiptOfEvent<chain::ChallengeClearedEvent>(ch.id()).from, nodeKey().address());
    // And its cursor moved past the challenge.
    EXPECT_TRUE(pt::test::waitUntil([&] {
        auto st = must(store::Store::open(dataDir_.database()), "store");
        auto v = must(st.getSetting(cursorKey), "cursor");
        return v && must(pt::parseU256(std::string(v->begin(), v->end())), "cursor") > pt::U256(cheatBlock);
    }, kWatchLimit));
}

TEST_F(ChannelLifecycleTest, AChallengeFromBeforeTheNodeEverWatchedIsFoundByTheStartUpCheck)
{
    // No cursor yet: the first watch starts at the chain's head, so only the start-up
    // unpackStatus check can see this challenge.
    auto ch = newChannel(nodeKey(), other(), 3600);
    must(adjudicator().deposit(*senderFor(other()), ch.id(), Wei(), milliEther(1000)), "deposit");
    ch.pay(milliEther(5));
    ch.pay(milliEther(5));
    ch.pay(milliEther(5));
    ch.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::open);
    const auto& old = ch.states().at(2);
    must(adjudicator().challenge(*senderFor(other()), ch.proofAt(2), pt::nitro::signChallenge(old.state, other())), "cheat");
    must(rpc()->mine(), "evm_mine"); // the head moves past the challenge's block

    openNode();
    ASSERT_TRUE(pt::test::waitUntil([&] {
        const auto st = onChain(ch.id());
        return st.turnNumRecord == 3 && st.finalizesAt == 0;
    }, kWatchLimit)) << "the start-up check did not answer";
    EXPECT_EQ(receiptOfEvent<chain::ChallengeClearedEvent>(ch.id()).from, nodeKey().address());
}

TEST_F(ChannelLifecycleTest, ChallengeWithTheLatestStateIsLeftToFinalizeThenWithdrawn)
{
    Node& node = openNode(); // the seller; the buyer challenges honestly
    const Wei sellerBefore = balanceOf(nodeKey().address());
    auto ch = newChannel(nodeKey(), other());
    must(adjudicator().deposit(*senderFor(other()), ch.id(), Wei(), milliEther(1000)), "deposit");
    ch.pay(milliEther(420));
    ch.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::open);
    const auto& latest = ch.states().back();
    must(adjudicator().challenge(*senderFor(other()), ch.proofAt(1), pt::nitro::signChallenge(latest.state, other())),
         "honest challenge");

    ASSERT_TRUE(pt::test::waitUntil([&] { return statusOf(ch.id()) == "challenged"; }, kWatchLimit));
    // Nothing to answer: the node sends no checkpoint, the challenge stands.
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(onChain(ch.id()).turnNumRecord, 1u);
    EXPECT_NE(onChain(ch.id()).finalizesAt, 0u);
    EXPECT_EQ(balanceOf(nodeKey().address()), sellerBefore);

    skipWindow();
    ASSERT_TRUE(pt::test::waitUntil([&] { return holdings(ch.id()) == Wei() && statusOf(ch.id()) == "closed"; }, kWatchLimit));
    const auto transfer = receiptOfEvent<chain::AllocationUpdatedEvent>(ch.id());
    EXPECT_EQ(transfer.from, nodeKey().address());
    EXPECT_EQ(balanceOf(nodeKey().address()), sellerBefore + milliEther(420) - transfer.fee());
    (void)node;
}

// A buyer whose cooperative close did not reach the chain (its conclusion failed, or the node
// stopped first) still has the final state signed by both: the next start concludes it, and
// the seller is paid what that state says, the rest returned to the buyer.
TEST_F(ChannelLifecycleTest, AClosingChannelWithAFinalStateIsConcludedWhenTheNodeStarts)
{
    auto ch = newChannel(other(), nodeKey()); // the node buys
    must(chain_->faucet().send(chain::TxRequest{nodeKey().address(), milliEther(2000), {}, std::nullopt}), "fund");
    must(adjudicator().deposit(*senderFor(nodeKey()), ch.id(), Wei(), milliEther(1000)), "deposit");
    ch.pay(milliEther(70));
    ch.finalize();
    ch.store(dataDir_.database(), store::ChannelRole::payer, store::ChannelStatus::closing);
    const Wei sellerBefore = balanceOf(other().address());

    openNode();
    ASSERT_TRUE(pt::test::waitUntil([&] { return holdings(ch.id()) == Wei() && statusOf(ch.id()) == "closed"; }, kWatchLimit))
        << "the channel stayed " << statusOf(ch.id()) << " holding " << holdings(ch.id()).toDecimal();
    EXPECT_EQ(balanceOf(other().address()), sellerBefore + milliEther(70));
    const auto conclusion = receiptOfEvent<chain::ConcludedEvent>(ch.id());
    EXPECT_EQ(conclusion.from, nodeKey().address());
}

TEST_F(ChannelLifecycleTest, ClearErrorsForWhatCannotBeDone)
{
    Node& node = openNode();
    // Not a channel id; a channel the node does not know.
    auto bad = node.challenge("0x1234");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, paytorrent::NodeError::bad_option);
    auto unknown = node.withdraw(pt::Bytes32{}.hex());
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, paytorrent::core::LifecycleError::unknown_channel);

    // Open on chain, latest state not final: nothing to withdraw until it is challenged.
    auto open = newChannel(nodeKey(), other());
    must(adjudicator().deposit(*senderFor(other()), open.id(), Wei(), milliEther(1000)), "deposit");
    open.pay(milliEther(1));
    open.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::open);
    auto notYet = node.withdraw(open.id().hex());
    ASSERT_FALSE(notYet);
    EXPECT_EQ(notYet.error().code, paytorrent::core::LifecycleError::channel_open);

    // A final latest state is concluded, not challenged.
    auto fin = newChannel(nodeKey(), other());
    fin.finalize();
    fin.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::closing);
    auto finalChallenge = node.challenge(fin.id().hex());
    ASSERT_FALSE(finalChallenge);
    EXPECT_EQ(finalChallenge.error().code, paytorrent::core::LifecycleError::final_state);
    // ... and a channel nobody funded has nothing to withdraw.
    auto empty = node.withdraw(fin.id().hex());
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, paytorrent::core::LifecycleError::nothing_held);
}

TEST_F(ChannelLifecycleTest, ChannelsOfAnotherChainRefuseTheEndpoint)
{
    // A data directory whose open channel lives on chain 999 cannot run against chain 31337.
    PaidChannel elsewhere(pt::U256(999), nodeKey(), other(), 1, kWindow, milliEther(1));
    elsewhere.store(dataDir_.database(), store::ChannelRole::beneficiary, store::ChannelStatus::open);
    auto n = Node::open(options());
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, paytorrent::core::LifecycleError::wrong_chain);
    EXPECT_NE(n.error().message.find("wrong chain id"), std::string::npos) << n.error().message;
    EXPECT_NE(n.error().message.find("999"), std::string::npos) << n.error().message;
}

} // namespace
