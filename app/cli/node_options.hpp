// The options every command that runs a node takes, in one place:
//   --data-dir DIR  --password-file FILE  --chain-rpc URL  --adjudicator ADDRESS
//   --listen HOST:PORT  --local  --dht-bootstrap HOST:PORT...  --json
#pragma once

#include "command.hpp"

#include "paytorrent/node.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace paytorrent::cli {

struct NodeFlags {
    std::string dataDir;
    std::string passwordFile;
    std::string chainRpc;
    std::string adjudicator;
    std::string listen = "0.0.0.0:6881";
    bool local = false;
    std::vector<std::string> dhtBootstrap; // given: the DHT is on (even with --local)
    bool json = false;
    std::uint64_t challengeDuration = 3600;
    std::string paymentIncrement; // --increment of seed and get; empty: the node's default
    std::string creditWindow;     // --window of seed and get; empty: the node's default
};

// Adds the node options to `cmd`, writing into `flags`.
void addNodeFlags(CLI::App& cmd, NodeFlags& flags);
// --increment and --window, for the commands that trade (seed, get).
void addPaymentFlags(CLI::App& cmd, NodeFlags& flags);
// Checks --increment and --window (sizes such as 256KiB, within what Node::open accepts);
// on a bad value prints one line on stderr and returns false: a usage error.
[[nodiscard]] bool checkPaymentFlags(const NodeFlags& flags);
// Builds NodeOptions (reading the password as data_dir.hpp says). On failure prints one
// line on stderr and returns nullopt.
[[nodiscard]] std::optional<NodeOptions> toNodeOptions(const NodeFlags& flags, bool confirmNewPassword = true);
// Opens the node; on failure prints one clear line on stderr and returns nullptr.
[[nodiscard]] std::unique_ptr<Node> openNode(const NodeFlags& flags);

// Prints an error line ("paytorrent-cli: what: why") on stderr.
void printError(const std::string& what, const pt::Error& error);

} // namespace paytorrent::cli
