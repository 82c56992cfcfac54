// Where a node keeps its state. One directory per node (see docs/architecture.md):
//   key.json              the signing key, Ethereum V3 keystore, mode 0600
//   paytorrent.db         SQLite (WAL): channels, every signed state, the payments ledger
//   chain/                the embedded local chain's state (anvil), when the node runs one
//   torrents/             <info-hash>.resume (libtorrent resume data) and .torrent files
//   downloads/            the default save path
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace paytorrent {

struct DataDir {
    std::filesystem::path root;

    [[nodiscard]] std::filesystem::path keyFile() const { return root / "key.json"; }
    [[nodiscard]] std::filesystem::path database() const { return root / "paytorrent.db"; }
    [[nodiscard]] std::filesystem::path chainDir() const { return root / "chain"; }
    [[nodiscard]] std::filesystem::path torrentsDir() const { return root / "torrents"; }
    [[nodiscard]] std::filesystem::path downloadsDir() const { return root / "downloads"; }

    // $PAYTORRENT_DATA_DIR, else $XDG_DATA_HOME/paytorrent, else ~/.local/share/paytorrent.
    [[nodiscard]] static DataDir defaultLocation();
};

// The keystore password, from (in order) a file given by the user, the environment variable
// PAYTORRENT_PASSWORD, or a prompt on the terminal (echo off). nullopt when none of these is
// available (no terminal): the caller reports how to give one.
[[nodiscard]] std::optional<std::string> readPassword(const std::optional<std::filesystem::path>& passwordFile,
                                                      bool confirm);

} // namespace paytorrent
