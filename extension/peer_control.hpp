// What the payment engine may ask of the extension, from any thread. Each call is queued
// onto libtorrent's network thread and acted on there; a call for a peer that has left is
// dropped (the engine learns of the departure through PeerEvents::onPeerLeft).
#pragma once

#include "extension/messages.hpp"
#include "extension/peer_events.hpp"
#include "wallet/common/result.hpp"

#include <cstdint>

namespace pt::ext {

class PeerControl {
public:
    virtual ~PeerControl() = default;

    // Seller side, once for each PAYMENT and FINAL the engine answers (after sending the
    // countersignature): `bytes` more of data are paid for (the payment is validated,
    // countersigned and durable), 0 if it covers nothing new. Unchokes the peer, with START
    // if it had been stopped. Until then the connection holds requests the credit does not
    // cover rather than refusing them (docs/protocol.md, section 4).
    virtual void grantCredit(PeerKey peer, std::uint64_t bytes) = 0;
    // Sends a message. Fails at once, sending nothing, if the message does not encode
    // within its limits.
    [[nodiscard]] virtual Status send(PeerKey peer, const Message& message) = 0;
    // Buyer side: sends the peer's armed payments (PeerInfo::payments) that what has arrived
    // makes due, as the connection does on each block; for a payment armed already due.
    virtual void releaseDuePayments(PeerKey peer) = 0;
    // Sends ERROR(code, reason text), revokes the peer's credit, chokes it, and closes the
    // connection shortly after (so the ERROR has a chance to leave).
    virtual void disconnect(PeerKey peer, PeerErrorCode code, const Error& reason) = 0;
};

} // namespace pt::ext
