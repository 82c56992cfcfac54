// Internal to the extension (includes libtorrent): the session plugin and the per-torrent
// plugin that attach a PeerGate to every BitTorrent connection of a declared torrent.
#pragma once

#include "extension/session_state.hpp"

#include <libtorrent/extensions.hpp>

#include <memory>
#include <optional>

namespace pt::ext {

class SessionPlugin final : public libtorrent::plugin {
public:
    explicit SessionPlugin(std::shared_ptr<SessionState> state);

    std::shared_ptr<libtorrent::torrent_plugin> new_torrent(libtorrent::torrent_handle const& torrent,
                                                            libtorrent::client_data_t) override;
    void added(libtorrent::session_handle const& session) override;
    void abort() override;

private:
    std::shared_ptr<SessionState> state_;
};

class TorrentGate final : public libtorrent::torrent_plugin {
public:
    TorrentGate(std::shared_ptr<SessionState> state, InfoHashBytes infoHash, std::optional<Wei> localPrice);

    std::shared_ptr<libtorrent::peer_plugin> new_connection(libtorrent::peer_connection_handle const& connection) override;

private:
    std::shared_ptr<SessionState> state_;
    const InfoHashBytes infoHash_;
    const std::optional<Wei> localPrice_; // fixed when the torrent was added
};

} // namespace pt::ext
