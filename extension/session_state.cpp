#include "extension/session_state.hpp"

#include <boost/asio/post.hpp>

namespace pt::ext {

SessionState::SessionState(Terms nodeTerms, std::shared_ptr<PeerEvents> peerEvents, PaidStreamingOptions opts)
    : node(std::move(nodeTerms)), options(opts), events_(std::move(peerEvents))
{
}

void SessionState::setTorrent(const InfoHashBytes& infoHash, std::optional<Wei> price)
{
    std::lock_guard lock(mutex_);
    torrents_[infoHash] = std::move(price);
}

void SessionState::removeTorrent(const InfoHashBytes& infoHash)
{
    std::lock_guard lock(mutex_);
    torrents_.erase(infoHash);
}

std::optional<std::optional<Wei>> SessionState::torrent(const InfoHashBytes& infoHash) const
{
    std::lock_guard lock(mutex_);
    auto it = torrents_.find(infoHash);
    if (it == torrents_.end()) return std::nullopt;
    return it->second;
}

bool SessionState::post(std::function<void()> fn)
{
    // Posting under the lock: detach() cannot complete, and the session's io_context
    // cannot go away, while a post is in progress.
    std::lock_guard lock(mutex_);
    if (context_ == nullptr) return false;
    boost::asio::post(*context_, std::move(fn));
    return true;
}

PeerKey SessionState::nextKey() noexcept
{
    return PeerKey{nextKey_.fetch_add(1, std::memory_order_relaxed)};
}

void SessionState::attach(libtorrent::io_context& context)
{
    std::lock_guard lock(mutex_);
    context_ = &context;
}

void SessionState::detach()
{
    std::lock_guard lock(mutex_);
    context_ = nullptr;
}

libtorrent::io_context* SessionState::networkContext() const
{
    std::lock_guard lock(mutex_);
    return context_;
}

void SessionState::addPeer(PeerKey key, const std::shared_ptr<PeerGate>& gate)
{
    peers_[key] = gate;
}

void SessionState::removePeer(PeerKey key)
{
    peers_.erase(key);
}

std::shared_ptr<PeerGate> SessionState::findPeer(PeerKey key) const
{
    auto it = peers_.find(key);
    return it == peers_.end() ? nullptr : it->second.lock();
}

} // namespace pt::ext
