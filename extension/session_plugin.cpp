#include "extension/session_plugin.hpp"

#include "extension/paid_streaming.hpp"
#include "extension/peer_gate.hpp"

#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/session_handle.hpp>
#include <libtorrent/torrent_handle.hpp>

namespace pt::ext {

namespace lt = libtorrent;

SessionPlugin::SessionPlugin(std::shared_ptr<SessionState> state) : state_(std::move(state)) {}

std::shared_ptr<lt::torrent_plugin> SessionPlugin::new_torrent(lt::torrent_handle const& torrent, lt::client_data_t)
{
    // info_hashes() reads the torrent directly (no round trip to the network thread, which
    // is where this runs).
    const InfoHashBytes key = infoHashKey(torrent.info_hashes());
    auto declared = state_->torrent(key);
    if (!declared) return nullptr; // plain BitTorrent
    return std::make_shared<TorrentGate>(state_, key, *declared);
}

void SessionPlugin::added(lt::session_handle const& session)
{
    lt::session_handle handle(session);
    state_->attach(handle.get_context());
}

void SessionPlugin::abort()
{
    state_->detach();
}

TorrentGate::TorrentGate(std::shared_ptr<SessionState> state, InfoHashBytes infoHash, std::optional<Wei> localPrice)
    : state_(std::move(state)), infoHash_(infoHash), localPrice_(std::move(localPrice))
{
}

std::shared_ptr<lt::peer_plugin> TorrentGate::new_connection(lt::peer_connection_handle const& connection)
{
    if (connection.type() != lt::connection_type::bittorrent) return nullptr; // web seeds
    const PeerKey key = state_->nextKey();
    auto gate = std::make_shared<PeerGate>(state_, lt::bt_peer_connection_handle(connection), key, infoHash_,
                                           localPrice_);
    state_->addPeer(key, gate);
    return gate;
}

} // namespace pt::ext
