// The real NitroAdjudicator on a real anvil: deposit, cooperative close, challenge and
// transfer after the window, a stale challenge answered by checkpoint, and the failures a
// user can meet. Balances are checked to the wei, with every fee taken from its receipt.
#include "wallet/chain/adjudicator.hpp"

#include "chain_fixture.hpp"

#include "wallet/abi/abi.hpp"
#include "wallet/crypto/keccak.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>

namespace pt::chain {
namespace {

using nitro::State;
using test::ChainSuite;

// Canonical type text of an ABI JSON parameter ("tuple[]" with components -> "(...)[]").
std::string canonicalType(const nlohmann::json& param)
{
    const std::string type = param["type"];
    if (type.rfind("tuple", 0) != 0) return type;
    std::string inner = "(";
    for (std::size_t i = 0; i < param["components"].size(); ++i) {
        if (i) inner += ",";
        inner += canonicalType(param["components"][i]);
    }
    return inner + ")" + type.substr(5);
}

// name -> canonical signature, for every function and event of the npm artifact.
std::map<std::string, std::string> artifactSignatures()
{
    std::ifstream in(adjudicatorArtifactIn(test::nodeToolsDir()));
    const auto artifact = nlohmann::json::parse(in);
    std::map<std::string, std::string> out;
    for (const auto& entry : artifact["abi"]) {
        if (entry["type"] != "function" && entry["type"] != "event") continue;
        std::string sig = entry["name"].get<std::string>() + "(";
        for (std::size_t i = 0; i < entry["inputs"].size(); ++i) {
            if (i) sig += ",";
            sig += canonicalType(entry["inputs"][i]);
        }
        out[entry["name"]] = sig + ")";
    }
    return out;
}

Bytes selectorOf(const Bytes& callData)
{
    return Bytes(callData.begin(), callData.begin() + 4);
}

Bytes hex(std::string_view h)
{
    return fromHex(h).value();
}

TEST(AdjudicatorAbi, SelectorsMatchTheReferenceAndTheArtifact)
{
    const auto sigs = artifactSignatures();
    // Call data built by our encoders, checked against the selector table of
    // ../shared/reference/nitro-0.17.3.md and against keccak of the artifact's own ABI.
    const ChannelId ch = keccak256(std::string_view("channel"));
    nitro::FixedPart fp{31337, {Address{}, Address{}}, 1, Address{}, 60};
    State st{fp, 3, false, {}, {}};
    SupportProof proof{{st}, {Signature{}, Signature{}}, {0, 0}};
    const struct {
        const char* name;
        Bytes callData;
        std::string_view ourSignature;
        const char* reference;
    } cases[] = {
        {"deposit", adjudicator_calldata::deposit(Address{}, ch, Wei(0), Wei(1)), adjudicator_sig::deposit, "2fb1d270"},
        {"holdings", adjudicator_calldata::holdings(Address{}, ch), adjudicator_sig::holdings, "166e56cd"},
        {"unpackStatus", adjudicator_calldata::unpackStatus(ch), adjudicator_sig::unpackStatus, "552cfa50"},
        {"challenge", adjudicator_calldata::challenge(proof, Signature{}), adjudicator_sig::challenge, "f198bea9"},
        {"checkpoint", adjudicator_calldata::checkpoint(proof), adjudicator_sig::checkpoint, "0149b762"},
        {"concludeAndTransferAllAssets", adjudicator_calldata::concludeAndTransferAllAssets(proof),
         adjudicator_sig::concludeAndTransferAllAssets, "e03cdb0c"},
        {"transferAllAssets", adjudicator_calldata::transferAllAssets(ch, Bytes{}, Hash32{}),
         adjudicator_sig::transferAllAssets, "6c365522"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ASSERT_TRUE(sigs.count(c.name));
        EXPECT_EQ(sigs.at(c.name), c.ourSignature);
        const Hash32 h = keccak256(std::string_view(sigs.at(c.name)));
        EXPECT_EQ(selectorOf(c.callData), Bytes(h.bytes.begin(), h.bytes.begin() + 4));
        EXPECT_EQ(selectorOf(c.callData), hex(c.reference));
    }
    const struct {
        const char* name;
        std::string_view ours;
    } events[] = {{"Deposited", adjudicator_event_sig::deposited},
                  {"ChallengeRegistered", adjudicator_event_sig::challengeRegistered},
                  {"ChallengeCleared", adjudicator_event_sig::challengeCleared},
                  {"Concluded", adjudicator_event_sig::concluded},
                  {"AllocationUpdated", adjudicator_event_sig::allocationUpdated}};
    for (const auto& e : events) {
        SCOPED_TRACE(e.name);
        ASSERT_TRUE(sigs.count(e.name));
        EXPECT_EQ(sigs.at(e.name), e.ours);
    }
}

TEST(AdjudicatorAbi, ArtifactBytecodeLoads)
{
    auto code = loadArtifactBytecode(adjudicatorArtifactIn(test::nodeToolsDir()));
    ASSERT_TRUE(code) << code.error().describe();
    EXPECT_GT(code->size(), 10000u);
    test::TempDir dir;
    {
        std::ofstream(dir / "bad.json") << R"({"bytecode": 12})";
    }
    EXPECT_EQ(loadArtifactBytecode(dir / "bad.json").error().code, ChainError::deploy_failed);
    EXPECT_EQ(loadArtifactBytecode(dir / "missing.json").error().code, ChainError::deploy_failed);
}

TEST(AdjudicatorAbi, StatusModes)
{
    ChannelStatus st;
    EXPECT_EQ(st.modeAt(1000), ChannelMode::open);
    st.finalizesAt = 1000;
    EXPECT_EQ(st.modeAt(999), ChannelMode::challenge);
    EXPECT_EQ(st.modeAt(1000), ChannelMode::finalized);
}

TEST(AdjudicatorAbi, ForeignLogsAreIgnoredAndMalformedOnesRefused)
{
    Log foreign;
    foreign.topics = {keccak256(std::string_view("Transfer(address,address,uint256)"))};
    auto none = decodeAdjudicatorEvent(foreign);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    Log truncated;
    truncated.topics = {eventTopic(adjudicator_event_sig::deposited), Hash32{}};
    truncated.data = Bytes(40, 0);
    auto bad = decodeAdjudicatorEvent(truncated);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ChainError::malformed_response);
}

// A two-party channel [a, b] with fresh funded keys.
class AdjudicatorTest : public ChainSuite {
protected:
    void SetUp() override
    {
        ChainSuite::SetUp();
        a_ = std::make_unique<PrivateKey>(fundedKey(milliEther(5000)));
        b_ = std::make_unique<PrivateKey>(fundedKey(milliEther(5000)));
        fixed_.chainId = localChain().info().chainId;
        fixed_.participants = {a_->address(), b_->address()};
        fixed_.channelNonce = nextNonce_++;
        fixed_.appDefinition = PrivateKey::generate().value().address(); // never called with one state
        fixed_.challengeDuration = 60;
        channel_ = nitro::channelId(fixed_);
        startBlock_ = rpc()->blockNumber().value();
    }

