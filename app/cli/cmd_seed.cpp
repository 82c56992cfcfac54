// `paytorrent-cli seed PATH --price WEI_PER_MIB`: creates the torrent, prints its magnet
// link, keeps seeding and reports what it earns until interrupted.
#include "node_options.hpp"
#include "signals.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <mutex>
#include <thread>

namespace paytorrent::cli {
namespace {

struct SeedArgs {
    NodeFlags node;
    std::string path;
    std::string price = "0";
};

int runSeed(const SeedArgs& a)
{
    auto price = pt::Wei::parse(a.price);
    if (!price) {
        printError("--price", price.error());
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
    auto seeded = node->seed(a.path, p);
    if (!seeded) {
        printError("cannot seed " + a.path, seeded.error());
        return exit_failure;
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
    addNodeFlags(*cmd, args->node);
    cmd->callback([args, &exitCode] { exitCode = runSeed(*args); });
}};

} // namespace
} // namespace paytorrent::cli
