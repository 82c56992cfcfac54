#include "wallet/nitro/payment_channel.hpp"

#include <optional>
#include <string>
#include <utility>

namespace pt::nitro {

// Builds the checked types; only this file can, so a ChannelView or a ValidatedPayment
// always comes out of the checks below.
struct PaymentChannelAccess {
    static ChannelView view(SignedState s, const ChannelId& id) { return ChannelView(std::move(s), id); }
    static Proposal proposal(SignedState s, const Hash32& digest, const Wei& amount, const ChannelId& id)
    {
        return Proposal(std::move(s), digest, amount, id);
    }
    static ValidatedPayment validated(SignedState s, const Hash32& digest, const Wei& paid, const ChannelId& id)
    {
        return ValidatedPayment(std::move(s), digest, paid, id);
    }
};

namespace {

class ChannelErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "payment channel"; }
    std::string message(int ev) const override
    {
        switch (static_cast<ChannelError>(ev)) {
        case ChannelError::wrong_channel: return "state of another channel";
        case ChannelError::wrong_signer: return "signature missing or not by the expected participant";
        case ChannelError::turn_not_next: return "turn number is not the next one";
        case ChannelError::total_changed: return "channel total changed";
        case ChannelError::destinations_changed: return "allocation destinations changed";
        case ChannelError::assets_changed: return "outcome asset changed";
        case ChannelError::beneficiary_decreased: return "beneficiary's amount decreased";
        case ChannelError::payer_below_zero: return "payment exceeds what the payer has left";
        case ChannelError::after_final: return "channel already closed by a final state";
        case ChannelError::malformed: return "malformed channel state";
        case ChannelError::state_mismatch: return "countersigned state differs from the proposal";
        case ChannelError::terms_mismatch: return "initial state does not match the agreed terms";
        }
        return "unknown payment channel error";
    }
};

Error fail(ChannelError e, std::string message) { return makeError(e, std::move(message)); }

std::string turnText(std::uint64_t t) { return std::to_string(t); }

// The shape every state of this channel has, whatever its turn: two distinct participants,
// no appData, one asset with two allocation items, one signature slot per participant.
std::optional<Error> shapeError(const SignedState& s)
{
    const State& st = s.state;
    if (auto shape = validateShape(st); !shape)
        return fail(ChannelError::malformed, shape.error().describe());
    if (st.turnNum > max_uint48) return fail(ChannelError::malformed, "turnNum exceeds uint48");
    if (st.fixed.participants.size() != 2)
        return fail(ChannelError::malformed, "a payment channel has 2 participants, not " +
                                                 std::to_string(st.fixed.participants.size()));
    if (st.fixed.participants[0] == st.fixed.participants[1])
        return fail(ChannelError::malformed, "beneficiary and payer are the same address");
    if (!st.appData.empty()) return fail(ChannelError::malformed, "a payment channel state has no appData");
    if (st.outcome.size() != 1)
        return fail(ChannelError::malformed, "a payment channel has 1 asset, not " + std::to_string(st.outcome.size()));
    if (st.outcome[0].allocationItems.size() != 2)
        return fail(ChannelError::malformed, "a payment channel allocates to 2 destinations, not " +
                                                 std::to_string(st.outcome[0].allocationItems.size()));
    if (s.signatures.size() != st.fixed.participants.size())
        return fail(ChannelError::malformed, "expected one signature slot per participant, got " +
                                                 std::to_string(s.signatures.size()));
    return std::nullopt;
}

// Whether participant `index` signed `digest` with its slot's signature.
std::optional<Error> signerError(const SignedState& s, const Hash32& digest, std::size_t index)
{
    const char* who = index == beneficiary_index ? "beneficiary" : "payer";
    const auto& sig = s.signatures[index];
    if (!sig) return fail(ChannelError::wrong_signer, std::string("no signature of the ") + who);
    auto signer = recoverAddress(digest, *sig);
    if (!signer) return fail(ChannelError::wrong_signer, std::string("the ") + who + "'s signature is invalid");
    if (*signer != s.state.fixed.participants[index])
        return fail(ChannelError::wrong_signer, std::string("signed by ") + signer->toChecksum() + ", not the " + who + " " +
                                                    s.state.fixed.participants[index].toChecksum());
    return std::nullopt;
}

// The allocation destinations a channel with these participants must have.
bool destinationsMatchParticipants(const State& st)
{
    const auto& items = st.outcome[0].allocationItems;
    return items[beneficiary_index].destination == st.fixed.participants[beneficiary_index].toBytes32() &&
           items[payer_index].destination == st.fixed.participants[payer_index].toBytes32();
}

