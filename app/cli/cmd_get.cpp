// `paytorrent-cli get MAGNET_OR_TORRENT --out DIR --max-price WEI_PER_MIB --budget WEI
// [--peer HOST:PORT]...`: downloads, pays ahead, closes its channels on chain, and prints
// a JSON summary {"bytes", "paid_wei", "channels": [{"id", "peer", "bytes", "paid_wei"}]}.
// Seeders come from the trackers of the magnet link (tr=) or .torrent, the magnet's direct
// peers (x.pe=), the DHT (unless --local without --dht-bootstrap), and --peer.
#include "node_options.hpp"
#include "signals.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

namespace paytorrent::cli {
namespace {

struct GetArgs {
    NodeFlags node;
    std::string source;
    std::string out = ".";
    std::string maxPrice = "0";
    std::string budget = "0";
    std::vector<std::string> peers;
    unsigned timeoutSeconds = 3600;
    unsigned closeTimeoutSeconds = 120;
};

void progressLine(const TorrentStatus& s, const pt::Wei& paid)
{
    const double pct = s.totalWanted > 0 ? 100.0 * static_cast<double>(s.totalDone) / static_cast<double>(s.totalWanted) : 0.0;
    std::fprintf(stderr, "\r%-12s %6.2f%%  %8.2f MB/s  %d peers  paid %s wei   ", s.state.c_str(), pct,
                 static_cast<double>(s.downloadRate) / 1e6, s.numPeers, paid.toDecimal().c_str());
    std::fflush(stderr);
}

int runGet(const GetArgs& a)
{
    auto maxPrice = pt::Wei::parse(a.maxPrice);
    if (!maxPrice) {
        printError("--max-price", maxPrice.error());
        return exit_usage;
    }
    auto budget = pt::Wei::parse(a.budget);
    if (!budget) {
        printError("--budget", budget.error());
        return exit_usage;
    }
    if (!checkPaymentFlags(a.node)) return exit_usage;
    if (auto source = checkDownloadSource(a.source); !source) {
        printError("cannot download", source.error());
        return exit_usage;
    }
    auto node = openNode(a.node);
    if (!node) return exit_failure;

    DownloadRequest req{a.source, a.out, *maxPrice, *budget, a.peers};
    auto ih = node->download(req);
    if (!ih) {
        printError("cannot download", ih.error());
        return ih.error().code == NodeError::refused_terms ? exit_usage : exit_failure;
    }
    installStopSignals();
    const bool tty = ::isatty(STDERR_FILENO) && !a.node.json;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.timeoutSeconds);
    bool finished = false;
    bool sawPeer = false;
    while (!stopRequested() && std::chrono::steady_clock::now() < deadline) {
        auto st = node->status(*ih);
        if (st && st->numPeers > 0) sawPeer = true;
        if (st && st->isFinished) {
            finished = true;
            break;
        }
        if (tty && st) {
            pt::Wei paid;
            for (const auto& c : node->channels())
                if (c.torrent == *ih && c.role == "buyer") paid = paid + c.paid;
            progressLine(*st, paid);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (tty) std::fprintf(stderr, "\n");

    const auto closed = node->closeChannels(*ih, std::chrono::seconds(a.closeTimeoutSeconds));
    pt::Wei paid;
    nlohmann::json channels = nlohmann::json::array();
    bool allClosed = true;
    for (const auto& c : closed) {
        paid = paid + c.paid;
        channels.push_back({{"id", c.id}, {"peer", c.peer}, {"bytes", c.bytes}, {"paid_wei", c.paid.toDecimal()},
                            {"deposit_wei", c.deposit.toDecimal()}, {"status", c.status}});
        if (!c.error.empty()) channels.back()["error"] = c.error;
        if (c.status != "closed") allClosed = false;
    }
    auto st = node->status(*ih);
    nlohmann::json summary{{"infoHash", *ih},
                           {"bytes", st ? st->totalDone : 0},
                           {"complete", finished},
                           {"paid_wei", paid.toDecimal()},
                           {"channels", channels}};
    std::cout << summary.dump(a.node.json ? -1 : 2) << std::endl;
    if (!finished) {
        std::cerr << "paytorrent-cli: the download did not complete" << (stopRequested() ? " (interrupted)" : " in time") << "\n";
        if (!sawPeer)
            std::cerr << "paytorrent-cli: no peer was found: the torrent's trackers, its magnet peers (x.pe) and the DHT "
                         "gave none, and no --peer was given or reached\n";
        return exit_failure;
    }
    if (!allClosed) {
        std::cerr << "paytorrent-cli: not every channel closed cooperatively; see `paytorrent-cli channels` and `challenge`\n";
        return exit_failure;
    }
    return exit_ok;
}

const CommandRegistration get_command{"get", [](CLI::App& app, int& exitCode) {
    auto args = std::make_shared<GetArgs>();
    CLI::App* cmd = app.add_subcommand("get", "Download a magnet link or .torrent, paying seeders as data arrives");
    cmd->add_option("source", args->source, "Magnet link or .torrent file")->required();
    cmd->add_option("--out", args->out, "Directory to save into");
    cmd->add_option("--max-price", args->maxPrice, "Most wei per MiB to pay");
    cmd->add_option("--budget", args->budget, "Most wei to lock in channel deposits, over all seeders");
    cmd->add_option("--peer", args->peers, "HOST:PORT of a peer to dial (repeatable)");
    cmd->add_option("--timeout", args->timeoutSeconds, "Give up after this many seconds");
    cmd->add_option("--close-timeout", args->closeTimeoutSeconds, "Seconds to wait for channels to close");
    addNodeFlags(*cmd, args->node);
    addPaymentFlags(*cmd, args->node);
    cmd->callback([args, &exitCode] { exitCode = runGet(*args); });
}};

} // namespace
} // namespace paytorrent::cli
