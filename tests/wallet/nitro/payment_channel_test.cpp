#include "wallet/nitro/payment_channel.hpp"

#include "wallet/crypto/keccak.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace pt;
using namespace pt::nitro;

namespace {

// A seeded generator for the property tests; PT_TEST_SEED=<n> replays a run.
std::uint64_t testSeed()
{
    static const std::uint64_t seed = []() -> std::uint64_t {
        if (const char* env = std::getenv("PT_TEST_SEED")) return std::strtoull(env, nullptr, 10);
        return (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }();
    return seed;
}

std::mt19937_64 seededRng(const char* testName)
{
    std::cout << "[ seed     ] " << testName << ": PT_TEST_SEED=" << testSeed() << "\n";
    ::testing::Test::RecordProperty("seed", std::to_string(testSeed()));
    return std::mt19937_64(testSeed());
}

template <std::size_t N>
FixedBytes<N> randomBytes(std::mt19937_64& rng)
{
    FixedBytes<N> out;
    for (auto& b : out.bytes) b = static_cast<std::uint8_t>(rng());
    return out;
}

PrivateKey randomKey(std::mt19937_64& rng)
{
    for (;;) {
        auto k = PrivateKey::fromBytes(randomBytes<32>(rng).view());
        if (k) return *k;
    }
}

Address randomAddress(std::mt19937_64& rng) { return Address(randomBytes<20>(rng)); }

// Uniform-ish in [0, bound] (bound inclusive), with a bias towards the edges where bugs live.
U256 randomBelowOrEqual(std::mt19937_64& rng, const U256& bound)
{
    switch (rng() % 8) {
    case 0: return 0;
    case 1: return bound;
    case 2: return bound == 0 ? U256(0) : U256(1);
    default: break;
    }
    if (bound == 0) return 0;
    const U256 r = fromWord(randomBytes<32>(rng));
    // Spread over magnitudes: sometimes a small amount, sometimes a large share.
    const unsigned shift = static_cast<unsigned>(rng() % 256);
    const U256 x = r >> shift;
    return bound == ~U256(0) ? x : x % (bound + 1);
}

Hash32 digestOf(const State& s) { return ethSignedMessageDigest(stateHash(s)); }

struct Parties {
    PrivateKey beneficiary;
    PrivateKey payer;
    ChannelTerms terms;
};

Parties fixedParties(std::uint64_t deposit = 1000)
{
    auto b = PrivateKey::fromHex("0x1111111111111111111111111111111111111111111111111111111111111111");
    auto p = PrivateKey::fromHex("0x2222222222222222222222222222222222222222222222222222222222222222");
    EXPECT_TRUE(b && p);
    ChannelTerms t;
    t.chainId = 31337;
    t.beneficiary = b->address();
    t.payer = p->address();
    t.channelNonce = 7;
    t.challengeDuration = 300;
    t.deposit = Wei(deposit);
    return {*b, *p, t};
}

Parties randomParties(std::mt19937_64& rng)
{
    PrivateKey b = randomKey(rng);
    PrivateKey p = randomKey(rng);
    ChannelTerms t;
    t.chainId = U256(rng() % 100000 + 1);
    t.beneficiary = b.address();
    t.payer = p.address();
    t.channelNonce = rng() & max_uint48;
    t.appDefinition = rng() % 2 ? Address{} : randomAddress(rng);
    t.challengeDuration = rng() % 100000;
    // Deposits from 1 wei to close to 2^255 (room for the total to stay below 2^256).
    t.deposit = Wei(randomBelowOrEqual(rng, U256(1) << (rng() % 255)) + 1);
    return {b, p, t};
}

// Turn 0 signed by both, as each party checks it before funding.
ChannelView open(const Parties& p)
{
    auto initial = makeInitialState(p.terms);
    EXPECT_TRUE(initial) << initial.error().describe();
    SignedState s{*initial, {}};
    auto once = addSignature(s, p.payer);
    EXPECT_TRUE(once);
    auto twice = addSignature(*once, p.beneficiary);
    EXPECT_TRUE(twice);
    auto view = openChannel(p.terms, *twice);
    EXPECT_TRUE(view) << view.error().describe();
    return *view;
}

struct Views {
    ChannelView payerSide;
    ChannelView beneficiarySide;
    Wei paidDelta;
};

// One whole exchange; asserts every step succeeds.
Views pay(const Parties& p, const ChannelView& payerSide, const ChannelView& beneficiarySide, const Wei& amount,
          bool final = false)
{
    auto proposal = final ? makeFinal(payerSide, p.payer) : makePayment(payerSide, amount, p.payer);
    EXPECT_TRUE(proposal) << proposal.error().describe();
    auto validated = validatePayment(beneficiarySide, proposal->signedState());
    EXPECT_TRUE(validated) << validated.error().describe();
    auto countersigned = countersign(*validated, p.beneficiary);
    EXPECT_TRUE(countersigned) << countersigned.error().describe();
    auto confirmed = verifyCountersigned(*proposal, countersigned->latest());
    EXPECT_TRUE(confirmed) << confirmed.error().describe();
    return {*confirmed, *countersigned, validated->paid()};
}

void resign(SignedState& s, const PrivateKey& payer) { s.signatures[payer_index] = payer.signDigest(digestOf(s.state)); }

} // namespace

TEST(PaymentChannel, InitialStateHasTheAgreedShape)
{
    const Parties p = fixedParties(1000);
    auto s = makeInitialState(p.terms);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->turnNum, 0u);
    EXPECT_FALSE(s->isFinal);
    EXPECT_TRUE(s->appData.empty());
    ASSERT_EQ(s->fixed.participants.size(), 2u);
    EXPECT_EQ(s->fixed.participants[0], p.beneficiary.address());
    EXPECT_EQ(s->fixed.participants[1], p.payer.address());
    EXPECT_EQ(s->fixed.chainId, U256(31337));
    EXPECT_EQ(s->fixed.channelNonce, 7u);
    EXPECT_EQ(s->fixed.challengeDuration, 300u);
    ASSERT_EQ(s->outcome.size(), 1u);
    EXPECT_TRUE(s->outcome[0].asset.isZero());
    ASSERT_EQ(s->outcome[0].allocationItems.size(), 2u);
    EXPECT_EQ(s->outcome[0].allocationItems[0].destination, p.beneficiary.address().toBytes32());
    EXPECT_EQ(s->outcome[0].allocationItems[0].amount, Wei(0));
    EXPECT_EQ(s->outcome[0].allocationItems[1].destination, p.payer.address().toBytes32());
    EXPECT_EQ(s->outcome[0].allocationItems[1].amount, Wei(1000));

