// `paytorrent-cli bench transfer`: unpaid against paid throughput at several payment
// increments, and the time from `get` to the first paid byte, two processes on loopback.
// `bench transfer-seeder` (hidden) is the seeder process the benchmark starts.
#include "bench_command.hpp"
#include "signals.hpp"

#include "paytorrent/transfer_bench.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <memory>

namespace paytorrent::cli {
namespace {

std::string goalText(double value, double goal, bool atLeast)
{
    const bool met = value >= 0 && (atLeast ? value >= goal : value <= goal);
    return met ? "met" : "NOT met";
}

std::string secondsText(double s) { return s < 0 ? std::string("-") : fmt::format("{:.3f} s", s); }

void printTransfer(const TransferBenchReport& r)
{
    std::cout << fmt::format("Transfer benchmark: {} over TCP on loopback, seeder and downloader in two processes,\n"
                             "tuned libtorrent settings, price {} wei per MiB, {} round{} (medians)\n",
                             formatByteSize(r.size), r.pricePerMiB.toDecimal(), r.rounds, r.rounds > 1 ? "s" : "")
              << fmt::format("  {:<28} {:>9} {:>9} {:>7} {:>9} {:>6} {:>16} {:>15}\n", "", "MB/s", "time", "ratio", "payments",
                             "stops", "first paid byte", "cpu dl / seed / machine");
    auto row = [](const std::string& name, const TransferRun& t, bool paid) {
        const std::string machine = t.machineBusyCoreSeconds < 0 ? std::string("-")
                                                                 : fmt::format("{:.1f} ({:.0f}%)", t.machineBusyCoreSeconds,
                                                                               100 * t.machineBusyShare);
        return fmt::format("  {:<28} {:>9.1f} {:>7.2f} s {:>7.2f} {:>9} {:>6} {:>16} {:>7.1f} / {:.1f} / {}\n", name,
                           t.mbPerSecond, t.seconds, t.ratio, paid ? std::to_string(t.payments) : std::string("-"),
                           paid ? std::to_string(t.stops) : std::string("-"),
                           paid ? secondsText(t.firstPaidByteSeconds) : std::string("-"), t.downloaderCpuSeconds,
                           t.seederCpuSeconds, machine);
    };
    std::cout << row("unpaid", r.unpaid, false);
    for (const auto& p : r.paid) {
        std::string name = "paid, " + formatByteSize(p.increment);
        if (p.creditWindow != 1024 * 1024) name += " (window " + formatByteSize(p.creditWindow) + ")";
        std::cout << row(name, p, true);
    }
    std::cout << fmt::format("first paid byte after download(): median {}, worst {} (goal {:.0f} s: {})\n",
                             secondsText(r.firstPaidByteMedian), secondsText(r.firstPaidByteMax),
                             TransferBenchReport::firstPaidByteGoalSeconds,
                             goalText(r.firstPaidByteMax, TransferBenchReport::firstPaidByteGoalSeconds, false));
    const TransferRun* steps = r.paidAt(256 * 1024);
    if (!steps && !r.paid.empty()) steps = &r.paid.front();
    if (steps)
        std::cout << fmt::format("  steps at {}: channel proposed {}, deposit mined {}, first payment countersigned {}, "
                                 "first paid data {}\n",
                                 formatByteSize(steps->increment), secondsText(steps->channelProposedSeconds),
                                 secondsText(steps->channelOpenSeconds), secondsText(steps->firstPaymentSeconds),
                                 secondsText(steps->firstPaidByteSeconds));
    for (const auto& p : r.paid)
        if (p.paymentAnswer.count > 0)
            std::cout << fmt::format("  payment answered at {}: median {:.2f} ms, 90% {:.2f} ms, 99% {:.2f} ms "
                                     "(sent to countersignature received, {} timed)\n",
                                     formatByteSize(p.increment), p.paymentAnswer.p50Ms, p.paymentAnswer.p90Ms,
                                     p.paymentAnswer.p99Ms, p.paymentAnswer.count);
    std::string cost, bound;
    for (const auto& p : r.paid) {
        if (p.cpuMillisPerPayment < 0) continue;
        cost += fmt::format("{}{} {:.2f} ms", cost.empty() ? "" : ", ", formatByteSize(p.increment), p.cpuMillisPerPayment);
        bound += fmt::format("{}{} {:.2f}", bound.empty() ? "" : ", ", formatByteSize(p.increment), p.signatureBoundRatio);
    }
    if (!cost.empty())
        std::cout << fmt::format("cost of a payment (both processes' CPU beyond the unpaid run's): {}; its signatures alone "
                                 "{:.3f} ms (2 signatures at {:.0f}/s + 2 recoveries at {:.0f}/s, timed after the downloads)\n",
                                 cost, r.signatureMillisPerPayment, r.signaturesPerSecond, r.recoveriesPerSecond)
                  << fmt::format("  if a payment cost only its signatures, and the machine stayed as busy as unpaid: "
                                 "ratio at most {}\n",
                                 bound);
    if (const auto* p = r.paidAt(256 * 1024))
        std::cout << fmt::format("goal: ratio at 256 KiB {:.2f} (at least {:.2f}: {})\n", p->ratio,
                                 TransferBenchReport::ratioGoal256k, goalText(p->ratio, TransferBenchReport::ratioGoal256k, true));
    if (const auto* p = r.paidAt(16 * 1024))
        std::cout << fmt::format("goal: ratio at 16 KiB {:.2f} (at least {:.2f}: {})\n", p->ratio,
                                 TransferBenchReport::ratioGoal16k, goalText(p->ratio, TransferBenchReport::ratioGoal16k, true));
    std::cout << fmt::format("machine: {} cores, load average {:.2f} before, {:.2f} after; scratch on {} ({})\n", r.cores,
                             r.loadBefore, r.loadAfter, r.fileSystem, r.directory.string())
              << "MB = 10^6 bytes; time = download() to every piece verified; cpu = CPU seconds of each process during "
                 "the download, and busy core-seconds of the whole machine (share of all its cores' time)\n";
}

const BenchRegistration transfer_bench{"transfer", [](CLI::App& bench, int& exitCode) {
    struct Args {
        bool json = false;
        std::string size = "1GiB";
        std::vector<std::string> increments;
        std::string window = "1MiB";
        int rounds = 1;
        std::string price = "1000000000000";
        std::string dir;
        unsigned timeoutSeconds = 900;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = bench.add_subcommand(
        "transfer", "Unpaid and paid download throughput (at several payment increments) over loopback, two processes");
    cmd->add_flag("--json", args->json, "Print one JSON object (progress still goes to stderr)");
    cmd->add_option("--size", args->size, "Size of the file transferred (1GiB, 256MiB, 8MiB...)")->capture_default_str();
    cmd->add_option("--increment", args->increments,
                    "Payment increment to measure (repeatable or comma-separated; default 16KiB,64KiB,256KiB,1MiB)")
        ->delimiter(',');
    cmd->add_option("--window", args->window,
                    "Credit window of the downloader (an increment at least this large runs with twice the increment)")
        ->capture_default_str();
    cmd->add_option("--rounds", args->rounds, "Rounds of all downloads (medians are reported)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    cmd->add_option("--price", args->price, "Price of the paid torrent in wei per MiB")->capture_default_str();
    cmd->add_option("--dir", args->dir, "Directory for the scratch files (default: the temporary directory)");
    cmd->add_option("--timeout", args->timeoutSeconds, "Give up on one download after this many seconds")
        ->check(CLI::Range(1u, 86400u))
        ->capture_default_str();
    cmd->callback([args, &exitCode] {
        TransferBenchOptions o;
        auto usage = [&](const std::string& what, const pt::Error& e) {
            std::cerr << "paytorrent-cli: " << what << ": " << e.describe() << "\n";
            exitCode = exit_usage;
        };
        auto size = parseByteSize(args->size);
        if (!size) return usage("--size", size.error());
        o.size = *size;
        if (!args->increments.empty()) {
            o.increments.clear();
            for (const auto& text : args->increments) {
                auto inc = parseByteSize(text);
                if (!inc) return usage("--increment", inc.error());
                o.increments.push_back(*inc);
            }
        }
        auto window = parseByteSize(args->window);
        if (!window) return usage("--window", window.error());
        o.creditWindow = *window;
        auto price = pt::Wei::parse(args->price);
        if (!price) return usage("--price", price.error());
        o.pricePerMiB = *price;
        o.rounds = args->rounds;
        o.directory = args->dir;
        o.runTimeout = std::chrono::seconds(args->timeoutSeconds);
        std::error_code ec;
        const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
        if (ec) {
            std::cerr << "paytorrent-cli: cannot find its own executable: " << ec.message() << "\n";
            exitCode = exit_failure;
            return;
        }
        o.seederCommand = {self.string(), "bench", "transfer-seeder"};
        o.progress = [](const std::string& line) { std::cerr << "bench transfer: " << line << std::endl; };
        // Ctrl-C: the benchmark stops its seeder and removes its files before it exits.
        installStopSignals();
        o.cancelled = [] { return stopRequested(); };
        auto report = runTransferBench(o);
        if (!report) {
            std::cerr << "paytorrent-cli: " << report.error().describe() << "\n";
            exitCode = report.error().code == TransferBenchError::bad_option ? exit_usage : exit_failure;
            return;
        }
        if (args->json)
            std::cout << nlohmann::json{{"transfer", toJson(*report)}}.dump(2) << "\n";
        else
            printTransfer(*report);
        exitCode = exit_ok;
    });
}};

// True until our standard input reaches its end (the benchmark closed it, or died) or a
// stop signal arrives. Never blocks.
bool inputStillOpen()
{
    if (stopRequested()) return false;
    pollfd pfd{STDIN_FILENO, POLLIN, 0};
    if (::poll(&pfd, 1, 0) <= 0) return true;
    char buf[256];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    return n > 0 || (n < 0 && errno == EINTR);
}

const BenchRegistration transfer_seeder{"transfer-seeder", [](CLI::App& bench, int& exitCode) {
    struct Args {
        std::string dataDir;
        std::string freeFile;
        std::string paidFile;
        std::string price;
        std::string nodeTools;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = bench.add_subcommand("transfer-seeder",
                                         "The seeder process of `bench transfer` (reads the keystore password, then "
                                         "seeds until its standard input closes)");
    cmd->group(""); // hidden: only `bench transfer` runs it
    cmd->add_option("--data-dir", args->dataDir)->required();
    cmd->add_option("--free", args->freeFile)->required();
    cmd->add_option("--paid", args->paidFile)->required();
    cmd->add_option("--price", args->price)->required();
    cmd->add_option("--node-tools", args->nodeTools);
    cmd->callback([args, &exitCode] {
        // A benchmark that went away must not kill us mid-write: we stop on its closed pipe.
        ::signal(SIGPIPE, SIG_IGN);
        installStopSignals();
        auto price = pt::Wei::parse(args->price);
        if (!price) {
            std::cerr << "paytorrent-cli: --price: " << price.error().describe() << "\n";
            exitCode = exit_usage;
            return;
        }
        TransferSeederOptions o;
        o.dataDir = args->dataDir;
        o.freeFile = args->freeFile;
        o.paidFile = args->paidFile;
        o.pricePerMiB = *price;
        if (!args->nodeTools.empty()) o.nodeToolsDir = args->nodeTools;
        // The password comes on the first line of standard input (never on the command line).
        // A password is short; a longer line is not one.
        constexpr std::size_t max_password_bytes = 1024;
        std::string password;
        char c = 0;
        while (password.size() <= max_password_bytes && ::read(STDIN_FILENO, &c, 1) == 1 && c != '\n') password += c;
        if (password.empty() || password.size() > max_password_bytes) {
            std::cerr << "paytorrent-cli: bench transfer-seeder: no password on standard input\n";
            exitCode = exit_usage;
            return;
        }
        o.password = std::move(password);
        auto s = runTransferSeeder(o, std::cout, inputStillOpen);
        if (!s) {
            std::cerr << "paytorrent-cli: bench transfer-seeder: " << s.error().describe() << "\n";
            exitCode = exit_failure;
            return;
        }
        exitCode = exit_ok;
    });
}};

} // namespace
} // namespace paytorrent::cli
