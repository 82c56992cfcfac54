// What a front end shows of a torrent. Cached from libtorrent's alerts, so reading it
// never blocks on the network thread.
#pragma once

#include <cstdint>
#include <string>

namespace paytorrent {

struct TorrentStatus {
    std::string infoHash; // v1 info-hash, 40 lowercase hex digits
    std::string name;
    std::string state;    // "checking", "metadata", "downloading", "seeding", "paused", ...
    std::int64_t totalWanted = 0;
    std::int64_t totalDone = 0;
    std::int64_t downloadRate = 0; // payload bytes/s
    std::int64_t uploadRate = 0;
    std::int64_t totalPayloadUpload = 0;
    std::int64_t totalPayloadDownload = 0;
    int numPeers = 0;
    bool isSeeding = false;
    bool isFinished = false;
    bool paused = false;
    std::string error;
};

} // namespace paytorrent