    const ChannelView view = open(p);
    EXPECT_EQ(view.id(), channelId(s->fixed));
    EXPECT_EQ(view.paid(), Wei(0));
    EXPECT_EQ(view.remaining(), Wei(1000));
    EXPECT_EQ(view.total(), Wei(1000));
    EXPECT_EQ(view.beneficiary(), p.beneficiary.address());
    EXPECT_EQ(view.payer(), p.payer.address());
}

TEST(PaymentChannel, MalformedTermsAreRefused)
{
    Parties p = fixedParties();
    ChannelTerms t = p.terms;
    t.payer = t.beneficiary;
    EXPECT_EQ(makeInitialState(t).error().code, ChannelError::malformed);
    t = p.terms;
    t.beneficiary = Address{};
    EXPECT_EQ(makeInitialState(t).error().code, ChannelError::malformed);
    t = p.terms;
    t.channelNonce = max_uint48 + 1;
    EXPECT_EQ(makeInitialState(t).error().code, ChannelError::malformed);
    t = p.terms;
    t.challengeDuration = max_uint48 + 1;
    EXPECT_EQ(makeInitialState(t).error().code, ChannelError::malformed);
    t = p.terms;
    t.channelNonce = max_uint48;
    EXPECT_TRUE(makeInitialState(t));
}

