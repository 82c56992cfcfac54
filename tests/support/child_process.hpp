// Long-running child processes for tests (a stock BitTorrent client seeding while the test
// downloads, a server the test talks to): started at once, left running, and stopped with
// everything they started when the object dies, on every path out of a test.
// For a program that runs to completion, runProcess (support/process.hpp) is simpler.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pt::test {

struct ChildOptions {
    // The child's working directory; empty: the test's own.
    std::filesystem::path workingDirectory;
    // Standard output and standard error both go (appended) to this file, so a chatty child
    // never blocks on a full pipe and its output stays readable after it died. Empty:
    // /dev/null. Standard input is always /dev/null.
    std::filesystem::path outputFile;
};

// A running program, in a process group of its own. The destructor stops the whole group
// (SIGTERM, then SIGKILL after a short grace) and reaps the child, so neither the program nor
// anything it spawned (a "torrent done" script, say) outlives the test.
class ChildProcess {
public:
    // Starts argv[0] (searched in PATH, no shell). Throws std::runtime_error if it cannot be
    // started (no such program, a bad working directory).
    explicit ChildProcess(const std::vector<std::string>& argv, ChildOptions options = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] const std::vector<std::string>& argv() const noexcept { return argv_; }

    // True while the program has not exited.
    [[nodiscard]] bool running();
    // Waits up to `timeout` for the program to exit by itself; true if it has.
    bool waitForExit(std::chrono::milliseconds timeout);
    // Ends the program and its process group: SIGTERM, then SIGKILL after `grace` (at once
    // with a zero grace). Reaps it. Does nothing the second time.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

    // After the program exited: its exit code, or nothing if a signal ended it.
    [[nodiscard]] std::optional<int> exitCode() const noexcept { return exitCode_; }
    // After the program exited: the signal that ended it, 0 if none.
    [[nodiscard]] int termSignal() const noexcept { return termSignal_; }

    // Everything it has written so far (empty without an output file).
    [[nodiscard]] std::string output() const;
    // Polls the output until it contains `text`: true then; false at the timeout or when the
    // program exits without having written it.
    bool waitForOutput(const std::string& text, std::chrono::milliseconds timeout);

private:
    // Notes the exit status if the program has exited, without reaping it (a zombie keeps
    // its process group id reserved, so signalling the group cannot hit a stranger).
    bool hasExited();
    void reap();

    std::vector<std::string> argv_;
    ChildOptions options_;
    pid_t pid_ = -1;
    bool exited_ = false; // exited; maybe not reaped yet
    bool reaped_ = false;
    std::optional<int> exitCode_;
    int termSignal_ = 0;
};

// True once some socket listens on TCP `port` over IPv4 (read from /proc/net/tcp, so the
// listener never sees a probe connection); false after `timeout`.
bool waitForTcpListen(int port, std::chrono::milliseconds timeout);

} // namespace pt::test
