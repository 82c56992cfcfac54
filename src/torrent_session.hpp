// The libtorrent session wrapper (private to the core): one settings table, the alert pump,
// resume data kept in the data directory, and the torrent operations the facade offers.
// libtorrent headers stay out of this header so that including it is cheap.
#pragma once

#include "paytorrent/torrent_status.hpp"
#include "wallet/common/result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace libtorrent {
struct plugin;
struct settings_pack;
}

namespace paytorrent::core {

enum class TorrentError {
    invalid_magnet = 1,  // a magnet link libtorrent cannot parse
    invalid_torrent,     // a .torrent file that does not load
    not_found,           // no torrent with that info-hash in the session
    create_failed,       // hashing the files or writing the .torrent failed
    io,                  // the data directory could not be read or written
    invalid_endpoint,    // HOST:PORT that does not parse
};
const std::error_category& torrentErrorCategory() noexcept;
inline std::error_code make_error_code(TorrentError e) noexcept
{
    return {static_cast<int>(e), torrentErrorCategory()};
}

struct SessionConfig {
    // "127.0.0.1:6881" etc.; libtorrent's listen_interfaces syntax.
    std::string listenInterfaces = "0.0.0.0:6881,[::]:6881";
    bool enableDht = true;
    // DHT nodes to join ("HOST:PORT"), in place of libtorrent's public routers: a closed
    // network (a lab, a LAN, nodes on one host). Given any, makeSettings also relaxes the
    // DHT's per-IP defences, which assume the public Internet (see there).
    std::vector<std::string> dhtBootstrapNodes;
    bool enableLsd = true;
    bool enableUpnp = true;          // UPnP and NAT-PMP
    bool enableUtp = true;           // uTP collapses to a few MB/s on loopback: tests turn it off
    bool highThroughput = false;     // the tuned settings of docs/benchmarks.md
    std::filesystem::path resumeDir; // where <info-hash>.resume files live; empty = none
    std::vector<std::shared_ptr<libtorrent::plugin>> plugins;
    // Applied last to the settings (e.g. the paid-streaming seller settings).
    std::function<void(libtorrent::settings_pack&)> tune;
    // Runs before each torrent found in resumeDir is added again at start-up.
    std::function<void(const std::string& infoHash)> beforeResume;
};

// Runs before a torrent is added to the session, with its info-hash: the moment to declare
// it to session plugins (they attach when libtorrent creates the torrent).
using BeforeAdd = std::function<void(const std::string& infoHash)>;

using paytorrent::TorrentStatus;

struct CreatedTorrent {
    std::string infoHash;
    std::vector<char> torrentFile; // bencoded .torrent
    std::string magnet;            // without extra parameters
};

struct CreateOptions {
    std::vector<std::string> trackers;
    int pieceSize = 0; // 0 = libtorrent's choice
    std::string comment;
};

class TorrentSession {
public:
    explicit TorrentSession(SessionConfig config);
    ~TorrentSession();
    TorrentSession(const TorrentSession&) = delete;
    TorrentSession& operator=(const TorrentSession&) = delete;

    // Hashes `path` (a file or a folder) into a v1 .torrent (stock clients of today all
    // read v1).
    [[nodiscard]] static pt::Result<CreatedTorrent> createTorrent(const std::filesystem::path& path,
                                                                  const CreateOptions& options);

    // Whether createTorrent would find something to share at `path` (it exists and holds a
    // non-empty file), without hashing it.
    [[nodiscard]] static pt::Status checkShareable(const std::filesystem::path& path);
    // Whether `source` (a magnet link, else the path of a .torrent file) would be added: the
    // same parsing as addMagnet / addTorrentFile, without a session, so that a command can
    // refuse a bad source before it unlocks a wallet or starts a chain.
    [[nodiscard]] static pt::Status checkSource(const std::string& source);

    [[nodiscard]] pt::Result<std::string> addMagnet(const std::string& uri, const std::filesystem::path& savePath,
                                                    const BeforeAdd& beforeAdd = {});
    [[nodiscard]] pt::Result<std::string> addTorrentFile(const std::filesystem::path& torrentFile,
                                                         const std::filesystem::path& savePath,
                                                         const BeforeAdd& beforeAdd = {});
    [[nodiscard]] pt::Result<std::string> addTorrentBuffer(const std::vector<char>& torrent,
                                                           const std::filesystem::path& savePath,
                                                           const BeforeAdd& beforeAdd = {});
    [[nodiscard]] pt::Status pause(const std::string& infoHash);
    [[nodiscard]] pt::Status resume(const std::string& infoHash);
    [[nodiscard]] pt::Status remove(const std::string& infoHash, bool deleteFiles);
    [[nodiscard]] pt::Status connectPeer(const std::string& infoHash, const std::string& hostPort);

    [[nodiscard]] std::optional<TorrentStatus> status(const std::string& infoHash) const;
    [[nodiscard]] std::vector<TorrentStatus> torrents() const;
    // The port libtorrent actually listens on (first TCP socket), 0 before it listens.
    [[nodiscard]] int listenPort() const;

    // Called on the alert thread when a torrent finishes downloading.
    void onFinished(std::function<void(const std::string& infoHash)> handler);
    // Called on the alert thread when a torrent's size is known (at once for a .torrent,
    // after the metadata arrives for a magnet link).
    void onMetadata(std::function<void(const std::string& infoHash, std::int64_t totalBytes)> handler);

    // Asks for resume data of every torrent and waits (bounded) until it is written.
    void saveAllResumeData(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // The libtorrent session, for the core's own use (extension plumbing). Opaque here.
    [[nodiscard]] void* nativeSession() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Parses "HOST:PORT" or "[V6]:PORT".
[[nodiscard]] pt::Result<std::pair<std::string, int>> parseHostPort(const std::string& text);

} // namespace paytorrent::core

template <>
struct std::is_error_code_enum<paytorrent::core::TorrentError> : std::true_type {};