    const PrivateKey& a() const { return *a_; }
    const PrivateKey& b() const { return *b_; }

    State state(std::uint64_t turn, bool isFinal, const Wei& toA, const Wei& toB) const
    {
        State s;
        s.fixed = fixed_;
        s.turnNum = turn;
        s.isFinal = isFinal;
        s.outcome = {nitro::AssetOutcome{Address{}, {{a_->address().toBytes32(), toA}, {b_->address().toBytes32(), toB}}}};
        return s;
    }

    SupportProof doublySigned(const State& s) const
    {
        nitro::SignedState ss{s, {nitro::signState(s, *a_), nitro::signState(s, *b_)}};
        auto proof = SupportProof::fromSignedState(ss);
        EXPECT_TRUE(proof) << proof.error().describe();
        return *proof;
    }

    // a deposits `amount`; returns its fee.
    Wei deposit(const Wei& amount)
    {
        auto sender = senderFor(*a_);
        auto r = adjudicator().deposit(*sender, channel_, Wei(), amount);
        EXPECT_TRUE(r) << r.error().describe();
        report("deposit", *r);
        return r->fee();
    }

    std::vector<AdjudicatorEvent> eventsSinceStart()
    {
        auto evs = adjudicator().events(startBlock_, std::nullopt, {channel_});
        EXPECT_TRUE(evs) << evs.error().describe();
        return evs ? *evs : std::vector<AdjudicatorEvent>{};
    }

    template <class E>
    std::vector<E> eventsOf()
    {
        std::vector<E> out;
        for (const auto& ev : eventsSinceStart())
            if (const auto* e = std::get_if<E>(&ev.body)) out.push_back(*e);
        return out;
    }

