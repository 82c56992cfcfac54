// `paytorrent-cli challenge CHANNEL_ID`: force-closes a channel against a silent peer: the
// latest state signed by both goes on chain; after the window, `withdraw` (or a running
// node's watchtower) collects the funds.
#include "chain_cli.hpp"

#include <iostream>
#include <memory>

namespace paytorrent::cli {
namespace {

struct ChallengeArgs {
    NodeFlags node;
    std::string channel;
};

int runChallenge(const ChallengeArgs& a)
{
    if (!parseChannelArg(a.channel)) return exit_usage;
    auto node = openNodeForCommand(a.node);
    if (!node) return exit_failure;
    auto c = node->challenge(a.channel);
    if (!c) {
        printError("challenge", c.error());
        return exit_failure;
    }
    if (a.node.json) {
        std::cout << nlohmann::json{{"channel", c->channelId},
                                    {"turnNum", c->turnNum},
                                    {"finalizesAt", c->finalizesAt},
                                    {"transaction", toJson(c->transaction)}}
                         .dump()
                  << std::endl;
    } else {
        std::cout << "Challenged channel " << c->channelId << " with turn " << c->turnNum << " (tx "
                  << c->transaction.hash << ", " << c->transaction.gasUsed << " gas).\n"
                  << "The window ends at unix time " << c->finalizesAt
                  << "; then run `paytorrent-cli withdraw " << c->channelId << "` (a running node does it itself)."
                  << std::endl;
    }
    return exit_ok;
}

const CommandRegistration challenge_command{"challenge", [](CLI::App& app, int& exitCode) {
    auto args = std::make_shared<ChallengeArgs>();
    CLI::App* cmd = app.add_subcommand("challenge", "Force-close a channel on chain with its latest signed state");
    cmd->add_option("channel", args->channel, "Channel id (0x...)")->required();
    addNodeFlags(*cmd, args->node);
    cmd->callback([args, &exitCode] { exitCode = runChallenge(*args); });
}};

} // namespace
} // namespace paytorrent::cli