// A doubly signed, well-shaped channel state: the invariant of ChannelView.
Result<ChannelView> checkedView(const SignedState& s)
{
    if (auto e = shapeError(s)) return *e;
    if (!destinationsMatchParticipants(s.state))
        return fail(ChannelError::destinations_changed, "allocation destinations are not [beneficiary, payer]");
    const auto& items = s.state.outcome[0].allocationItems;
    if (!items[beneficiary_index].amount.checkedAdd(items[payer_index].amount))
        return fail(ChannelError::malformed, "channel total exceeds 2^256 - 1");
    const Hash32 digest = stateSigningDigest(s.state);
    if (auto e = signerError(s, digest, beneficiary_index)) return *e;
    if (auto e = signerError(s, digest, payer_index)) return *e;
    return PaymentChannelAccess::view(s, channelId(s.state.fixed));
}

// The payer's next state: `amount` more to the beneficiary, signed by the payer.
// The next state after `latest` (the last state the payer signed, countersigned or not).
Result<Proposal> propose(const State& latest, const ChannelId& id, const Wei& amount, bool isFinal, const PrivateKey& payerKey)
{
    if (latest.isFinal) return fail(ChannelError::after_final, "the channel is closed");
    const Address& payer = latest.fixed.participants[payer_index];
    if (payerKey.address() != payer)
        return fail(ChannelError::wrong_signer, "the key is not the payer's (" + payer.toChecksum() + ")");
    const Wei& remaining = latest.outcome[0].allocationItems[payer_index].amount;
    if (amount.value() > remaining.value())
        return fail(ChannelError::payer_below_zero,
                    "paying " + amount.toDecimal() + " wei with " + remaining.toDecimal() + " left");
    if (latest.turnNum >= max_uint48) return fail(ChannelError::malformed, "turnNum would exceed uint48");

    SignedState next{latest, {std::nullopt, std::nullopt}};
    next.state.turnNum += 1;
    next.state.isFinal = isFinal;
    auto& items = next.state.outcome[0].allocationItems;
    items[beneficiary_index].amount = items[beneficiary_index].amount + amount;
    items[payer_index].amount = items[payer_index].amount - amount;
    const Hash32 digest = stateSigningDigest(next.state);
    next.signatures[payer_index] = payerKey.signDigest(digest);
    return PaymentChannelAccess::proposal(std::move(next), digest, amount, id);
}

} // namespace

const std::error_category& channelErrorCategory() noexcept
{
    static const ChannelErrorCategory category;
    return category;
}

Hash32 stateSigningDigest(const State& state) { return ethSignedMessageDigest(stateHash(state)); }

Result<State> makeInitialState(const ChannelTerms& terms)
{
    if (terms.channelNonce > max_uint48) return fail(ChannelError::malformed, "channelNonce exceeds uint48");
    if (terms.challengeDuration > max_uint48) return fail(ChannelError::malformed, "challengeDuration exceeds uint48");
    if (terms.beneficiary.isZero() || terms.payer.isZero())
        return fail(ChannelError::malformed, "a participant is the zero address");
    if (terms.beneficiary == terms.payer)
        return fail(ChannelError::malformed, "beneficiary and payer are the same address");

    State s;
    s.fixed.chainId = terms.chainId;
    s.fixed.participants = {terms.beneficiary, terms.payer};
    s.fixed.channelNonce = terms.channelNonce;
    s.fixed.appDefinition = terms.appDefinition;
    s.fixed.challengeDuration = terms.challengeDuration;
    s.turnNum = 0;
    s.isFinal = false;
    AssetOutcome eth; // asset 0x0
    eth.allocationItems = {{terms.beneficiary.toBytes32(), Wei{}}, {terms.payer.toBytes32(), terms.deposit}};
    s.outcome = {std::move(eth)};
    return s;
}

Result<SignedState> addSignature(SignedState signedState, const PrivateKey& key)
{
    const auto& participants = signedState.state.fixed.participants;
    if (signedState.signatures.size() != participants.size()) signedState.signatures.resize(participants.size());
    for (std::size_t i = 0; i < participants.size(); ++i) {
        if (participants[i] == key.address()) {
            signedState.signatures[i] = key.signDigest(stateSigningDigest(signedState.state));
            return signedState;
        }
    }
    return fail(ChannelError::wrong_signer, "the key (" + key.address().toChecksum() + ") is not a participant");
}

Result<ChannelView> openChannel(const ChannelTerms& terms, const SignedState& initial)
{
    auto expected = makeInitialState(terms);
    if (!expected) return expected.error();
    if (initial.state.fixed != expected->fixed)
        return fail(ChannelError::wrong_channel, "the initial state's fixed part differs from the agreed terms");
    if (auto e = shapeError(initial)) return *e;
    if (initial.state != *expected)
        return fail(ChannelError::terms_mismatch, "the initial state (turn " + turnText(initial.state.turnNum) +
                                                      ") is not the turn-0 state of the agreed terms");
    return checkedView(initial);
}