    std::uint64_t latestTimestamp() { return rpc()->getBlock(BlockTag::latest()).value().timestamp; }

    static void report(const char* what, const Receipt& r)
    {
        std::cout << "[gas] " << what << ": " << r.gasUsed << "\n";
    }

    std::unique_ptr<PrivateKey> a_, b_;
    nitro::FixedPart fixed_;
    ChannelId channel_;
    std::uint64_t startBlock_ = 0;
    static inline std::uint64_t nextNonce_ = 1;
};

TEST_F(AdjudicatorTest, DepositShowsInHoldingsAndEvents)
{
    EXPECT_EQ(adjudicator().holdings(channel_).value(), Wei());
    const Wei before = balanceOf(a().address());
    const Wei fee = deposit(milliEther(1000));
    EXPECT_EQ(adjudicator().holdings(channel_).value(), milliEther(1000));
    EXPECT_EQ(balanceOf(a().address()), before - milliEther(1000) - fee);

    const auto deposits = eventsOf<DepositedEvent>();
    ASSERT_EQ(deposits.size(), 1u);
    EXPECT_EQ(deposits[0].destination, channel_);
    EXPECT_EQ(deposits[0].asset, Address{});
    EXPECT_EQ(deposits[0].amountDeposited, milliEther(1000));
    EXPECT_EQ(deposits[0].destinationHoldings, milliEther(1000));

    // A second deposit on top, with the right expectation.
    auto sender = senderFor(b());
    ASSERT_TRUE(adjudicator().deposit(*sender, channel_, milliEther(1000), milliEther(250)));
    EXPECT_EQ(adjudicator().holdings(channel_).value(), milliEther(1250));
    // A deposit that expects more than is held reverts with the contract's reason.
    auto wrong = adjudicator().deposit(*sender, channel_, milliEther(5000), milliEther(1));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ChainError::reverted);
    EXPECT_NE(wrong.error().message.find("holdings < expectedHeld"), std::string::npos) << wrong.error().message;
}

TEST_F(AdjudicatorTest, CooperativeCloseTransfersExactAmounts)
{
    const Wei aBefore = balanceOf(a().address());
    const Wei bBefore = balanceOf(b().address());
    const Wei depositFee = deposit(milliEther(1000));

    const State final = state(10, true, milliEther(300), milliEther(700));
    auto sender = senderFor(b());
    auto r = adjudicator().concludeAndTransferAllAssets(*sender, doublySigned(final));
    ASSERT_TRUE(r) << r.error().describe();
    report("concludeAndTransferAllAssets", *r);

    EXPECT_EQ(balanceOf(a().address()), aBefore - milliEther(1000) - depositFee + milliEther(300));
    EXPECT_EQ(balanceOf(b().address()), bBefore + milliEther(700) - r->fee());
    EXPECT_EQ(adjudicator().holdings(channel_).value(), Wei());

    auto st = adjudicator().status(channel_);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->finalizesAt, rpc()->getBlock(BlockTag::number(r->blockNumber)).value().timestamp);
    EXPECT_EQ(adjudicator().mode(channel_).value(), ChannelMode::finalized);
    const auto concluded = eventsOf<ConcludedEvent>();
    ASSERT_EQ(concluded.size(), 1u);
    EXPECT_EQ(concluded[0].finalizesAt, st->finalizesAt);
    const auto updated = eventsOf<AllocationUpdatedEvent>();
    ASSERT_EQ(updated.size(), 1u);
    EXPECT_EQ(updated[0].assetIndex, 0);
    EXPECT_EQ(updated[0].initialHoldings, milliEther(1000));

    // Challenging a finalized channel is refused with the contract's reason, before any gas is spent.
    const Wei aNow = balanceOf(a().address());
    auto late = adjudicator().challenge(*senderFor(a()), doublySigned(final), nitro::signChallenge(final, a()));
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, ChainError::reverted);
    EXPECT_NE(late.error().message.find("Channel finalized"), std::string::npos) << late.error().message;
    EXPECT_EQ(balanceOf(a().address()), aNow);
}

