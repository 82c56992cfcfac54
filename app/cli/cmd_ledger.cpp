// `paytorrent-cli ledger [--torrent INFOHASH]`: per torrent and per peer, the bytes served
// and received and the wei earned and paid over paid channels (from the stored payments).
#include "chain_cli.hpp"

#include "paytorrent/transfer_bench.hpp" // formatByteSize

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

namespace paytorrent::cli {
namespace {

// A v1 info-hash: 40 hex digits.
constexpr std::size_t info_hash_hex_digits = 40;
// A node just opened adds the torrents of its data directory asynchronously and learns their
// names from libtorrent a moment later; a one-shot command waits this long, at most, for them.
constexpr auto max_name_wait = std::chrono::seconds(5);

struct LedgerArgs {
    NodeFlags node;
    std::string torrent;
};

bool isInfoHash(const std::string& text)
{
    if (text.size() != info_hash_hex_digits) return false;
    for (const char c : text)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

nlohmann::json ledgerJson(const TorrentLedger& t)
{
    auto peers = nlohmann::json::array();
    for (const auto& p : t.peers)
        peers.push_back({{"peer", p.peer},
                         {"bytes_served", p.bytesServed},
                         {"bytes_received", p.bytesReceived},
                         {"earned_wei", p.earned.toDecimal()},
                         {"paid_wei", p.paid.toDecimal()},
                         {"channels", p.channels}});
    return {{"info_hash", t.infoHash},
            {"name", t.name},
            {"bytes_served", t.bytesServed},
            {"bytes_received", t.bytesReceived},
            {"earned_wei", t.earned.toDecimal()},
            {"paid_wei", t.paid.toDecimal()},
            {"channel_count", t.channels},
            {"peers", peers}};
}

void printTable(const std::vector<TorrentLedger>& torrents)
{
    const auto line = [](const std::string& who, std::uint64_t served, std::uint64_t received, const pt::Wei& earned,
                         const pt::Wei& paid, const std::string& channels) {
        return fmt::format("{:<44} {:>11} {:>11} {:>26} {:>26} {:>8}\n", who, formatByteSize(served),
                           formatByteSize(received), earned.toDecimal(), paid.toDecimal(), channels);
    };
    std::cout << fmt::format("{:<44} {:>11} {:>11} {:>26} {:>26} {:>8}\n", "torrent / peer", "served", "received",
                             "earned (wei)", "paid (wei)", "channels");
    for (const auto& t : torrents) {
        const std::string label = t.infoHash.empty() ? std::string("(no torrent)") : t.infoHash;
        std::cout << line(label, t.bytesServed, t.bytesReceived, t.earned, t.paid, std::to_string(t.channels));
        if (!t.name.empty()) std::cout << "  " << t.name << "\n";
        for (const auto& p : t.peers)
            std::cout << line("  " + p.peer, p.bytesServed, p.bytesReceived, p.earned, p.paid,
                              std::to_string(p.channels.size()));
    }
}

// Names of the torrents the node resumes from its data directory (<info-hash>.resume files).
void waitForNames(const Node& node, const DataDir& dir, std::vector<TorrentLedger>& torrents)
{
    const auto deadline = std::chrono::steady_clock::now() + max_name_wait;
    for (auto& t : torrents) {
        std::error_code ec;
        if (!t.name.empty() || t.infoHash.empty() || !std::filesystem::exists(dir.torrentsDir() / (t.infoHash + ".resume"), ec))
            continue;
        for (;;) {
            if (auto st = node.status(t.infoHash); st && !st->name.empty()) {
                t.name = st->name;
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

int runLedger(const LedgerArgs& a)
{
    if (!a.torrent.empty() && !isInfoHash(a.torrent)) {
        std::cerr << "paytorrent-cli: --torrent: not an info-hash (40 hex digits)\n";
        return exit_usage;
    }
    auto node = openNodeForCommand(a.node);
    if (!node) return exit_failure;
    auto ledger = node->ledger(a.torrent.empty() ? std::nullopt : std::optional<std::string>(a.torrent));
    if (!ledger) {
        printError("cannot read the ledger", ledger.error());
        return exit_failure;
    }
    waitForNames(*node, a.node.dataDir.empty() ? DataDir::defaultLocation() : DataDir{a.node.dataDir}, *ledger);
    if (a.node.json) {
        auto list = nlohmann::json::array();
        for (const auto& t : *ledger) list.push_back(ledgerJson(t));
        std::cout << nlohmann::json{{"torrents", list}}.dump() << std::endl;
        return exit_ok;
    }
    if (ledger->empty()) {
        std::cout << (a.torrent.empty() ? "No payments yet.\n" : "No payments for that torrent.\n");
        return exit_ok;
    }
    printTable(*ledger);
    return exit_ok;
}

const CommandRegistration ledger_command{"ledger", [](CLI::App& app, int& exitCode) {
    auto args = std::make_shared<LedgerArgs>();
    CLI::App* cmd = app.add_subcommand("ledger", "Bytes served and received, wei earned and paid, per torrent and peer");
    cmd->add_option("--torrent", args->torrent, "Only this torrent (info-hash, 40 hex digits)");
    addNodeFlags(*cmd, args->node);
    cmd->callback([args, &exitCode] { exitCode = runLedger(*args); });
}};

} // namespace
} // namespace paytorrent::cli
