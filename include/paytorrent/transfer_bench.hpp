// `paytorrent-cli bench transfer`: how fast a paid download runs against a free one, on this
// machine. Two processes on loopback (TCP, the tuned settings): a seeder child process that
// runs the embedded chain and seeds the same bytes twice, free and priced, and the downloader
// in the benchmark's own process, which downloads the free torrent and then the paid one at
// each payment increment, with a fresh node (new key, new channel) for every download.
#pragma once

#include "paytorrent/node.hpp"
#include "wallet/common/result.hpp"
#include "wallet/common/wei.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace paytorrent {

enum class TransferBenchError {
    bad_option = 1,   // a size, increment or count out of range
    io,               // the scratch directory or the test file could not be written
    seeder_failed,    // the seeder process did not start, or said something unexpected
    download_failed,  // a download did not finish, or a paid one did not pay
    cancelled,        // TransferBenchOptions::cancelled said so
};
const std::error_category& transferBenchErrorCategory() noexcept;
inline std::error_code make_error_code(TransferBenchError e) noexcept
{
    return {static_cast<int>(e), transferBenchErrorCategory()};
}

struct TransferBenchOptions {
    std::uint64_t size = std::uint64_t{1} << 30; // of the file transferred (1 GiB)
    // Payment increments measured, in bytes' worth (each at least 16 KiB).
    std::vector<std::uint64_t> increments{16 << 10, 64 << 10, 256 << 10, 1 << 20};
    // The downloader's credit window. A run whose increment is not smaller uses twice the
    // increment (effectiveWindow): with window == increment the buyer pays only once its
    // credit is used up, and the engine can then wait forever (docs/benchmarks.md, "Transfer").
    std::uint64_t creditWindow = 1 << 20;
    // Each round downloads the free torrent, then the paid one at every increment; the
    // figures are medians over the rounds.
    int rounds = 1;
    pt::Wei pricePerMiB{1'000'000'000'000ULL}; // 10^12 wei per MiB: 0.001 ETH per GiB
    // The scratch directory goes in here (removed afterwards); the temporary directory when empty.
    std::filesystem::path directory;
    // The program (argv) that runs runTransferSeeder: `paytorrent-cli bench transfer-seeder`.
    // The benchmark appends the seeder's options and writes the keystore password, then
    // nothing, on its standard input; closing that input tells the seeder to stop.
    std::vector<std::string> seederCommand;
    std::optional<std::filesystem::path> nodeToolsDir; // default: the node's own default
    std::chrono::seconds runTimeout{900};              // one download, start to finish
    // Progress lines for a terminal ("seeding...", "paid 256 KiB: ..."); none when empty.
    std::function<void(const std::string&)> progress;
    // Polled while the benchmark waits (Ctrl-C): true ends it early, with everything it
    // started stopped and its directory removed, and an error.
    std::function<bool()> cancelled;
};

// One configuration (free, or paid at one increment), over the rounds.
struct TransferRun {
    std::uint64_t increment = 0;    // 0: the free torrent
    std::uint64_t creditWindow = 0; // 0: the free torrent
    // download() called -> torrent finished (every piece received and verified), per round.
    std::vector<double> secondsPerRound;
    double seconds = 0;   // median of secondsPerRound
    double mbPerSecond = 0; // size / seconds, in 10^6 bytes per second
    double ratio = 0;     // mbPerSecond / the free run's (1 for the free run)
    // Paid runs: from download() to each step of the first round trip (medians; -1: not seen).
    double channelProposedSeconds = -1; // the channel appears in the ledger (handshake done)
    double channelOpenSeconds = -1;     // the deposit is mined
    double firstPaymentSeconds = -1;    // the first payment is countersigned
    double firstPaidByteSeconds = -1;   // the first paid data is counted (64 KiB: the first notification)
    std::vector<double> firstPaidBytePerRound;
    std::uint64_t payments = 0;         // countersigned payments, last round
    std::uint64_t stops = 0;            // STOP(payment_needed) the buyer received, last round
    PaymentAnswerTimes paymentAnswer;   // each quantile the median over the rounds; count: last round
    pt::Wei paid;                       // paid in the last round, per the closed channel
    std::string channelStatus;          // of that channel after closeChannels ("closed")
    double downloaderCpuSeconds = 0;    // the benchmark process during the download (median)
    double seederCpuSeconds = 0;        // the seeder process during the download (median)
    // The whole machine during the download (/proc/stat, every core): busy core-seconds,
    // the two processes and the kernel work done for them elsewhere; and the busy share of
    // all its cores' time (1: no core was ever idle). Medians; -1 where /proc/stat is missing.
    double machineBusyCoreSeconds = 0;
    double machineBusyShare = 0;
    // Paid runs: what a payment costs, and what that allows (docs/benchmarks.md, "What
    // limits the paid figures"). -1 where it cannot be told (no payment, no CPU figures).
    // The CPU both processes spent beyond the unpaid run's, per payment, in milliseconds.
    double cpuMillisPerPayment = -1;
    // The ratio this run would have if each payment cost only its signatures
    // (TransferBenchReport::signatureMillisPerPayment) and the machine stayed as busy as in
    // the unpaid run, so that time grows with the CPU spent: unpaid CPU / (unpaid CPU +
    // payments x the signatures' time). An estimate, and an upper bound on what any
    // implementation that signs every payment could reach here.
    double signatureBoundRatio = -1;
};

