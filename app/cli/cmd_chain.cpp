// `paytorrent-cli chain up [--data-dir DIR] [--port N] [--chain-id N]`: starts a local chain
// (anvil + the NitroAdjudicator) that several nodes share, prints {"rpc", "chainId",
// "adjudicator"} as one line of JSON, and keeps it running until SIGINT or SIGTERM, then
// stops anvil (which writes its state into the data directory).
#include "command.hpp"
#include "node_options.hpp"
#include "signals.hpp"

#include "paytorrent/shared_chain.hpp"

#include <iostream>
#include <memory>
#include <thread>

namespace paytorrent::cli {
namespace {

struct ChainUpArgs {
    std::string dataDir;
    std::uint16_t port = 0;
    std::uint64_t chainId = 31337;
    bool json = false;
};

int runChainUp(const ChainUpArgs& a)
{
    SharedChainOptions o;
    o.dataDir = a.dataDir.empty() ? DataDir::defaultLocation().root / "shared-chain" : std::filesystem::path(a.dataDir);
    o.chainId = a.chainId;
    if (a.port != 0) o.port = a.port;
    o.stopWithStartingThread = true; // this thread runs until the chain stops; if we crash, anvil goes too
    installStopSignals(); // before anvil starts, so a signal meanwhile still stops it cleanly
    auto chain = SharedChain::start(o);
    if (!chain) {
        printError("chain up", chain.error());
        return exit_failure;
    }
    // The JSON is the whole of stdout (with or without --json), for scripts to read.
    std::cout << (*chain)->toJson().dump() << std::endl;
    if (!a.json)
        std::cerr << "Local chain up (state in " << o.dataDir.string() << "). Nodes join with --chain-rpc "
                  << (*chain)->summary().rpc << " --adjudicator " << (*chain)->summary().adjudicator
                  << ". Ctrl-C stops it." << std::endl;
    while (!stopRequested()) {
        if (!(*chain)->running()) {
            std::cerr << "paytorrent-cli: chain up: anvil exited by itself (see " << (o.dataDir / "anvil.log").string()
                      << ")\n";
            return exit_failure;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (auto s = (*chain)->stop(); !s) {
        printError("chain up: stopping anvil", s.error());
        return exit_failure;
    }
    return exit_ok;
}

const CommandRegistration chain_command{"chain", [](CLI::App& app, int& exitCode) {
    CLI::App* chain = app.add_subcommand("chain", "The local development chain");
    chain->require_subcommand(1);
    auto args = std::make_shared<ChainUpArgs>();
    CLI::App* up = chain->add_subcommand(
        "up", "Start a local chain (anvil + NitroAdjudicator) for several nodes; print {rpc, chainId, adjudicator}");
    up->add_option("--data-dir", args->dataDir,
                   "Where the chain keeps its state (default: <node data dir>/shared-chain)");
    up->add_option("--port", args->port, "Fixed RPC port on 127.0.0.1 (default: a free one)");
    up->add_option("--chain-id", args->chainId, "Chain id")->capture_default_str()->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 53));
    up->add_flag("--json", args->json, "Only the JSON line (no hint on stderr)");
    up->callback([args, &exitCode] { exitCode = runChainUp(*args); });
}};

} // namespace
} // namespace paytorrent::cli
