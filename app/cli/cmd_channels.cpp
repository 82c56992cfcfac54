// `paytorrent-cli channels`: every channel the node has stored, with its on-chain status.
#include "chain_cli.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace paytorrent::cli {
namespace {

int runChannels(const NodeFlags& flags)
{
    auto node = openNodeForCommand(flags);
    if (!node) return exit_failure;
    const auto channels = node->channels();
    if (flags.json) {
        auto list = nlohmann::json::array();
        for (const auto& c : channels)
            list.push_back({{"id", c.id},
                            {"role", c.role},
                            {"peer", c.peer},
                            {"torrent", c.torrent},
                            {"status", c.status},
                            {"paid_wei", c.paid.toDecimal()},
                            {"deposit_wei", c.deposit.toDecimal()},
                            {"bytes", c.bytes},
                            {"error", c.error}});
        std::cout << nlohmann::json{{"channels", list}}.dump() << std::endl;
        return exit_ok;
    }
    if (channels.empty()) {
        std::cout << "No channels.\n";
        return exit_ok;
    }
    std::cout << fmt::format("{:<68} {:<7} {:<10} {:>24} {:>24}  {}\n", "channel", "role", "status", "paid (wei)",
                             "deposit (wei)", "peer");
    for (const auto& c : channels)
        std::cout << fmt::format("{:<68} {:<7} {:<10} {:>24} {:>24}  {}\n", c.id, c.role, c.status, c.paid.toDecimal(),
                                 c.deposit.toDecimal(), c.peer);
    return exit_ok;
}

const CommandRegistration channels_command{"channels", [](CLI::App& app, int& exitCode) {
    auto flags = std::make_shared<NodeFlags>();
    CLI::App* cmd = app.add_subcommand("channels", "List the node's payment channels");
    addNodeFlags(*cmd, *flags);
    cmd->callback([flags, &exitCode] { exitCode = runChannels(*flags); });
}};

} // namespace
} // namespace paytorrent::cli
