// `paytorrent-cli wallet address` and `paytorrent-cli wallet balance`: the node's key and what
// it holds on its chain.
#include "chain_cli.hpp"

#include <iostream>
#include <memory>

namespace paytorrent::cli {
namespace {

int runAddress(const NodeFlags& flags)
{
    auto options = toNodeOptions(flags);
    if (!options) return exit_failure;
    auto address = Node::walletAddress(std::move(*options));
    if (!address) {
        printError("wallet address", address.error());
        return exit_failure;
    }
    if (flags.json)
        std::cout << nlohmann::json{{"address", *address}}.dump() << std::endl;
    else
        std::cout << *address << std::endl;
    return exit_ok;
}

int runBalance(const NodeFlags& flags)
{
    auto node = openNodeForCommand(flags);
    if (!node) return exit_failure;
    auto balance = node->balance();
    if (!balance) {
        printError("wallet balance", balance.error());
        return exit_failure;
    }
    if (flags.json)
        std::cout << nlohmann::json{{"address", node->address()},
                                    {"balance_wei", balance->toDecimal()},
                                    {"chainId", node->chain().chainId},
                                    {"rpc", node->chain().rpc}}
                         .dump()
                  << std::endl;
    else
        std::cout << node->address() << " holds " << formatEther(*balance) << " (" << balance->toDecimal()
                  << " wei) on chain " << node->chain().chainId << std::endl;
    return exit_ok;
}

const CommandRegistration wallet_command{"wallet", [](CLI::App& app, int& exitCode) {
    CLI::App* wallet = app.add_subcommand("wallet", "The node's key and its balance");
    wallet->require_subcommand(1);
    auto addressFlags = std::make_shared<NodeFlags>();
    CLI::App* address = wallet->add_subcommand("address", "Print the wallet's address (creates the key on first use)");
    addNodeFlags(*address, *addressFlags);
    address->callback([addressFlags, &exitCode] { exitCode = runAddress(*addressFlags); });
    auto balanceFlags = std::make_shared<NodeFlags>();
    CLI::App* balance = wallet->add_subcommand("balance", "Print the wallet's balance on its chain");
    addNodeFlags(*balance, *balanceFlags);
    balance->callback([balanceFlags, &exitCode] { exitCode = runBalance(*balanceFlags); });
}};

} // namespace
} // namespace paytorrent::cli
