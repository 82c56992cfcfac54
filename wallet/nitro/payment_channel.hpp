// The unidirectional payment channel: pure functions over Nitro states. No sockets, database
// or clock in here; the engine around it persists and sends (see docs/architecture.md).
//
// Participants are [beneficiary, payer]; the outcome is one ETH allocation
// [beneficiary: paid so far, payer: the rest]. Turn 0 is signed by both before the payer
// deposits. Every later state is proposed by the payer alone (a payment, or the final state
// that closes the channel) and countersigned by the beneficiary, so every accepted state is
// signed by both and enforceable alone on chain. With one proposer there is no turn-taking
// race between paying and closing (the bug class that hurt Web3Torrent).
//
// One exchange (the payer may send the next payment before the reply, see makePayment):
//   payer:        auto p = makePayment(view, amount, payerKey);        send p->signedState()
//   beneficiary:  auto v = validatePayment(view, received);             v->paid() is the delta
//                 auto next = countersign(*v, beneficiaryKey);          persist next->latest(),
//                                                                       then send it back
//   payer:        auto next = verifyCountersigned(*p, reply);           persist, adopt *next
#pragma once

#include "wallet/nitro/state.hpp"

#include <cstddef>
#include <cstdint>
#include <system_error>

namespace pt::nitro {

// Why a channel state was refused. Each names the one rule that the state breaks.
enum class ChannelError {
    wrong_channel = 1,     // the fixed part (chain, participants, nonce, app, challenge) differs
    wrong_signer,          // a signature is missing, invalid, or not by the expected participant
    turn_not_next,         // turnNum is not exactly the latest accepted turn + 1
    total_changed,         // the amounts no longer add up to the channel's total
    destinations_changed,  // the allocation's destinations differ from [beneficiary, payer]
    assets_changed,        // the outcome's asset differs
    beneficiary_decreased, // the beneficiary's amount went down
    payer_below_zero,      // more is paid than the payer has left
    after_final,           // the channel is already closed by a final state
    malformed,             // a field out of range or a shape this channel does not have
    state_mismatch,        // the countersigned state is not the state that was proposed
    terms_mismatch,        // the initial state is not the one the agreed terms define
};
const std::error_category& channelErrorCategory() noexcept;
inline std::error_code make_error_code(ChannelError e) noexcept
{
    return {static_cast<int>(e), channelErrorCategory()};
}

inline constexpr std::size_t beneficiary_index = 0;
inline constexpr std::size_t payer_index = 1;

// What both sides agree on before turn 0. The app definition may be the zero address: a
// single state signed by both never calls the app in the adjudicator, and that is the only
// kind of state this channel produces.
struct ChannelTerms {
    U256 chainId;
    Address beneficiary;
    Address payer;
    std::uint64_t channelNonce = 0;      // uint48
    Address appDefinition;
    std::uint64_t challengeDuration = 0; // uint48, seconds
    Wei deposit;                         // what the payer funds the channel with
};

struct PaymentChannelAccess; // the .cpp's constructor of the checked types below

// A channel's latest state signed by both, with the figures derived from it. Only made by
// openChannel, restoreChannel, countersign and verifyCountersigned, so a view always holds
// a doubly signed state of the right shape.
class ChannelView {
public:
    [[nodiscard]] const ChannelId& id() const noexcept { return id_; }
    [[nodiscard]] const SignedState& latest() const noexcept { return latest_; }
    [[nodiscard]] const State& state() const noexcept { return latest_.state; }
    [[nodiscard]] std::uint64_t turnNum() const noexcept { return latest_.state.turnNum; }
    [[nodiscard]] bool isFinal() const noexcept { return latest_.state.isFinal; }
    [[nodiscard]] const Address& beneficiary() const { return state().fixed.participants[beneficiary_index]; }
    [[nodiscard]] const Address& payer() const { return state().fixed.participants[payer_index]; }
    // What the payer has paid the beneficiary so far.
    [[nodiscard]] const Wei& paid() const { return state().outcome[0].allocationItems[beneficiary_index].amount; }
    // What the payer can still pay.
    [[nodiscard]] const Wei& remaining() const { return state().outcome[0].allocationItems[payer_index].amount; }
    [[nodiscard]] Wei total() const { return paid() + remaining(); }

private:
    friend struct PaymentChannelAccess;
    ChannelView(SignedState latest, const ChannelId& id) : latest_(std::move(latest)), id_(id) {}
    SignedState latest_;
    ChannelId id_;
};

// A state of one channel, signed by the payer, with its signing digest
// (ethSignedMessageDigest(stateHash(state)), kept so that no side hashes a state twice):
// what a Proposal and a ValidatedPayment share.
class SignedTurn {
public:
    [[nodiscard]] const SignedState& signedState() const noexcept { return signed_; }
    [[nodiscard]] std::uint64_t turnNum() const noexcept { return signed_.state.turnNum; }
    [[nodiscard]] bool isFinal() const noexcept { return signed_.state.isFinal; }
    [[nodiscard]] const ChannelId& channelId() const noexcept { return id_; }
    [[nodiscard]] const Hash32& digest() const noexcept { return digest_; }

protected:
    SignedTurn(SignedState s, const Hash32& digest, const ChannelId& id) : signed_(std::move(s)), digest_(digest), id_(id) {}
    SignedState signed_;
    Hash32 digest_;
    ChannelId id_;
};

// The payer's proposal of the next state, signed by the payer, waiting for the countersignature.
class Proposal : public SignedTurn {
public:
    // What this state pays on top of the one it follows.
    [[nodiscard]] const Wei& amount() const noexcept { return amount_; }
    // What the proposed state pays the beneficiary in total, and leaves the payer.
    [[nodiscard]] const Wei& paid() const { return signed_.state.outcome[0].allocationItems[beneficiary_index].amount; }
    [[nodiscard]] const Wei& remaining() const { return signed_.state.outcome[0].allocationItems[payer_index].amount; }

private:
    friend struct PaymentChannelAccess;
    Proposal(SignedState s, const Hash32& digest, const Wei& amount, const ChannelId& id)
        : SignedTurn(std::move(s), digest, id), amount_(amount) {}
    Wei amount_;
};

// A received proposal that passed every rule: the only thing the beneficiary can countersign.
class ValidatedPayment : public SignedTurn {
public:
    // The amount this state pays on top of the previous one (new beneficiary amount - old).
    [[nodiscard]] const Wei& paid() const noexcept { return paid_; }

private:
    friend struct PaymentChannelAccess;
    ValidatedPayment(SignedState s, const Hash32& digest, const Wei& paid, const ChannelId& id)
        : SignedTurn(std::move(s), digest, id), paid_(paid) {}
    Wei paid_;
};

// The digest a participant signs for `state`: ethSignedMessageDigest(stateHash(state)).
[[nodiscard]] Hash32 stateSigningDigest(const State& state);

// Turn 0: nothing paid, the deposit on the payer's side, appData empty. Malformed terms
// (uint48 overflow, the same or a zero address on both sides) are refused.
[[nodiscard]] Result<State> makeInitialState(const ChannelTerms& terms);
// Adds the signature of `key`'s owner at its participant index (wrong_signer if the key is
// not a participant).
[[nodiscard]] Result<SignedState> addSignature(SignedState signedState, const PrivateKey& key);
// Checks that `initial` is exactly the turn-0 state of `terms`, signed by both, and starts
// the channel's view from it. Fund the channel only after this succeeds.
[[nodiscard]] Result<ChannelView> openChannel(const ChannelTerms& terms, const SignedState& initial);
// Re-checks a stored state (shape, both signatures) to resume a channel after a restart.
[[nodiscard]] Result<ChannelView> restoreChannel(const SignedState& latest);

// Payer: the next state, paying `amount` more, signed with `payerKey`.
[[nodiscard]] Result<Proposal> makePayment(const ChannelView& view, const Wei& amount,
                                           const PrivateKey& payerKey);
// Payer: the payment after `previous`, before `previous` is countersigned (several payments
// in flight). The beneficiary validates and countersigns them in turn order, each against
// the one before, so each countersigned reply is checked against its own proposal.
[[nodiscard]] Result<Proposal> makePayment(const Proposal& previous, const Wei& amount, const PrivateKey& payerKey);
// Payer: the final state (same outcome, isFinal) that closes the channel once countersigned.
[[nodiscard]] Result<Proposal> makeFinal(const ChannelView& view, const PrivateKey& payerKey);

// Beneficiary: checks a received payment or final state against the latest accepted one.
// The checks run in the order of ChannelError's reasons above the signature, which is checked
// last (it is the expensive one), so a state breaking one rule is refused for that rule.
[[nodiscard]] Result<ValidatedPayment> validatePayment(const ChannelView& view, const SignedState& proposed);
// Beneficiary: signs a validated state; the result's latest() is the doubly signed state to
// persist, then send back.
[[nodiscard]] Result<ChannelView> countersign(const ValidatedPayment& payment, const PrivateKey& beneficiaryKey);

// Payer: checks the beneficiary's reply to `sent` (same state, the beneficiary's signature)
// and returns the view after it.
[[nodiscard]] Result<ChannelView> verifyCountersigned(const Proposal& sent, const SignedState& reply);

} // namespace pt::nitro

template <>
struct std::is_error_code_enum<pt::nitro::ChannelError> : std::true_type {};