TEST(PaymentChannel, OpeningNeedsTheAgreedStateSignedByBoth)
{
    const Parties p = fixedParties();
    auto initial = makeInitialState(p.terms);
    ASSERT_TRUE(initial);
    const SignedState unsigned_{*initial, {}};
    auto byPayer = addSignature(unsigned_, p.payer);
    auto byBeneficiary = addSignature(unsigned_, p.beneficiary);
    ASSERT_TRUE(byPayer && byBeneficiary);
    EXPECT_EQ(openChannel(p.terms, *byPayer).error().code, ChannelError::wrong_signer);
    EXPECT_EQ(openChannel(p.terms, *byBeneficiary).error().code, ChannelError::wrong_signer);

    auto stranger = PrivateKey::fromHex(std::string(63, '3') + "3");
    ASSERT_TRUE(stranger);
    auto byStranger = addSignature(*byPayer, *stranger);
    ASSERT_FALSE(byStranger);
    EXPECT_EQ(byStranger.error().code, ChannelError::wrong_signer);
    // A stranger's signature in the beneficiary's slot.
    SignedState forged = *byPayer;
    forged.signatures[beneficiary_index] = stranger->signDigest(digestOf(forged.state));
    EXPECT_EQ(openChannel(p.terms, forged).error().code, ChannelError::wrong_signer);

    auto both = addSignature(*byPayer, p.beneficiary);
    ASSERT_TRUE(both);
    EXPECT_TRUE(openChannel(p.terms, *both));

    ChannelTerms other = p.terms;
    other.deposit = Wei(999);
    EXPECT_EQ(openChannel(other, *both).error().code, ChannelError::terms_mismatch);
    other = p.terms;
    other.channelNonce += 1;
    EXPECT_EQ(openChannel(other, *both).error().code, ChannelError::wrong_channel);

    SignedState later = *both;
    later.state.turnNum = 1;
    later = *addSignature(*addSignature(later, p.payer), p.beneficiary);
    EXPECT_EQ(openChannel(p.terms, later).error().code, ChannelError::terms_mismatch);
}

TEST(PaymentChannel, OnePaymentIsSignedByBoth)
{
    const Parties p = fixedParties(1000);
    const ChannelView start = open(p);

    auto proposal = makePayment(start, Wei(300), p.payer);
    ASSERT_TRUE(proposal);
    const SignedState& sent = proposal->signedState();
    EXPECT_EQ(sent.state.turnNum, 1u);
    EXPECT_FALSE(sent.signatures[beneficiary_index].has_value());
    ASSERT_TRUE(sent.signatures[payer_index].has_value());
    // The same signature the state module makes (RFC 6979: deterministic).
    EXPECT_EQ(*sent.signatures[payer_index], signState(sent.state, p.payer));
    EXPECT_EQ(proposal->digest(), digestOf(sent.state));
    EXPECT_EQ(proposal->amount(), Wei(300));

    auto validated = validatePayment(start, sent);
    ASSERT_TRUE(validated) << validated.error().describe();
    EXPECT_EQ(validated->paid(), Wei(300));
    EXPECT_FALSE(validated->isFinal());

    auto beneficiaryView = countersign(*validated, p.beneficiary);
    ASSERT_TRUE(beneficiaryView);
    auto payerView = verifyCountersigned(*proposal, beneficiaryView->latest());
    ASSERT_TRUE(payerView) << payerView.error().describe();

    for (const ChannelView* v : {&*beneficiaryView, &*payerView}) {
        EXPECT_EQ(v->turnNum(), 1u);
        EXPECT_EQ(v->paid(), Wei(300));
        EXPECT_EQ(v->remaining(), Wei(700));
        EXPECT_EQ(v->id(), start.id());
        const SignedState& both = v->latest();
        ASSERT_TRUE(both.signatures[0] && both.signatures[1]);
        auto b = recoverStateSigner(both.state, *both.signatures[0]);
        auto q = recoverStateSigner(both.state, *both.signatures[1]);
        ASSERT_TRUE(b && q);
        EXPECT_EQ(*b, p.beneficiary.address());
        EXPECT_EQ(*q, p.payer.address());
    }
    EXPECT_EQ(beneficiaryView->latest().state, payerView->latest().state);
    EXPECT_EQ(beneficiaryView->latest().signatures, payerView->latest().signatures);

    // The countersigned state resumes a channel after a restart; a tampered one does not.
    auto restored = restoreChannel(payerView->latest());
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->paid(), Wei(300));
    SignedState tampered = payerView->latest();
    tampered.state.outcome[0].allocationItems[0].amount = Wei(301);
    tampered.state.outcome[0].allocationItems[1].amount = Wei(699);
    EXPECT_EQ(restoreChannel(tampered).error().code, ChannelError::wrong_signer);
    SignedState halfSigned = payerView->latest();
    halfSigned.signatures[beneficiary_index].reset();
    EXPECT_EQ(restoreChannel(halfSigned).error().code, ChannelError::wrong_signer);
}

