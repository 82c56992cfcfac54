// The boundary between the extension (libtorrent's network thread) and the payment engine
// (its own thread): what the plugin reports about peers, and the counters it keeps for them.
// No libtorrent here: the engine and its tests use these types alone.
#pragma once

#include "extension/latency_histogram.hpp"
#include "extension/messages.hpp"
#include "extension/payment_trigger.hpp"
#include "extension/terms.hpp"
#include "wallet/common/bytes.hpp"
#include "wallet/common/result.hpp"
#include "wallet/common/wei.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace pt::ext {

// One connection, unique for the life of the PaidStreaming object that made it. A peer that
// reconnects gets a new key; the engine ties keys to channels through the peer's signer.
enum class PeerKey : std::uint64_t {};

// A torrent's best info-hash (libtorrent's info_hash_t::get_best(): v1, or v2 truncated).
using InfoHashBytes = FixedBytes<20>;

struct PeerCountersSnapshot {
    // Our uploads to this peer (we sell).
    std::uint64_t creditGranted = 0;   // bytes the engine granted (less any revoked on an error)
    std::uint64_t creditCharged = 0;   // bytes of accepted requests, net of refunds
    std::uint64_t payloadSent = 0;     // payload bytes written to the socket
    std::uint64_t requestsRefused = 0; // requests refused for lack of credit
    std::uint64_t requestsHeld = 0;    // requests held until a payment landed (section 4)
    std::uint64_t rejectsSent = 0;     // reject-request messages sent (ours and libtorrent's)
    // Our downloads from this peer (we buy).
    std::uint64_t payloadReceived = 0; // payload bytes of complete blocks received
    std::uint64_t bytesRequested = 0;  // bytes we requested
    std::uint64_t bytesRejected = 0;   // bytes of our requests the peer rejected
    std::uint64_t bytesUnrequested = 0; // payload bytes of blocks we never asked this peer for
    // From sending a payment to receiving its countersignature (we buy).
    LatencySummary paymentAnswer;
};

// Written on the network thread, readable from any thread (each field on its own: a reader
// may see one field a little ahead of another).
struct PeerCounters {
    std::atomic<std::uint64_t> creditGranted{0};
    std::atomic<std::uint64_t> creditCharged{0};
    std::atomic<std::uint64_t> payloadSent{0};
    std::atomic<std::uint64_t> requestsRefused{0};
    std::atomic<std::uint64_t> requestsHeld{0};
    std::atomic<std::uint64_t> rejectsSent{0};
    std::atomic<std::uint64_t> payloadReceived{0};
    std::atomic<std::uint64_t> bytesRequested{0};
    std::atomic<std::uint64_t> bytesRejected{0};
    std::atomic<std::uint64_t> bytesUnrequested{0};
    // We buy: each payment the trigger sent, from its send to its countersignature, both on
    // the network thread (so no thread hop of either side's engine is left out).
    LatencyHistogram paymentAnswer;

    [[nodiscard]] PeerCountersSnapshot snapshot() const noexcept;
};

// A peer that speaks the extension with terms we can work with.
struct PeerInfo {
    PeerKey key{};
    InfoHashBytes infoHash;
    std::string endpoint;            // "203.0.113.5:6881", for logs and the ledger
    bool outgoing = false;           // we dialled it
    std::optional<Wei> localPrice;   // our price for this torrent: we sell to this peer when set
    Terms remote;                    // what the peer advertised (remote.pricePerMiB: it sells)
    std::shared_ptr<const PeerCounters> counters; // live, for pay-ahead decisions
    // Buyer side: where the engine arms its stored payments, for the connection to send
    // when they fall due (null in a PeerInfo made by hand: nothing is armed then).
    std::shared_ptr<PaymentTrigger> payments;
};

// Implemented by the payment engine. Every call comes on libtorrent's network thread and
// must return at once: copy what you need and post it to the engine's own thread. Never
// sign, verify, touch the database or block in here.
class PeerEvents {
public:
    virtual ~PeerEvents() = default;

    // The extension handshake completed with compatible terms. The first event of a key.
    virtual void onPeerJoined(const PeerInfo& peer) = 0;
    // A well-formed message, already checked against the sender's role (a STOP comes only
    // from a seller, a PAYMENT only to one). Signatures and states are the engine's to check.
    virtual void onMessage(PeerKey peer, Message message) = 0;
    // Seller side: a request found no credit; the peer is choked and was sent
    // STOP(payment_needed). Once per stop, until a grant restarts the peer.
    virtual void onCreditExhausted(PeerKey peer, std::uint64_t requestBytes) = 0;
    // Buyer side: the first block from a selling peer arrived, or payload received passed
    // another notification step (PaidStreamingOptions::receivedNotifyBytes). `totalBytes`
    // counts from the connection start.
    virtual void onPayloadReceived(PeerKey peer, std::uint64_t totalBytes) = 0;
    // Buyer side: the armed payment of `turn` (PeerInfo::payments) fell due and was handed to
    // the connection; those of lower turns went before it, each with its own call.
    virtual void onPaymentReleased(PeerKey peer, std::uint64_t turn) = 0;
    // The peer sent something malformed or out of turn; it is being disconnected. May come
    // for a peer that never joined (a malformed handshake); the message names the endpoint.
    virtual void onPeerError(PeerKey peer, const Error& error) = 0;
    // The connection is gone (after onPeerJoined only). The last event of a key.
    virtual void onPeerLeft(PeerKey peer, const PeerCountersSnapshot& final) = 0;
};

} // namespace pt::ext
