// `paytorrent-cli seed PATH --price WEI_PER_MIB [--tracker URL]... [--magnet-peer IP[:PORT]]...`:
// creates the torrent (with those announce URLs), prints its magnet link (with tr= for each
// tracker and x.pe= for each magnet peer), keeps seeding and reports what it earns until
// interrupted.
#include "node_options.hpp"
#include "signals.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <thread>

namespace paytorrent::cli {
namespace {

struct SeedArgs {
    NodeFlags node;
    std::string path;
    std::string price = "0";
    std::vector<std::string> trackers;
    std::vector<std::string> magnetPeers;
};

// A --magnet-peer value with its port: HOST is an IPv4 address, a bracketed or bare IPv6
// address; without a port it gets this node's listen port (the usual case: "here I am").
std::string withPort(const std::string& text, int listenPort)
{
    const std::string port = std::to_string(listenPort);
    if (text.empty()) return text;
    if (text.front() == '[') return text.find("]:") == std::string::npos ? text + ":" + port : text;
    const auto colons = std::count(text.begin(), text.end(), ':');
    if (colons == 0) return text + ":" + port;
    if (colons > 1) return "[" + text + "]:" + port; // a bare IPv6 address
    return text;
}

int runSeed(const SeedArgs& a)
{
    auto price = pt::Wei::parse(a.price);
    if (!price) {
        printError("--price", price.error());
        return exit_usage;
    }
    if (!checkPaymentFlags(a.node)) return exit_usage;
    if (auto shareable = checkSeedPath(a.path); !shareable) {
        printError("cannot seed " + a.path, shareable.error());
        return exit_usage;
    }
    auto node = openNode(a.node);
    if (!node) return exit_failure;
    std::mutex out;
    node->onPayment([&](const ChannelInfo& c, const pt::Wei& amount) {
        std::lock_guard lock(out);
        if (a.node.json) {
            std::cout << nlohmann::json{{"event", "payment"}, {"channel", c.id}, {"peer", c.peer},
                                        {"amount_wei", amount.toDecimal()}, {"total_wei", c.paid.toDecimal()},
                                        {"bytes", c.bytes}}
                             .dump()
                      << std::endl;
        } else {
            std::cout << "earned " << amount.toDecimal() << " wei from " << c.peer << " (channel total "
                      << c.paid.toDecimal() << " wei, " << c.bytes << " bytes served)" << std::endl;
        }
    });
    std::optional<pt::Wei> p;
    if (price->value() != 0) p = *price;
    SeedOptions options;
    options.trackers = a.trackers;
    for (const auto& peer : a.magnetPeers) options.magnetPeers.push_back(withPort(peer, node->listenPort()));
    auto seeded = node->seed(a.path, p, options);
    if (!seeded) {
        printError("cannot seed " + a.path, seeded.error());
        return seeded.error().code == NodeError::bad_option ? exit_usage : exit_failure;
    }
    {
        std::lock_guard lock(out);
        if (a.node.json) {
            std::cout << nlohmann::json{{"event", "seeding"},       {"infoHash", seeded->infoHash},
                                        {"magnet", seeded->magnet},  {"torrent", seeded->torrentFile.string()},
                                        {"port", node->listenPort()}, {"address", node->address()},
                                        {"chain", {{"rpc", node->chain().rpc}, {"chainId", node->chain().chainId},
                                                   {"adjudicator", node->chain().adjudicator}}}}
                             .dump()
                      << std::endl;
        } else {
            std::cout << "Seeding " << a.path << " at " << a.price << " wei per MiB\n"
                      << "magnet: " << seeded->magnet << "\n"
                      << "torrent file: " << seeded->torrentFile.string() << "\n"
                      << "listening on port " << node->listenPort() << "; Ctrl-C to stop" << std::endl;
        }
    }
    installStopSignals();
    while (!stopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return exit_ok;
}

const CommandRegistration seed_command{"seed", [](CLI::App& app, int& exitCode) {
    auto args = std::make_shared<SeedArgs>();
    CLI::App* cmd = app.add_subcommand("seed", "Seed a file or folder, for a price per MiB, and earn");
    cmd->add_option("path", args->path, "File or folder to share")->required();
    cmd->add_option("--price", args->price, "Price in wei per MiB (0: free)");
    cmd->add_option("--tracker", args->trackers, "Announce URL to put in the torrent and its magnet link (repeatable)");
    cmd->add_option("--magnet-peer", args->magnetPeers,
                    "IP[:PORT] to put in the magnet link as a direct peer (x.pe), normally this seeder's own "
                    "reachable address; PORT defaults to the listen port (repeatable)");
    addNodeFlags(*cmd, args->node);
    addPaymentFlags(*cmd, args->node);
    cmd->callback([args, &exitCode] { exitCode = runSeed(*args); });
}};

} // namespace
} // namespace paytorrent::cli