// Payments in flight: the payer signs turns 2 and 3 before turn 1 is countersigned; the
// beneficiary takes them in order, and each reply is checked against its own proposal.
TEST(PaymentChannel, PaymentsCanBeSignedBeforeTheLastIsCountersigned)
{
    const Parties p = fixedParties(1000);
    const ChannelView start = open(p);

    auto first = makePayment(start, Wei(100), p.payer);
    ASSERT_TRUE(first);
    auto second = makePayment(*first, Wei(250), p.payer);
    ASSERT_TRUE(second) << second.error().describe();
    auto third = makePayment(*second, Wei(50), p.payer);
    ASSERT_TRUE(third);
    EXPECT_EQ(second->turnNum(), 2u);
    EXPECT_EQ(third->turnNum(), 3u);
    EXPECT_EQ(third->paid(), Wei(400));
    EXPECT_EQ(third->remaining(), Wei(600));
    EXPECT_EQ(third->amount(), Wei(50));
    EXPECT_EQ(third->channelId(), start.id());
    // Each builds on the one before: what is left after the proposals in flight is the limit.
    EXPECT_EQ(makePayment(*third, Wei(601), p.payer).error().code, ChannelError::payer_below_zero);
    EXPECT_EQ(makePayment(*third, Wei(1), p.beneficiary).error().code, ChannelError::wrong_signer);

    // Out of order, the beneficiary refuses: turn 2 does not follow turn 0.
    EXPECT_EQ(validatePayment(start, second->signedState()).error().code, ChannelError::turn_not_next);

    ChannelView beneficiary = start;
    std::vector<ChannelView> replies;
    for (const Proposal* sent : {&*first, &*second, &*third}) {
        auto valid = validatePayment(beneficiary, sent->signedState());
        ASSERT_TRUE(valid) << valid.error().describe();
        EXPECT_EQ(valid->paid(), sent->amount());
        auto next = countersign(*valid, p.beneficiary);
        ASSERT_TRUE(next);
        beneficiary = *next;
        replies.push_back(*next);
    }
    EXPECT_EQ(beneficiary.paid(), Wei(400));
    auto v1 = verifyCountersigned(*first, replies[0].latest());
    auto v3 = verifyCountersigned(*third, replies[2].latest());
    ASSERT_TRUE(v1 && v3);
    EXPECT_EQ(v1->paid(), Wei(100));
    EXPECT_EQ(v3->paid(), Wei(400));
    EXPECT_EQ(v3->latest().signatures, beneficiary.latest().signatures);
    // A reply for another turn is not this proposal's countersignature.
    EXPECT_EQ(verifyCountersigned(*second, replies[2].latest()).error().code, ChannelError::state_mismatch);
}

TEST(PaymentChannel, PayerCannotOverspendOrSignForAnother)
{
    const Parties p = fixedParties(1000);
    const ChannelView start = open(p);
    EXPECT_EQ(makePayment(start, Wei(1001), p.payer).error().code, ChannelError::payer_below_zero);
    EXPECT_EQ(makePayment(start, Wei(10), p.beneficiary).error().code, ChannelError::wrong_signer);

    const Views all = pay(p, start, start, Wei(1000));
    EXPECT_EQ(all.paidDelta, Wei(1000));
    EXPECT_EQ(all.payerSide.remaining(), Wei(0));
    EXPECT_EQ(makePayment(all.payerSide, Wei(1), p.payer).error().code, ChannelError::payer_below_zero);
    // A zero payment only moves the turn: allowed, pays nothing.
    const Views zero = pay(p, all.payerSide, all.beneficiarySide, Wei(0));
    EXPECT_EQ(zero.paidDelta, Wei(0));
    EXPECT_EQ(zero.beneficiarySide.turnNum(), 2u);
}

TEST(PaymentChannel, OnlyTheBeneficiaryCountersigns)
{
    const Parties p = fixedParties(1000);
    const ChannelView start = open(p);
    auto proposal = makePayment(start, Wei(5), p.payer);
    ASSERT_TRUE(proposal);
    auto validated = validatePayment(start, proposal->signedState());
    ASSERT_TRUE(validated);
    EXPECT_EQ(countersign(*validated, p.payer).error().code, ChannelError::wrong_signer);
}

TEST(PaymentChannel, BeneficiarySlotOfAProposalIsIgnored)
{
    const Parties p = fixedParties(1000);
    const ChannelView start = open(p);
    auto proposal = makePayment(start, Wei(5), p.payer);
    ASSERT_TRUE(proposal);
    SignedState withJunk = proposal->signedState();
    withJunk.signatures[beneficiary_index] = p.payer.signDigest(keccak256(std::string_view("junk")));
    auto validated = validatePayment(start, withJunk);
    ASSERT_TRUE(validated);
    EXPECT_FALSE(validated->signedState().signatures[beneficiary_index].has_value());
}