struct TransferBenchReport {
    std::uint64_t size = 0;
    pt::Wei pricePerMiB;
    int rounds = 0;
    std::uint64_t creditWindow = 0; // as asked for (each paid run has the one it used)
    TransferRun unpaid;
    std::vector<TransferRun> paid; // in the order of the options' increments
    // This machine's secp256k1 speed, timed in the benchmark's process after the downloads:
    // per second, and the wall milliseconds of one payment's two signatures and two
    // recoveries (the payer's signature, the seller's recovery and countersignature, the
    // payer's recovery). 0 when no paid run was measured.
    double signaturesPerSecond = 0;
    double recoveriesPerSecond = 0;
    double signatureMillisPerPayment = 0;
    // Median and worst over every paid download.
    double firstPaidByteMedian = 0;
    double firstPaidByteMax = 0;
    // Machine conditions.
    unsigned cores = 0;
    double loadBefore = 0; // 1-minute load average when the benchmark started
    double loadAfter = 0;
    std::string fileSystem; // of the scratch directory
    std::filesystem::path directory;

    static constexpr double ratioGoal256k = 0.95;
    static constexpr double ratioGoal16k = 0.8;
    static constexpr double firstPaidByteGoalSeconds = 1.0;
    // The run at `increment`, if it was measured.
    [[nodiscard]] const TransferRun* paidAt(std::uint64_t increment) const;
};

// The credit window a paid run at `increment` uses: `window` if the increment is smaller,
// else two increments.
[[nodiscard]] std::uint64_t effectiveWindow(std::uint64_t window, std::uint64_t increment) noexcept;

[[nodiscard]] pt::Result<TransferBenchReport> runTransferBench(const TransferBenchOptions& options);
[[nodiscard]] nlohmann::json toJson(const TransferBenchReport& report);

// The seeder side, run in its own process by `seederCommand`.
struct TransferSeederOptions {
    std::filesystem::path dataDir;
    std::string password;
    std::filesystem::path freeFile; // seeded free
    std::filesystem::path paidFile; // seeded at pricePerMiB (the same bytes, another name)
    pt::Wei pricePerMiB;
    std::uint64_t scryptN = 1024;
    std::optional<std::filesystem::path> nodeToolsDir;
};

// Opens a node on the embedded chain (tuned, loopback only), seeds both files, and once both
// seed writes one JSON line to `out`:
//   {"event":"seeding","port":N,"chain":{"rpc","chainId","adjudicator"},
//    "free":{"infoHash","magnet"},"paid":{"infoHash","magnet"}}
// then seeds until keepRunning() returns false (polled every 100 ms).
[[nodiscard]] pt::Status runTransferSeeder(const TransferSeederOptions& options, std::ostream& out,
                                           const std::function<bool()>& keepRunning);

// "1GiB", "256 MiB", "64M", "16KiB", "1048576": binary units (K, M, G with or without "iB"),
// "KB", "MB", "GB" decimal. At most 1 TiB.
[[nodiscard]] pt::Result<std::uint64_t> parseByteSize(const std::string& text);
// "16 KiB", "1 MiB", "1.5 MiB": for tables.
[[nodiscard]] std::string formatByteSize(std::uint64_t bytes);

} // namespace paytorrent

template <>
struct std::is_error_code_enum<paytorrent::TransferBenchError> : std::true_type {};