TEST_F(AdjudicatorTest, ChallengeThenTransferAfterTheWindow)
{
    const Wei aBefore = balanceOf(a().address());
    const Wei bBefore = balanceOf(b().address());
    const Wei depositFee = deposit(milliEther(1000));

    const State latest = state(5, false, milliEther(400), milliEther(600));
    auto aSender = senderFor(a());
    auto challenged = adjudicator().challenge(*aSender, doublySigned(latest), nitro::signChallenge(latest, a()));
    ASSERT_TRUE(challenged) << challenged.error().describe();
    report("challenge", *challenged);
    const std::uint64_t challengeTime = rpc()->getBlock(BlockTag::number(challenged->blockNumber)).value().timestamp;

    const auto registered = eventsOf<ChallengeRegisteredEvent>();
    ASSERT_EQ(registered.size(), 1u);
    const auto& ev = registered[0];
    EXPECT_EQ(ev.channelId, channel_);
    EXPECT_EQ(ev.turnNumRecord, 5u);
    EXPECT_EQ(ev.finalizesAt, challengeTime + 60);
    EXPECT_FALSE(ev.isFinal);
    EXPECT_EQ(ev.fixedPart, fixed_);
    EXPECT_EQ(ev.whoSignedWhat, (std::vector<std::uint8_t>{0, 0}));
    EXPECT_EQ(ev.challengedStateHash(), nitro::stateHash(latest));
    EXPECT_EQ(ev.challengedState().value(), latest);

    auto st = adjudicator().status(channel_);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->turnNumRecord, 5u);
    EXPECT_EQ(st->finalizesAt, challengeTime + 60);
    EXPECT_EQ(st->fingerprint, ChannelStatus::fingerprintOf(nitro::stateHash(latest), nitro::outcomeHash(latest.outcome)));
    EXPECT_EQ(adjudicator().mode(channel_).value(), ChannelMode::challenge);

    // Too early: the channel is not finalized yet.
    auto bSender = senderFor(b());
    auto early = adjudicator().transferAllAssets(*bSender, channel_, latest.outcome, nitro::stateHash(latest));
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().code, ChainError::reverted);

    ASSERT_TRUE(rpc()->increaseTime(61));
    ASSERT_TRUE(rpc()->mine());
    EXPECT_EQ(adjudicator().mode(channel_).value(), ChannelMode::finalized);

    auto transferred = adjudicator().transferAllAssets(*bSender, channel_, ev.challengedOutcome(), ev.challengedStateHash());
    ASSERT_TRUE(transferred) << transferred.error().describe();
    report("transferAllAssets", *transferred);
    EXPECT_EQ(balanceOf(a().address()),
              aBefore - milliEther(1000) - depositFee - challenged->fee() + milliEther(400));
    EXPECT_EQ(balanceOf(b().address()), bBefore + milliEther(600) - transferred->fee());
    EXPECT_EQ(adjudicator().holdings(channel_).value(), Wei());
}

TEST_F(AdjudicatorTest, StaleChallengeIsAnsweredByCheckpoint)
{
    const Wei aBefore = balanceOf(a().address());
    const Wei bBefore = balanceOf(b().address());
    const Wei depositFee = deposit(milliEther(1000));
    const State old = state(3, false, milliEther(900), milliEther(100));
    const State latest = state(7, false, milliEther(500), milliEther(500));

    // b cheats with an older state that pays it less... or more; either way it is stale.
    auto bSender = senderFor(b());
    auto cheat = adjudicator().challenge(*bSender, doublySigned(old), nitro::signChallenge(old, b()));
    ASSERT_TRUE(cheat) << cheat.error().describe();
    ASSERT_EQ(eventsOf<ChallengeRegisteredEvent>().at(0).turnNumRecord, 3u);

    auto aSender = senderFor(a());
    auto answered = adjudicator().checkpoint(*aSender, doublySigned(latest));
    ASSERT_TRUE(answered) << answered.error().describe();
    report("checkpoint", *answered);
    const auto cleared = eventsOf<ChallengeClearedEvent>();
    ASSERT_EQ(cleared.size(), 1u);
    EXPECT_EQ(cleared[0].newTurnNumRecord, 7u);
    auto st = adjudicator().status(channel_);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->turnNumRecord, 7u);
    EXPECT_EQ(st->finalizesAt, 0u);
    EXPECT_EQ(adjudicator().mode(channel_).value(), ChannelMode::open);

    // The old state can no longer be challenged.
    auto again = adjudicator().challenge(*bSender, doublySigned(old), nitro::signChallenge(old, b()));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ChainError::reverted);

    // The payout follows the latest state: a challenges with it and collects after the window.
    auto challenged = adjudicator().challenge(*aSender, doublySigned(latest), nitro::signChallenge(latest, a()));
    ASSERT_TRUE(challenged) << challenged.error().describe();
    ASSERT_TRUE(rpc()->increaseTime(61));
    ASSERT_TRUE(rpc()->mine());
    auto transferred = adjudicator().transferAllAssets(*aSender, channel_, latest.outcome, nitro::stateHash(latest));
    ASSERT_TRUE(transferred) << transferred.error().describe();
    EXPECT_EQ(balanceOf(a().address()), aBefore - milliEther(1000) - depositFee - answered->fee() - challenged->fee() -
                                            transferred->fee() + milliEther(500));
    EXPECT_EQ(balanceOf(b().address()), bBefore - cheat->fee() + milliEther(500));
}

