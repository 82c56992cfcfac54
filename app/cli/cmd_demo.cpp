// `paytorrent-cli demo`: the whole idea in one command. On the embedded local chain, a
// seeder and a downloader on loopback trade a generated file: every payment is printed as
// it happens, then the channel is closed on chain and both on-chain balances are shown.
#include "command.hpp"

#include "paytorrent/node.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

namespace paytorrent::cli {
namespace {

struct DemoArgs {
    std::uint64_t sizeMiB = 16;
    std::string price = "1000000000000000"; // 0.001 ETH per MiB
    std::string dir;
    bool json = false;
};

std::string eth(const pt::Wei& w)
{
    // Integer arithmetic only: whole ether and 6 decimals, truncated, for display.
    const pt::U256 unit("1000000000000000000");
    const pt::U256 whole = w.value() / unit;
    std::string frac = (pt::U256(w.value() % unit) / pt::U256("1000000000000")).str();
    frac.insert(frac.begin(), 6 - std::min<std::size_t>(6, frac.size()), '0');
    return whole.str() + "." + frac + " ETH";
}

int runDemo(const DemoArgs& a)
{
    auto price = pt::Wei::parse(a.price);
    if (!price || price->value() == 0) {
        std::cerr << "paytorrent-cli demo: --price must be a positive number of wei per MiB\n";
        return exit_usage;
    }
    std::filesystem::path root = a.dir;
    std::error_code ec;
    const bool temporary = root.empty();
    if (temporary) root = std::filesystem::temp_directory_path() / ("paytorrent-demo-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root / "share", ec);
    auto say = [&](const std::string& line) {
        if (!a.json) std::cout << line << std::endl;
    };

    // Two nodes with throwaway keys (random passwords: nothing here outlives the demo).
    std::random_device rd;
    const std::string password = std::to_string(rd()) + std::to_string(rd());
    auto options = [&](const char* name) {
        NodeOptions o;
        o.dataDir = DataDir{root / name};
        o.password = password;
        o.listen = "127.0.0.1:0";
        o.localOnly = true;
        o.scryptN = 1 << 12;
        o.challengeDuration = 60;
        return o;
    };
    say("Starting the local chain (anvil) with the NitroAdjudicator, and the seeder...");
    auto seeder = Node::open(options("seeder"));
    if (!seeder) {
        std::cerr << "paytorrent-cli demo: " << seeder.error().describe() << "\n";
        return exit_failure;
    }
    NodeOptions lo = options("downloader");
    lo.chainRpc = (*seeder)->chain().rpc;
    lo.adjudicator = (*seeder)->chain().adjudicator;
    auto downloader = Node::open(lo);
    if (!downloader) {
        std::cerr << "paytorrent-cli demo: " << downloader.error().describe() << "\n";
        return exit_failure;
    }
    say("chain " + (*seeder)->chain().chainId + " at " + (*seeder)->chain().rpc + ", adjudicator " +
        (*seeder)->chain().adjudicator);
    say("seeder     " + (*seeder)->address());
    say("downloader " + (*downloader)->address());

    const auto file = root / "share" / "demo.bin";
    {
        std::mt19937_64 rng(rd());
        std::ofstream out(file, std::ios::binary);
        std::vector<std::uint64_t> block(1 << 17);
        for (std::uint64_t i = 0; i < a.sizeMiB; ++i) {
            for (auto& w : block) w = rng();
            out.write(reinterpret_cast<const char*>(block.data()), 1 << 20);
        }
    }
    auto seeded = (*seeder)->seed(file, *price);
    if (!seeded) {
        std::cerr << "paytorrent-cli demo: " << seeded.error().describe() << "\n";
        return exit_failure;
    }
    say("seeding " + std::to_string(a.sizeMiB) + " MiB at " + price->toDecimal() + " wei per MiB");
    say("magnet: " + seeded->magnet);

    const auto seederBefore = (*seeder)->balance();
    const auto downloaderBefore = (*downloader)->balance();
    std::mutex out;
    nlohmann::json payments = nlohmann::json::array();
    (*seeder)->onPayment([&](const ChannelInfo& c, const pt::Wei& amount) {
        std::lock_guard lock(out);
        payments.push_back({{"amount_wei", amount.toDecimal()}, {"total_wei", c.paid.toDecimal()}, {"bytes", c.bytes}});
        if (!a.json)
            std::cout << "  payment: " << amount.toDecimal() << " wei (total " << c.paid.toDecimal() << " wei, "
                      << c.bytes << " bytes served)" << std::endl;
    });

    const pt::Wei budget(pt::U256(price->value() * (a.sizeMiB + 2)));
    DownloadRequest req{seeded->magnet, root / "downloads", *price, budget,
                        {"127.0.0.1:" + std::to_string((*seeder)->listenPort())}};
    const auto started = std::chrono::steady_clock::now();
    auto ih = (*downloader)->download(req);
    if (!ih) {
        std::cerr << "paytorrent-cli demo: " << ih.error().describe() << "\n";
        return exit_failure;
    }
    bool finished = false;
    while (std::chrono::steady_clock::now() - started < std::chrono::minutes(5)) {
        auto st = (*downloader)->status(*ih);
        if (st && st->isFinished) {
            finished = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!finished) {
        std::cerr << "paytorrent-cli demo: the download did not finish in 5 minutes\n";
        return exit_failure;
    }
    say("downloaded in " + std::to_string(seconds) + " s; closing the channel on chain...");
    const auto closed = (*downloader)->closeChannels(*ih, std::chrono::seconds(60));
    const auto seederAfter = (*seeder)->balance();
    const auto downloaderAfter = (*downloader)->balance();
    bool identical = false;
    {
        std::ifstream x(file, std::ios::binary), y(root / "downloads" / "demo.bin", std::ios::binary);
        identical = std::equal(std::istreambuf_iterator<char>(x), std::istreambuf_iterator<char>(),
                               std::istreambuf_iterator<char>(y), std::istreambuf_iterator<char>());
    }
    pt::Wei paid;
    bool allClosed = !closed.empty();
    for (const auto& c : closed) {
        paid = paid + c.paid;
        allClosed = allClosed && c.status == "closed";
    }
    if (a.json) {
        std::cout << nlohmann::json{{"bytes", a.sizeMiB << 20},
                                    {"seconds", seconds},
                                    {"identical", identical},
                                    {"paid_wei", paid.toDecimal()},
                                    {"payments", payments},
                                    {"channels_closed", allClosed},
                                    {"seeder_balance_wei", seederAfter ? seederAfter->toDecimal() : ""},
                                    {"downloader_balance_wei", downloaderAfter ? downloaderAfter->toDecimal() : ""}}
                         .dump()
                  << std::endl;
    } else {
        std::cout << "file identical: " << (identical ? "yes" : "NO") << "\n"
                  << "paid: " << paid.toDecimal() << " wei (" << eth(paid) << ") in " << payments.size() << " payments\n";
        if (seederBefore && seederAfter)
            std::cout << "seeder on chain:     " << eth(*seederBefore) << " -> " << eth(*seederAfter) << "\n";
        if (downloaderBefore && downloaderAfter)
            std::cout << "downloader on chain: " << eth(*downloaderBefore) << " -> " << eth(*downloaderAfter)
                      << " (gas " << (*downloader)->gasSpent().toDecimal() << " wei)\n";
        std::cout << "channel closed on chain: " << (allClosed ? "yes" : "NO") << std::endl;
    }
    downloader->reset();
    seeder->reset();
    if (temporary) std::filesystem::remove_all(root, ec);
    return identical && allClosed ? exit_ok : exit_failure;
}

const CommandRegistration demo_command{"demo", [](CLI::App& app, int& exitCode) {
    auto args = std::make_shared<DemoArgs>();
    CLI::App* cmd = app.add_subcommand("demo", "A seeder and a downloader trade a generated file over a payment channel on the local chain");
    cmd->add_option("--size", args->sizeMiB, "File size in MiB")->check(CLI::Range(1, 4096));
    cmd->add_option("--price", args->price, "Price in wei per MiB");
    cmd->add_option("--dir", args->dir, "Keep the nodes' data here (default: a temporary directory, removed)");
    cmd->add_flag("--json", args->json, "One JSON summary");
    cmd->callback([args, &exitCode] { exitCode = runDemo(*args); });
}};

} // namespace
} // namespace paytorrent::cli
