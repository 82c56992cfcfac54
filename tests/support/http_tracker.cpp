#include "support/http_tracker.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <stdexcept>

namespace pt::test {

HttpTracker::HttpTracker(const std::filesystem::path& logFile, std::chrono::milliseconds timeout)
{
    const std::string script = nodeToolsDir() + "/node_modules/bittorrent-tracker/bin/cmd.js";
    if (!std::filesystem::exists(script))
        throw std::runtime_error("no " + script + ": run scripts/bootstrap.sh (npm ci in tools/node)");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string lastOutput;
    for (int attempt = 0; attempt < 3 && std::chrono::steady_clock::now() < deadline; ++attempt) {
        const int port = freeLoopbackPort();
        // HTTP only (no UDP or WebSocket tracker), on loopback only, no statistics page.
        auto child = std::make_unique<ChildProcess>(
            std::vector<std::string>{"node", script, "--http", "--http-hostname", "127.0.0.1", "--port",
                                     std::to_string(port), "--no-stats"},
            ChildOptions{{}, logFile});
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        const std::string ready = "HTTP tracker: http://127.0.0.1:" + std::to_string(port) + "/announce";
        if (child->waitForOutput(ready, left)) {
            child_ = std::move(child);
            port_ = port;
            return;
        }
        lastOutput = child->output();
        child->stop();
    }
    throw std::runtime_error("the tracker did not start listening on 127.0.0.1; its output:\n" + lastOutput);
}

HttpTracker::~HttpTracker() = default;

std::string HttpTracker::announceUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/announce"; }

bool HttpTracker::waitForStart(int peerPort, std::chrono::milliseconds timeout)
{
    return child_->waitForOutput("start: 127.0.0.1:" + std::to_string(peerPort) + "\n", timeout);
}

std::string HttpTracker::output() const { return child_->output(); }

} // namespace pt::test
