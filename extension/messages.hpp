// The messages of the paid-streaming extension, as values. The state a payment carries is
// opaque here: the payment engine encodes and checks Nitro states; this layer only frames,
// bounds and routes them.
#pragma once

#include "extension/protocol.hpp"
#include "wallet/common/bytes.hpp"

#include <cstdint>
#include <string>
#include <variant>

namespace pt::ext {

using ChannelIdBytes = FixedBytes<channel_id_bytes>;
using SignatureBytes = FixedBytes<signature_bytes>;

enum class MessageType : std::uint8_t {
    stop = 1,
    start = 2,
    channel_proposal = 3,
    channel_accept = 4,
    payment = 5,
    countersignature = 6,
    final_state = 7,
    final_countersignature = 8,
    error = 9,
};

enum class StopReason : std::uint8_t {
    payment_needed = 1, // credit is used up: pay to continue
    out_of_budget = 2,  // the channel cannot pay more (deposit spent): open another or give up
    permanent = 3,      // no more data on this connection, whatever is paid
};

// Seller to buyer: "you are choked; no request is served until the reason is resolved".
struct Stop {
    StopReason reason = StopReason::payment_needed;
    bool operator==(const Stop&) const = default;
};

// Seller to buyer: "payment landed; you are unchoked with this much credit".
struct Start {
    std::uint64_t credit = 0; // bytes the buyer may request now
    bool operator==(const Start&) const = default;
};

// Payer to payee: a new channel, its first state signed by the proposer.
struct ChannelProposal {
    ChannelIdBytes channel;
    Bytes state;
    SignatureBytes signature;
    bool operator==(const ChannelProposal&) const = default;
};

// Payee to payer: its signature on the proposed state.
struct ChannelAccept {
    ChannelIdBytes channel;
    SignatureBytes signature;
    bool operator==(const ChannelAccept&) const = default;
};

// Payer to payee: the next state, moving more to the payee, signed by the payer.
struct Payment {
    ChannelIdBytes channel;
    Bytes state;
    SignatureBytes signature;
    bool operator==(const Payment&) const = default;
};

// Payee to payer: its signature on the payment of turn `turn`.
struct Countersignature {
    ChannelIdBytes channel;
    std::uint64_t turn = 0;
    SignatureBytes signature;
    bool operator==(const Countersignature&) const = default;
};

// Either side: a final state (isFinal), signed by the sender, to close cooperatively.
struct FinalState {
    ChannelIdBytes channel;
    Bytes state;
    SignatureBytes signature;
    bool operator==(const FinalState&) const = default;
};

// The other side: its signature on the final state of turn `turn`.
struct FinalCountersignature {
    ChannelIdBytes channel;
    std::uint64_t turn = 0;
    SignatureBytes signature;
    bool operator==(const FinalCountersignature&) const = default;
};

// Codes of the ERROR message. Unknown codes from a peer are kept as their number.
enum class PeerErrorCode : std::uint32_t {
    malformed_message = 1,
    invalid_signature = 2,
    stale_state = 3,        // a turn at or below the latest one already agreed
    decreasing_payment = 4, // the payee's amount goes down
    overspend = 5,          // more than the deposit, or an invalid outcome
    unknown_channel = 6,
    unacceptable_terms = 7, // price, chain, adjudicator or window not accepted
    protocol_violation = 8,
    internal = 9,
};

// Either side: why it is about to disconnect. Advisory: the connection closes after it.
struct ErrorMessage {
    std::uint32_t code = 0; // a PeerErrorCode, or an unknown number from a newer peer
    std::string text;       // at most max_error_text_bytes, for a log line
    bool operator==(const ErrorMessage&) const = default;
};

using Message = std::variant<Stop, Start, ChannelProposal, ChannelAccept, Payment, Countersignature,
                             FinalState, FinalCountersignature, ErrorMessage>;

[[nodiscard]] MessageType typeOf(const Message& message) noexcept;
[[nodiscard]] const char* toString(MessageType type) noexcept;
[[nodiscard]] const char* toString(StopReason reason) noexcept;
// The limit for an encoded message of this type (the whole bencoded dictionary).
[[nodiscard]] std::size_t maxEncodedBytes(MessageType type) noexcept;

} // namespace pt::ext
