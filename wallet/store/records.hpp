// The values the store keeps: channels and payments (signed states are nitro::SignedState).
#pragma once

#include "wallet/common/wei.hpp"
#include "wallet/crypto/address.hpp"
#include "wallet/nitro/state.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pt::store {

// Our side of a two-party channel. Participants are [beneficiary, payer], so the role is
// also our index in FixedPart::participants.
enum class ChannelRole : std::uint8_t { beneficiary = 0, payer = 1 };

// Where a channel is in its life. Stored as text; the engine moves it forward.
enum class ChannelStatus : std::uint8_t {
    proposed,   // agreed off-chain, not yet funded on chain
    open,       // funded: payments flow
    closing,    // a final state is being exchanged or concluded
    challenged, // a challenge is registered on chain
    closed,     // concluded and withdrawn
};

enum class PaymentDirection : std::uint8_t { sent, received };

struct ChannelRecord {
    nitro::ChannelId id;      // must equal nitro::channelId(fixed)
    nitro::FixedPart fixed;   // two participants: [beneficiary, payer]
    ChannelRole role = ChannelRole::payer;
    Address counterparty;     // the other participant
    ChannelStatus status = ChannelStatus::proposed;
    std::int64_t createdMs = 0; // Unix time in ms; set by the store, ignored on put
    std::int64_t updatedMs = 0; // Unix time in ms; set by the store, ignored on put

    bool operator==(const ChannelRecord&) const = default;
};

// Labels are for people (the ledger view); they are limited in size.
inline constexpr std::size_t max_payment_label_bytes = 256;

// One payment: the state at (channelId, turnNum) moved `amount` from payer to beneficiary.
// The state must already be stored (appendSignedState) in the same or an earlier commit.
struct PaymentRecord {
    nitro::ChannelId channelId;
    std::uint64_t turnNum = 0;
    Wei amount;
    PaymentDirection direction = PaymentDirection::sent;
    std::optional<std::string> torrent; // info-hash (hex), optional label
    std::optional<std::string> peer;    // peer address or id, optional label
    std::int64_t timeMs = 0;            // Unix time in ms, the caller's clock
    // Payload bytes on this channel's connection when the state was agreed: served (we
    // received the payment) or received (we sent it). The ledger's bytes per torrent and peer.
    std::uint64_t bytes = 0;

    bool operator==(const PaymentRecord&) const = default;
};

[[nodiscard]] std::string_view toString(ChannelRole role) noexcept;
[[nodiscard]] std::string_view toString(ChannelStatus status) noexcept;
[[nodiscard]] std::string_view toString(PaymentDirection direction) noexcept;
[[nodiscard]] std::optional<ChannelRole> channelRoleFromString(std::string_view text) noexcept;
[[nodiscard]] std::optional<ChannelStatus> channelStatusFromString(std::string_view text) noexcept;
[[nodiscard]] std::optional<PaymentDirection> paymentDirectionFromString(std::string_view text) noexcept;

} // namespace pt::store
