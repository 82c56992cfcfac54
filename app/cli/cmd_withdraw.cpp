// `paytorrent-cli withdraw CHANNEL_ID`: pays out a finalized channel (after a challenge's
// window, or concluded by the other side), or concludes one whose latest state is final.
#include "chain_cli.hpp"

#include <iostream>
#include <memory>

namespace paytorrent::cli {
namespace {

struct WithdrawArgs {
    NodeFlags node;
    std::string channel;
};

int runWithdraw(const WithdrawArgs& a)
{
    if (!parseChannelArg(a.channel)) return exit_usage;
    auto node = openNodeForCommand(a.node);
    if (!node) return exit_failure;
    auto w = node->withdraw(a.channel);
    if (!w) {
        printError("withdraw", w.error());
        return exit_failure;
    }
    if (a.node.json) {
        nlohmann::json j{{"channel", w->channelId}, {"action", w->action}, {"amount_wei", w->amount.toDecimal()}};
        j["transaction"] = w->transaction ? toJson(*w->transaction) : nlohmann::json(nullptr);
        std::cout << j.dump() << std::endl;
    } else if (w->action == "already_paid_out") {
        std::cout << "Channel " << w->channelId << " was already paid out; nothing to withdraw." << std::endl;
    } else {
        std::cout << "Channel " << w->channelId << " " << w->action << ": " << formatEther(w->amount)
                  << " to this wallet (tx " << (w->transaction ? w->transaction->hash : std::string("?")) << ")."
                  << std::endl;
    }
    return exit_ok;
}

const CommandRegistration withdraw_command{"withdraw", [](CLI::App& app, int& exitCode) {
    auto args = std::make_shared<WithdrawArgs>();
    CLI::App* cmd = app.add_subcommand("withdraw", "Collect a finalized channel's funds on chain");
    cmd->add_option("channel", args->channel, "Channel id (0x...)")->required();
    addNodeFlags(*cmd, args->node);
    cmd->callback([args, &exitCode] { exitCode = runWithdraw(*args); });
}};

} // namespace
} // namespace paytorrent::cli
