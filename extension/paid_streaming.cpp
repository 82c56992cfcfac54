#include "extension/paid_streaming.hpp"

#include "extension/peer_gate.hpp"
#include "extension/session_plugin.hpp"
#include "extension/session_state.hpp"
#include "extension/wire.hpp"

#include <libtorrent/info_hash.hpp>
#include <libtorrent/settings_pack.hpp>

#include <algorithm>

namespace pt::ext {

namespace lt = libtorrent;

Result<std::shared_ptr<PaidStreaming>> PaidStreaming::create(Terms node, std::shared_ptr<PeerEvents> events,
                                                             PaidStreamingOptions options)
{
    if (!events) return makeError(WireError::invalid_terms, "no event handler");
    node.pricePerMiB.reset();
    if (auto valid = validateTerms(node); !valid) return valid.error();
    auto state = std::make_shared<SessionState>(std::move(node), std::move(events), options);
    return std::shared_ptr<PaidStreaming>(new PaidStreaming(std::move(state)));
}

PaidStreaming::PaidStreaming(std::shared_ptr<SessionState> state) : state_(std::move(state)) {}

PaidStreaming::~PaidStreaming() = default;

std::shared_ptr<lt::plugin> PaidStreaming::sessionPlugin() const
{
    // A new wrapper each call is harmless, but the contract is one session: two sessions
    // would share one peer registry and one io_context pointer.
    return std::make_shared<SessionPlugin>(state_);
}

void PaidStreaming::setTorrent(const InfoHashBytes& infoHash, std::optional<Wei> pricePerMiB)
{
    if (pricePerMiB && pricePerMiB->value() == 0) pricePerMiB.reset(); // zero is free
    state_->setTorrent(infoHash, std::move(pricePerMiB));
}

void PaidStreaming::removeTorrent(const InfoHashBytes& infoHash)
{
    state_->removeTorrent(infoHash);
}

void PaidStreaming::grantCredit(PeerKey peer, std::uint64_t bytes)
{
    state_->post([state = state_, peer, bytes] {
        if (auto gate = state->findPeer(peer)) gate->grant(bytes);
    });
}

Status PaidStreaming::send(PeerKey peer, const Message& message)
{
    auto payload = encodeMessage(message);
    if (!payload) return payload.error();
    state_->post([state = state_, peer, bytes = std::move(*payload)] {
        if (auto gate = state->findPeer(peer)) gate->sendPayload(bytes);
    });
    return {};
}

void PaidStreaming::releaseDuePayments(PeerKey peer)
{
    state_->post([state = state_, peer] {
        if (auto gate = state->findPeer(peer)) gate->releaseDuePayments();
    });
}

void PaidStreaming::disconnect(PeerKey peer, PeerErrorCode code, const Error& reason)
{
    state_->post([state = state_, peer, code, reason] {
        if (auto gate = state->findPeer(peer)) gate->close(code, reason);
    });
}

void applyPaidSellerSettings(lt::settings_pack& settings)
{
    settings.set_int(lt::settings_pack::allowed_fast_set_size, 0);
    settings.set_int(lt::settings_pack::unchoke_slots_limit, -1);
}

InfoHashBytes infoHashKey(const lt::info_hash_t& infoHashes)
{
    const lt::sha1_hash best = infoHashes.get_best();
    InfoHashBytes key;
    std::copy(best.begin(), best.end(), key.bytes.begin());
    return key;
}

} // namespace pt::ext