TEST(PaymentChannel, PayerChecksTheCountersignature)
{
    const Parties p = fixedParties(1000);
    const ChannelView start = open(p);
    auto proposal = makePayment(start, Wei(40), p.payer);
    ASSERT_TRUE(proposal);
    auto validated = validatePayment(start, proposal->signedState());
    ASSERT_TRUE(validated);
    auto good = countersign(*validated, p.beneficiary);
    ASSERT_TRUE(good);

    SignedState unsignedReply = proposal->signedState();
    EXPECT_EQ(verifyCountersigned(*proposal, unsignedReply).error().code, ChannelError::wrong_signer);

    SignedState byPayer = good->latest();
    byPayer.signatures[beneficiary_index] = p.payer.signDigest(proposal->digest());
    EXPECT_EQ(verifyCountersigned(*proposal, byPayer).error().code, ChannelError::wrong_signer);

    // The beneficiary countersigns a state paying it more than was proposed.
    SignedState greedy = good->latest();
    greedy.state.outcome[0].allocationItems[0].amount = Wei(41);
    greedy.state.outcome[0].allocationItems[1].amount = Wei(959);
    greedy.signatures[beneficiary_index] = p.beneficiary.signDigest(digestOf(greedy.state));
    EXPECT_EQ(verifyCountersigned(*proposal, greedy).error().code, ChannelError::state_mismatch);

    SignedState shortReply = good->latest();
    shortReply.signatures.resize(1);
    EXPECT_EQ(verifyCountersigned(*proposal, shortReply).error().code, ChannelError::malformed);

    EXPECT_TRUE(verifyCountersigned(*proposal, good->latest()));
}

TEST(PaymentChannel, FinalStateClosesTheChannel)
{
    const Parties p = fixedParties(1000);
    const ChannelView start = open(p);
    const Views paid = pay(p, start, start, Wei(250));
    const Views closed = pay(p, paid.payerSide, paid.beneficiarySide, Wei(0), /*final=*/true);
    EXPECT_EQ(closed.paidDelta, Wei(0));
    EXPECT_TRUE(closed.payerSide.isFinal());
    EXPECT_TRUE(closed.beneficiarySide.isFinal());
    EXPECT_EQ(closed.beneficiarySide.turnNum(), 2u);
    EXPECT_EQ(closed.beneficiarySide.paid(), Wei(250));
    EXPECT_EQ(closed.beneficiarySide.state().outcome, paid.beneficiarySide.state().outcome);

    EXPECT_EQ(makePayment(closed.payerSide, Wei(1), p.payer).error().code, ChannelError::after_final);
    EXPECT_EQ(makeFinal(closed.payerSide, p.payer).error().code, ChannelError::after_final);

    // Whatever follows a final state, even one that is otherwise a valid next state.
    SignedState next = closed.beneficiarySide.latest();
    next.state.turnNum += 1;
    next.state.isFinal = false;
    next.signatures = {std::nullopt, std::nullopt};
    resign(next, p.payer);
    EXPECT_EQ(validatePayment(closed.beneficiarySide, next).error().code, ChannelError::after_final);
    next.state.isFinal = true;
    resign(next, p.payer);
    EXPECT_EQ(validatePayment(closed.beneficiarySide, next).error().code, ChannelError::after_final);

    auto restored = restoreChannel(closed.beneficiarySide.latest());
    ASSERT_TRUE(restored);
    EXPECT_TRUE(restored->isFinal());
}

TEST(PaymentChannel, TurnNumberStopsAtUint48)
{
    const Parties p = fixedParties(1000);
    auto s = makeInitialState(p.terms);
    ASSERT_TRUE(s);
    s->turnNum = max_uint48;
    auto both = addSignature(*addSignature(SignedState{*s, {}}, p.payer), p.beneficiary);
    ASSERT_TRUE(both);
    auto view = restoreChannel(*both);
    ASSERT_TRUE(view) << view.error().describe();
    EXPECT_EQ(makePayment(*view, Wei(1), p.payer).error().code, ChannelError::malformed);
}

