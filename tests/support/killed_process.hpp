// Crash tests: run a program, SIGKILL it at a chosen moment, and keep everything it wrote
// before it died (unlike runProcess, which stops reading at its timeout).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace pt::test {

struct KilledProcessResult {
    bool killed = false;  // it was still running when the moment came, and SIGKILL ended it
    int exitCode = -1;    // when it exited by itself before the moment
    int signal = 0;       // the signal that ended it, if any
    std::string out;      // all of its standard output, up to its death
    std::string err;
};

// Starts argv (searched in PATH, no shell), lets it run for `runFor`, then sends SIGKILL and
// reads its pipes to the end: bytes it had written to stdout before dying are all kept.
KilledProcessResult runAndKill(const std::vector<std::string>& argv, std::chrono::milliseconds runFor);

} // namespace pt::test
