#include "node_options.hpp"

#include "paytorrent/transfer_bench.hpp"

#include <filesystem>
#include <iostream>

namespace paytorrent::cli {

void addNodeFlags(CLI::App& cmd, NodeFlags& flags)
{
    cmd.add_option("--data-dir", flags.dataDir, "Node data directory (default: $PAYTORRENT_DATA_DIR or ~/.local/share/paytorrent)");
    cmd.add_option("--password-file", flags.passwordFile, "File whose first line is the keystore password (else $PAYTORRENT_PASSWORD, else a prompt)");
    cmd.add_option("--chain-rpc", flags.chainRpc, "Ethereum JSON-RPC URL (default: start the embedded local chain)");
    cmd.add_option("--adjudicator", flags.adjudicator, "NitroAdjudicator address on --chain-rpc");
    cmd.add_option("--listen", flags.listen, "BitTorrent listen address HOST:PORT");
    cmd.add_flag("--local", flags.local, "Loopback-only networking: no DHT (unless --dht-bootstrap), LSD, UPnP or uTP");
    cmd.add_option("--dht-bootstrap", flags.dhtBootstrap,
                   "HOST:PORT of a DHT node to join instead of the public ones (repeatable; a closed network: turns the DHT on)");
    cmd.add_option("--challenge-duration", flags.challengeDuration, "Challenge window of new channels, in seconds");
    cmd.add_flag("--json", flags.json, "Machine-readable JSON output");
}

void addPaymentFlags(CLI::App& cmd, NodeFlags& flags)
{
    cmd.add_option("--increment", flags.paymentIncrement,
                   "Bytes' worth per payment: as a buyer what each payment adds, as a seller with --window the "
                   "request queue it allows (default 256KiB)");
    cmd.add_option("--window", flags.creditWindow,
                   "Credit window: as a buyer how far it pays ahead of what has arrived, its exposure to one seller; "
                   "larger is faster on a fast link (default 1MiB)");
}

namespace {

// The node's defaults where a flag is not given.
pt::Result<std::pair<std::uint64_t, std::uint64_t>> paymentSizes(const NodeFlags& flags)
{
    std::uint64_t increment = NodeOptions{}.paymentIncrement;
    std::uint64_t window = NodeOptions{}.creditWindow;
    if (!flags.paymentIncrement.empty()) {
        auto v = parseByteSize(flags.paymentIncrement);
        if (!v) return pt::makeError(NodeError::bad_option, "--increment: " + v.error().message);
        increment = *v;
    }
    if (!flags.creditWindow.empty()) {
        auto v = parseByteSize(flags.creditWindow);
        if (!v) return pt::makeError(NodeError::bad_option, "--window: " + v.error().message);
        window = *v;
    }
    if (auto ok = checkPaymentSizes(increment, window); !ok) return ok.error();
    return std::pair{increment, window};
}

} // namespace

bool checkPaymentFlags(const NodeFlags& flags)
{
    auto sizes = paymentSizes(flags);
    if (!sizes) printError("bad payment sizes", sizes.error());
    return sizes.ok();
}

std::optional<NodeOptions> toNodeOptions(const NodeFlags& flags, bool confirmNewPassword)
{
    NodeOptions o;
    o.dataDir = flags.dataDir.empty() ? DataDir::defaultLocation() : DataDir{flags.dataDir};
    const bool newKey = !std::filesystem::exists(o.dataDir.keyFile());
    std::optional<std::filesystem::path> file;
    if (!flags.passwordFile.empty()) file = flags.passwordFile;
    o.password = readPassword(file, newKey && confirmNewPassword);
    if (!o.password) {
        std::cerr << "paytorrent-cli: no keystore password: give --password-file FILE or set PAYTORRENT_PASSWORD\n";
        return std::nullopt;
    }
    if (!flags.chainRpc.empty()) o.chainRpc = flags.chainRpc;
    if (!flags.adjudicator.empty()) o.adjudicator = flags.adjudicator;
    o.listen = flags.listen;
    o.localOnly = flags.local;
    o.dhtBootstrap = flags.dhtBootstrap;
    if (!flags.dhtBootstrap.empty()) o.dht = true;
    o.challengeDuration = flags.challengeDuration;
    auto sizes = paymentSizes(flags);
    if (!sizes) {
        printError("bad payment sizes", sizes.error());
        return std::nullopt;
    }
    o.paymentIncrement = sizes->first;
    o.creditWindow = sizes->second;
    return o;
}

std::unique_ptr<Node> openNode(const NodeFlags& flags)
{
    auto options = toNodeOptions(flags);
    if (!options) return nullptr;
    auto node = Node::open(std::move(*options));
    if (!node) {
        printError("cannot start the node", node.error());
        return nullptr;
    }
    return std::move(*node);
}

void printError(const std::string& what, const pt::Error& error)
{
    std::cerr << "paytorrent-cli: " << what << ": " << error.describe() << "\n";
}

} // namespace paytorrent::cli
