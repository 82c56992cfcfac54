// A real BitTorrent tracker for tests: the npm package bittorrent-tracker (tools/node), HTTP
// only, listening on 127.0.0.1 alone, on a free port. It runs in a ChildProcess, so it stops
// (with its process group) when the object dies, on every path out of a test.
#pragma once

#include "support/child_process.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace pt::test {

class HttpTracker {
public:
    // Starts the tracker, logging to `logFile` (created). Throws std::runtime_error if it is
    // not listening within `timeout` (after a few tries on fresh ports: the free port it
    // picks can be taken by someone else before it binds).
    explicit HttpTracker(const std::filesystem::path& logFile,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15));
    ~HttpTracker();
    HttpTracker(const HttpTracker&) = delete;
    HttpTracker& operator=(const HttpTracker&) = delete;

    [[nodiscard]] int port() const noexcept { return port_; }
    // http://127.0.0.1:PORT/announce
    [[nodiscard]] std::string announceUrl() const;
    // True once the tracker has logged the first announce (event=started) of the peer that
    // listens on 127.0.0.1:peerPort; false after `timeout`.
    bool waitForStart(int peerPort, std::chrono::milliseconds timeout);
    // Everything it logged.
    [[nodiscard]] std::string output() const;

private:
    std::unique_ptr<ChildProcess> child_;
    int port_ = 0;
};

} // namespace pt::test