Result<ChannelView> restoreChannel(const SignedState& latest) { return checkedView(latest); }

Result<Proposal> makePayment(const ChannelView& view, const Wei& amount, const PrivateKey& payerKey)
{
    return propose(view.state(), view.id(), amount, false, payerKey);
}

Result<Proposal> makePayment(const Proposal& previous, const Wei& amount, const PrivateKey& payerKey)
{
    return propose(previous.signedState().state, previous.channelId(), amount, false, payerKey);
}

Result<Proposal> makeFinal(const ChannelView& view, const PrivateKey& payerKey)
{
    return propose(view.state(), view.id(), Wei{}, true, payerKey);
}

Result<ValidatedPayment> validatePayment(const ChannelView& view, const SignedState& proposed)
{
    const State& prev = view.state();
    const State& next = proposed.state;
    if (view.isFinal()) return fail(ChannelError::after_final, "the channel is closed by turn " + turnText(prev.turnNum));
    if (next.fixed != prev.fixed) return fail(ChannelError::wrong_channel, "the state's fixed part is not this channel's");
    if (auto e = shapeError(proposed)) return *e;
    if (next.turnNum != prev.turnNum + 1)
        return fail(ChannelError::turn_not_next,
                    "turn " + turnText(next.turnNum) + " after turn " + turnText(prev.turnNum));
    if (next.outcome[0].asset != prev.outcome[0].asset)
        return fail(ChannelError::assets_changed, "asset " + next.outcome[0].asset.toChecksum() + " instead of " +
                                                      prev.outcome[0].asset.toChecksum());
    const auto& before = prev.outcome[0].allocationItems;
    const auto& after = next.outcome[0].allocationItems;
    if (after[beneficiary_index].destination != before[beneficiary_index].destination ||
        after[payer_index].destination != before[payer_index].destination)
        return fail(ChannelError::destinations_changed, "allocation destinations changed");

    const Wei& oldPaid = before[beneficiary_index].amount;
    const Wei& newPaid = after[beneficiary_index].amount;
    const Wei& oldLeft = before[payer_index].amount;
    if (newPaid.value() < oldPaid.value())
        return fail(ChannelError::beneficiary_decreased,
                    "beneficiary's amount " + newPaid.toDecimal() + " is below " + oldPaid.toDecimal());
    const Wei delta = newPaid - oldPaid;
    if (delta.value() > oldLeft.value())
        return fail(ChannelError::payer_below_zero,
                    "pays " + delta.toDecimal() + " wei with " + oldLeft.toDecimal() + " left");
    if (after[payer_index].amount != oldLeft - delta)
        return fail(ChannelError::total_changed, "payer's amount " + after[payer_index].amount.toDecimal() +
                                                     " should be " + (oldLeft - delta).toDecimal());

    const Hash32 digest = stateSigningDigest(next);
    if (auto e = signerError(proposed, digest, payer_index)) return *e;

    // The beneficiary's slot is ours to fill; whatever the payer put there is dropped.
    SignedState accepted{next, {std::nullopt, proposed.signatures[payer_index]}};
    return PaymentChannelAccess::validated(std::move(accepted), digest, delta, view.id());
}

Result<ChannelView> countersign(const ValidatedPayment& payment, const PrivateKey& beneficiaryKey)
{
    const SignedState& s = payment.signedState();
    if (beneficiaryKey.address() != s.state.fixed.participants[beneficiary_index])
        return fail(ChannelError::wrong_signer, "the key is not the beneficiary's (" +
                                                    s.state.fixed.participants[beneficiary_index].toChecksum() + ")");
    SignedState both = s;
    both.signatures[beneficiary_index] = beneficiaryKey.signDigest(payment.digest());
    return PaymentChannelAccess::view(std::move(both), payment.channelId());
}

Result<ChannelView> verifyCountersigned(const Proposal& sent, const SignedState& reply)
{
    const SignedState& mine = sent.signedState();
    if (reply.state != mine.state)
        return fail(ChannelError::state_mismatch, "the reply countersigns another state than turn " +
                                                      turnText(mine.state.turnNum) + " as proposed");
    if (reply.signatures.size() != mine.signatures.size())
        return fail(ChannelError::malformed, "expected one signature slot per participant, got " +
                                                 std::to_string(reply.signatures.size()));
    if (auto e = signerError(reply, sent.digest(), beneficiary_index)) return *e;
    // Our own signature is taken from what we sent, not from the reply.
    SignedState both = mine;
    both.signatures[beneficiary_index] = reply.signatures[beneficiary_index];
    return PaymentChannelAccess::view(std::move(both), sent.channelId());
}

} // namespace pt::nitro