TEST_F(AdjudicatorTest, ResumableScanSeesEveryEventOnce)
{
    deposit(milliEther(100));
    auto sender = senderFor(b());
    ASSERT_TRUE(adjudicator().deposit(*sender, channel_, milliEther(100), milliEther(50)));
    const State s = state(4, false, milliEther(75), milliEther(75));
    ASSERT_TRUE(adjudicator().challenge(*sender, doublySigned(s), nitro::signChallenge(s, b())));

    // One block per step, as a watcher with a persisted cursor would after a long pause.
    std::vector<AdjudicatorEvent> seen;
    std::uint64_t cursor = startBlock_;
    for (int steps = 0;; ++steps) {
        ASSERT_LT(steps, 100);
        auto step = adjudicator().scan(cursor, {channel_}, 1);
        ASSERT_TRUE(step) << step.error().describe();
        seen.insert(seen.end(), step->events.begin(), step->events.end());
        ASSERT_GE(step->nextBlock, cursor);
        cursor = step->nextBlock;
        if (step->caughtUp) break;
    }
    EXPECT_EQ(cursor, rpc()->blockNumber().value() + 1);
    const auto all = eventsSinceStart();
    ASSERT_EQ(seen.size(), all.size());
    ASSERT_EQ(seen.size(), 3u); // two deposits and the challenge
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(seen[i].transactionHash, all[i].transactionHash);
        EXPECT_EQ(seen[i].logIndex, all[i].logIndex);
    }
    EXPECT_TRUE(std::holds_alternative<ChallengeRegisteredEvent>(seen.back().body));
    // Nothing new: an empty, caught-up step that keeps the cursor.
    auto idle = adjudicator().scan(cursor, {channel_});
    ASSERT_TRUE(idle);
    EXPECT_TRUE(idle->events.empty());
    EXPECT_TRUE(idle->caughtUp);
    EXPECT_EQ(idle->nextBlock, cursor);
}

TEST_F(AdjudicatorTest, TransactionRevertedOnChainReportsTheReason)
{
    // Skip estimation (explicit gas) so the transaction is mined and fails there.
    deposit(milliEther(10));
    const State s = state(4, false, milliEther(5), milliEther(5));
    auto sender = senderFor(a());
    const Wei before = balanceOf(a().address());
    auto r = sender->send(TxRequest{localChain().info().adjudicator, Wei(),
                                    adjudicator_calldata::transferAllAssets(channel_, nitro::encodeOutcome(s.outcome),
                                                                            nitro::stateHash(s)),
                                    std::uint64_t{300000}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ChainError::reverted);
    EXPECT_NE(r.error().message.find("failed on chain"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("Channel not finalized"), std::string::npos) << r.error().message;
    EXPECT_LT(balanceOf(a().address()).value(), before.value()); // the failed transaction cost gas
}

TEST_F(AdjudicatorTest, SupportProofRefusesMissingOrForeignSignatures)
{
    const State s = state(2, false, milliEther(1), milliEther(1));
    nitro::SignedState missing{s, {nitro::signState(s, a()), std::nullopt}};
    EXPECT_EQ(SupportProof::fromSignedState(missing).error().code, ChainError::invalid_argument);
    nitro::SignedState swapped{s, {nitro::signState(s, b()), nitro::signState(s, a())}};
    EXPECT_EQ(SupportProof::fromSignedState(swapped).error().code, ChainError::invalid_argument);
}

} // namespace
} // namespace pt::chain