// Property: random valid payment sequences are accepted on both sides, and the figures add up.
TEST(PaymentChannelProperty, RandomValidSequencesAreAcceptedAndAddUp)
{
    auto rng = seededRng("RandomValidSequencesAreAcceptedAndAddUp");
    SCOPED_TRACE("PT_TEST_SEED=" + std::to_string(testSeed()));
    int payments = 0;
    for (int channel = 0; channel < 12; ++channel) {
        const Parties p = randomParties(rng);
        const ChannelView start = open(p);
        ChannelView payerSide = start, beneficiarySide = start;
        const Wei deposit = p.terms.deposit;
        U256 sumOfDeltas = 0;
        const int turns = 1 + static_cast<int>(rng() % 60);
        for (int t = 0; t < turns; ++t) {
            const Wei amount(randomBelowOrEqual(rng, payerSide.remaining().value()));
            const bool closing = t == turns - 1 && rng() % 3 == 0;
            Views next = pay(p, payerSide, beneficiarySide, amount, closing);
            ASSERT_FALSE(::testing::Test::HasFailure()) << "channel " << channel << " turn " << t;
            EXPECT_EQ(next.paidDelta, closing ? Wei(0) : amount);
            sumOfDeltas += next.paidDelta.value();
            payerSide = next.payerSide;
            beneficiarySide = next.beneficiarySide;
            ++payments;
        }
        EXPECT_EQ(beneficiarySide.turnNum(), static_cast<std::uint64_t>(turns));
        EXPECT_EQ(beneficiarySide.paid().value(), sumOfDeltas);
        EXPECT_EQ(payerSide.paid(), beneficiarySide.paid());
        EXPECT_EQ(beneficiarySide.paid() + beneficiarySide.remaining(), deposit);
        EXPECT_EQ(payerSide.latest().state, beneficiarySide.latest().state);
        EXPECT_EQ(payerSide.latest().signatures, beneficiarySide.latest().signatures);
        // What each side would persist restores to the same figures.
        auto restored = restoreChannel(beneficiarySide.latest());
        ASSERT_TRUE(restored) << restored.error().describe();
        EXPECT_EQ(restored->paid(), beneficiarySide.paid());
        EXPECT_EQ(restored->id(), start.id());
    }
    EXPECT_GT(payments, 12);
}

namespace {

struct Mutation {
    std::string name;
    ChannelError expected;
    bool resign; // sign the mutated state again as the payer, so only the mutation is wrong
    std::function<bool(SignedState&)> apply; // false: not applicable at this point
};

} // namespace

