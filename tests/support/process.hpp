// Child processes for tests: run a program with input, capture its output, bound its time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace pt::test {

struct ProcessResult {
    int exitCode = -1;    // -1 when killed by a signal or the timeout
    int signal = 0;       // the signal that ended it, if any
    bool timedOut = false;
    std::string out;
    std::string err;
};

// Runs argv[0] (searched in PATH) with `input` on its standard input; kills it (SIGKILL)
// when `timeout` passes. No shell is involved.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

// Runs a script with the node binary, with NODE_PATH set to the project's npm install
// (PT_NODE_TOOLS_DIR/node_modules), so scripts can require('ethers') and the nitro package.
ProcessResult runNode(const std::string& scriptPath, const std::vector<std::string>& args = {},
                      const std::string& input = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(120));

// Path of a file in the source tree, e.g. sourcePath("tests/js/nitro.js").
std::string sourcePath(const std::string& relative);
// The npm install directory (tools/node).
std::string nodeToolsDir();
// The anvil binary from the npm install.
std::string anvilPath();
// Path of a binary built by this build (e.g. "app/paytorrent-cli").
std::string binaryPath(const std::string& relative);

} // namespace pt::test
