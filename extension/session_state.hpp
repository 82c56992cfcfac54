// Internal to the extension (includes libtorrent): the state shared by the controller
// (any thread) and the plugins (network thread).
#pragma once

#include "extension/paid_streaming.hpp"
#include "extension/peer_events.hpp"
#include "extension/terms.hpp"

#include <libtorrent/io_context.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace pt::ext {

class PeerGate;

class SessionState {
public:
    SessionState(Terms node, std::shared_ptr<PeerEvents> events, PaidStreamingOptions options);

    const Terms node;          // price unused: prices are per torrent
    const PaidStreamingOptions options;

    // The engine's event handler, or null once the engine is gone. Held weakly: the engine
    // usually holds the PaidStreaming (as its PeerControl), which holds this state.
    [[nodiscard]] std::shared_ptr<PeerEvents> events() const { return events_.lock(); }

    // Any thread.
    void setTorrent(const InfoHashBytes& infoHash, std::optional<Wei> price);
    void removeTorrent(const InfoHashBytes& infoHash);
    // nullopt: not declared (plain BitTorrent); otherwise the local price (nullopt: buy only).
    [[nodiscard]] std::optional<std::optional<Wei>> torrent(const InfoHashBytes& infoHash) const;
    // Runs `fn` on the network thread; false (and `fn` dropped) when no session is attached.
    bool post(std::function<void()> fn);
    [[nodiscard]] PeerKey nextKey() noexcept;

    // Session lifecycle, from the session plugin.
    void attach(libtorrent::io_context& context);
    void detach();

    // Network thread only.
    [[nodiscard]] libtorrent::io_context* networkContext() const;
    void addPeer(PeerKey key, const std::shared_ptr<PeerGate>& gate);
    void removePeer(PeerKey key);
    [[nodiscard]] std::shared_ptr<PeerGate> findPeer(PeerKey key) const;

private:
    const std::weak_ptr<PeerEvents> events_;
    mutable std::mutex mutex_;
    std::unordered_map<InfoHashBytes, std::optional<Wei>> torrents_; // guarded by mutex_
    libtorrent::io_context* context_ = nullptr;                       // guarded by mutex_
    std::atomic<std::uint64_t> nextKey_{1};
    std::unordered_map<PeerKey, std::weak_ptr<PeerGate>> peers_;       // network thread only
};

} // namespace pt::ext