// Property: each single mutation of a valid next state is refused with exactly its reason.
TEST(PaymentChannelProperty, EachMutationIsRejectedWithItsReason)
{
    auto rng = seededRng("EachMutationIsRejectedWithItsReason");
    SCOPED_TRACE("PT_TEST_SEED=" + std::to_string(testSeed()));
    int checked = 0;
    std::map<std::string, int> applied;

    for (int channel = 0; channel < 16; ++channel) {
        const Parties p = randomParties(rng);
        const PrivateKey stranger = randomKey(rng);
        ChannelView payerSide = open(p);
        ChannelView beneficiarySide = payerSide;
        const int turns = 1 + static_cast<int>(rng() % 6);
        for (int t = 0; t < turns; ++t) {
            const ChannelView& view = beneficiarySide;
            const SignedState previous = view.latest();
            const Wei amount(randomBelowOrEqual(rng, payerSide.remaining().value()));
            auto proposal = makePayment(payerSide, amount, p.payer);
            ASSERT_TRUE(proposal) << proposal.error().describe();
            const Wei oldPaid = view.paid();
            const Wei oldLeft = view.remaining();
            auto benOf = [](SignedState& s) -> Wei& { return s.state.outcome[0].allocationItems[0].amount; };
            auto payOf = [](SignedState& s) -> Wei& { return s.state.outcome[0].allocationItems[1].amount; };

            const std::vector<Mutation> mutations = {
                {"chainId", ChannelError::wrong_channel, true,
                 [](SignedState& s) { s.state.fixed.chainId += 1; return true; }},
                {"channelNonce", ChannelError::wrong_channel, true,
                 [&](SignedState& s) { s.state.fixed.channelNonce = (s.state.fixed.channelNonce + 1 + rng() % 1000) & max_uint48; return true; }},
                {"participant replaced", ChannelError::wrong_channel, true,
                 [&](SignedState& s) { s.state.fixed.participants[rng() % 2] = stranger.address(); return true; }},
                {"participants swapped", ChannelError::wrong_channel, true,
                 [](SignedState& s) { std::swap(s.state.fixed.participants[0], s.state.fixed.participants[1]); return true; }},
                {"third participant", ChannelError::wrong_channel, true,
                 [&](SignedState& s) { s.state.fixed.participants.push_back(stranger.address()); s.signatures.push_back(std::nullopt); return true; }},
                {"appDefinition", ChannelError::wrong_channel, true,
                 [&](SignedState& s) { s.state.fixed.appDefinition = randomAddress(rng); return true; }},
                {"challengeDuration", ChannelError::wrong_channel, true,
                 [](SignedState& s) { s.state.fixed.challengeDuration ^= 1; return true; }},
                {"signed by a stranger", ChannelError::wrong_signer, false,
                 [&](SignedState& s) { s.signatures[payer_index] = stranger.signDigest(digestOf(s.state)); return true; }},
                {"signed by the beneficiary", ChannelError::wrong_signer, false,
                 [&](SignedState& s) { s.signatures[payer_index] = p.beneficiary.signDigest(digestOf(s.state)); return true; }},
                {"payer's signature missing", ChannelError::wrong_signer, false,
                 [](SignedState& s) { s.signatures[payer_index].reset(); return true; }},
                {"payer's signature of the previous state", ChannelError::wrong_signer, false,
                 [&](SignedState& s) { s.signatures[payer_index] = previous.signatures[payer_index]; return true; }},
                {"payer's signature over the bare state hash", ChannelError::wrong_signer, false,
                 [&](SignedState& s) { s.signatures[payer_index] = p.payer.signDigest(stateHash(s.state)); return true; }},
                {"signature s flipped", ChannelError::wrong_signer, false,
                 [&](SignedState& s) { s.signatures[payer_index]->s.bytes[31] ^= 0x01; return true; }},
                {"turn +0", ChannelError::turn_not_next, true,
                 [](SignedState& s) { s.state.turnNum -= 1; return true; }},
                {"turn +2", ChannelError::turn_not_next, true,
                 [](SignedState& s) { s.state.turnNum += 1; return true; }},
                {"turn far ahead", ChannelError::turn_not_next, true,
                 [&](SignedState& s) { s.state.turnNum += 2 + rng() % 1000; return true; }},
                {"payer's amount increased", ChannelError::total_changed, true,
                 [&](SignedState& s) {
                     auto& x = payOf(s);
                     const auto more = x.checkedAdd(Wei(1 + rng() % 1000));
                     if (!more) return false;
                     x = *more;
                     return true;
                 }},
                {"payer's amount decreased", ChannelError::total_changed, true,
                 [&](SignedState& s) {
                     auto& x = payOf(s);
                     if (x == Wei(0)) return false;
                     x = Wei(randomBelowOrEqual(rng, x.value() - 1));
                     return true;
                 }},
                {"destinations swapped", ChannelError::destinations_changed, true,
                 [](SignedState& s) {
                     auto& items = s.state.outcome[0].allocationItems;
                     std::swap(items[0].destination, items[1].destination);
                     return true;
                 }},
                {"destination replaced", ChannelError::destinations_changed, true,
                 [&](SignedState& s) { s.state.outcome[0].allocationItems[rng() % 2].destination = stranger.address().toBytes32(); return true; }},
                {"destination is a channel id", ChannelError::destinations_changed, true,
                 [&](SignedState& s) { s.state.outcome[0].allocationItems[rng() % 2].destination = randomBytes<32>(rng); return true; }},
                {"asset changed", ChannelError::assets_changed, true,
                 [&](SignedState& s) { s.state.outcome[0].asset = randomAddress(rng); return true; }},
                {"beneficiary decreased", ChannelError::beneficiary_decreased, true,
                 [&](SignedState& s) {
                     if (oldPaid == Wei(0)) return false;
                     const Wei d(1 + randomBelowOrEqual(rng, oldPaid.value() - 1));
                     benOf(s) = oldPaid - d;
                     payOf(s) = oldLeft + d; // the total is kept: only the decrease is wrong
                     return true;
                 }},
                {"overspend, payer at zero", ChannelError::payer_below_zero, true,
                 [&](SignedState& s) {
                     const auto over = oldPaid.checkedAdd(oldLeft);
                     const auto more = over ? over->checkedAdd(Wei(1 + rng() % 1000)) : std::nullopt;
                     if (!more) return false;
                     benOf(s) = *more;
                     payOf(s) = Wei(0);
                     return true;
                 }},
                {"overspend, payer wraps below zero", ChannelError::payer_below_zero, true,
                 [&](SignedState& s) {
                     const Wei delta(oldLeft.value() + 1 + rng() % 1000);
                     const auto ben = oldPaid.checkedAdd(delta);
                     if (delta.value() < oldLeft.value() || !ben) return false;
                     benOf(s) = *ben;
                     payOf(s) = Wei(oldLeft.value() - delta.value()); // 2^256 arithmetic: wraps
                     return true;
                 }},
                {"third allocation item", ChannelError::malformed, true,
                 [&](SignedState& s) { s.state.outcome[0].allocationItems.push_back({stranger.address().toBytes32(), Wei(0)}); return true; }},
                {"one allocation item", ChannelError::malformed, true,
                 [](SignedState& s) { s.state.outcome[0].allocationItems.pop_back(); return true; }},
                {"second asset", ChannelError::malformed, true,
                 [&](SignedState& s) { s.state.outcome.push_back({randomAddress(rng), {}}); return true; }},
                {"no outcome", ChannelError::malformed, true,
                 [](SignedState& s) { s.state.outcome.clear(); return true; }},
                {"appData", ChannelError::malformed, true,
                 [&](SignedState& s) { s.state.appData = {static_cast<std::uint8_t>(rng())}; return true; }},
                {"turnNum beyond uint48", ChannelError::malformed, true,
                 [](SignedState& s) { s.state.turnNum = max_uint48 + 1; return true; }},
                {"three signature slots", ChannelError::malformed, false,
                 [](SignedState& s) { s.signatures.push_back(std::nullopt); return true; }},
                {"one signature slot", ChannelError::malformed, false,
                 [](SignedState& s) { s.signatures.erase(s.signatures.begin()); return true; }},
            };

            for (const Mutation& m : mutations) {
                SignedState mutated = proposal->signedState();
                if (!m.apply(mutated)) continue;
                if (m.resign) resign(mutated, p.payer);
                auto r = validatePayment(view, mutated);
                ASSERT_FALSE(r) << "accepted mutation '" << m.name << "' at channel " << channel << " turn " << t;
                EXPECT_EQ(r.error().code, make_error_code(m.expected))
                    << "mutation '" << m.name << "' refused as '" << r.error().code.message() << "' ("
                    << r.error().describe() << ")";
                EXPECT_FALSE(r.error().describe().empty());
                ++applied[m.name];
                ++checked;
            }

            // The unmutated proposal still passes, and the payer rejects a countersignature
            // of anything but its own proposal.
            auto validated = validatePayment(view, proposal->signedState());
            ASSERT_TRUE(validated) << validated.error().describe();
            EXPECT_EQ(validated->paid(), amount);
            auto countersigned = countersign(*validated, p.beneficiary);
            ASSERT_TRUE(countersigned);
            SignedState otherState = countersigned->latest();
            otherState.state.turnNum += 1;
            otherState.signatures[beneficiary_index] = p.beneficiary.signDigest(digestOf(otherState.state));
            EXPECT_EQ(verifyCountersigned(*proposal, otherState).error().code, ChannelError::state_mismatch);
            SignedState strangerSigned = countersigned->latest();
            strangerSigned.signatures[beneficiary_index] = stranger.signDigest(proposal->digest());
            EXPECT_EQ(verifyCountersigned(*proposal, strangerSigned).error().code, ChannelError::wrong_signer);
            auto confirmed = verifyCountersigned(*proposal, countersigned->latest());
            ASSERT_TRUE(confirmed);
            payerSide = *confirmed;
            beneficiarySide = *countersigned;
        }

        // After a final state, even an otherwise valid next state is refused.
        const Views closed = pay(p, payerSide, beneficiarySide, Wei(0), /*final=*/true);
        SignedState after = closed.beneficiarySide.latest();
        after.state.turnNum += 1;
        after.state.isFinal = rng() % 2 == 0;
        after.signatures = {std::nullopt, std::nullopt};
        resign(after, p.payer);
        auto r = validatePayment(closed.beneficiarySide, after);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ChannelError::after_final);
        ++applied["after final"];
        ++checked;
    }

    std::cout << "[ checked  ] " << checked << " mutated states over " << applied.size() << " kinds of mutation\n";
    // Every kind of mutation was exercised at least once (the conditional ones need a
    // previous payment, which 16 channels provide with near certainty).
    EXPECT_GE(applied.size(), 34u);
}
