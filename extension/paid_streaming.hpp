// The paid-streaming extension for one libtorrent session: the session plugin to install,
// the torrents it applies to, and the engine's controls (PeerControl). Include this from
// the core; it pulls in only libtorrent's forward declarations.
#pragma once

#include "extension/peer_control.hpp"
#include "extension/peer_events.hpp"
#include "extension/terms.hpp"
#include "wallet/common/result.hpp"
#include "wallet/common/wei.hpp"

#include <libtorrent/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace pt::ext {

class SessionState;

struct PaidStreamingOptions {
    // Buyer side: onPayloadReceived fires on the first block from a selling peer, then each
    // time this many more bytes have arrived. Each one is a thread hop for the engine: an
    // engine that pays on these notifications needs them finer than its increment, one that
    // arms its payments (PeerInfo::payments, sent by the connection itself) only for its
    // ledger's byte count.
    std::uint64_t receivedNotifyBytes = 64 * 1024;
    // How long an ERROR is given to leave before the connection is closed.
    std::chrono::milliseconds errorLinger{100};
};

class PaidStreaming final : public PeerControl {
public:
    // `node`: this node's signer, chain, adjudicator, increment and window (its price is
    // ignored: prices are per torrent, see setTorrent). Fails if the terms are invalid.
    // `events` is held weakly (the engine usually holds this object as its PeerControl):
    // the caller keeps it alive while the session runs; events after its end are dropped.
    [[nodiscard]] static Result<std::shared_ptr<PaidStreaming>> create(Terms node,
                                                                      std::shared_ptr<PeerEvents> events,
                                                                      PaidStreamingOptions options = {});
    ~PaidStreaming() override;
    PaidStreaming(const PaidStreaming&) = delete;
    PaidStreaming& operator=(const PaidStreaming&) = delete;

    // The session plugin. Add it to exactly one session (session::add_extension) before
    // adding torrents.
    [[nodiscard]] std::shared_ptr<libtorrent::plugin> sessionPlugin() const;

    // Declares a torrent paid-streaming aware, before it is added to the session (the
    // plugin attaches when libtorrent creates the torrent). With a price we sell it: every
    // byte served is covered by granted credit. Without one we only buy: the torrent's
    // uploads stay plain BitTorrent. A torrent never declared is plain BitTorrent.
    void setTorrent(const InfoHashBytes& infoHash, std::optional<Wei> pricePerMiB);
    void removeTorrent(const InfoHashBytes& infoHash);

    // PeerControl (any thread).
    void grantCredit(PeerKey peer, std::uint64_t bytes) override;
    [[nodiscard]] Status send(PeerKey peer, const Message& message) override;
    void releaseDuePayments(PeerKey peer) override;
    void disconnect(PeerKey peer, PeerErrorCode code, const Error& reason) override;

private:
    explicit PaidStreaming(std::shared_ptr<SessionState> state);
    std::shared_ptr<SessionState> state_;
};

// Session settings a paid seller needs (docs/protocol.md, "Seller settings"):
// no allowed-fast pieces (a choked peer must get nothing), and no unchoke-slot limit (the
// extension, not the choker, decides who is served; with a limit, the choker would leave
// paid peers choked and optimistically unchoke unpaid ones).
void applyPaidSellerSettings(libtorrent::settings_pack& settings);

// The info-hash key of a torrent as setTorrent wants it.
[[nodiscard]] InfoHashBytes infoHashKey(const libtorrent::info_hash_t& infoHashes);

} // namespace pt::ext
