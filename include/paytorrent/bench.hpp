// Benchmarks the front ends run (`paytorrent-cli bench ...`): each measures one part of the
// node on this machine and returns its figures, as a struct and as JSON.
#pragma once

#include "wallet/common/result.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace paytorrent {

// How many operations ran in how long.
struct BenchRate {
    std::uint64_t operations = 0;
    double seconds = 0;    // wall time
    double cpuSeconds = 0; // CPU time of the process meanwhile: below `seconds` on a busy machine
    [[nodiscard]] double perSecond() const noexcept { return seconds > 0 ? operations / seconds : 0; }
};

struct WalletBenchOptions {
    // Wall time each of the seven measurements gets at most (split over `rounds`).
    std::chrono::duration<double> secondsPerMeasurement{0.6};
    // At most this many operations (signatures, hashes, payments) per measurement; 0: no cap.
    std::uint64_t maxCount = 0;
    // The measurements run in this many interleaved rounds, so that a change of load on a
    // shared machine hits the crypto limit and the payment rates alike.
    int rounds = 2;
    // Payments per batch: one payment on each of this many channels. The inline durable run
    // commits each batch alone; the pipelined one commits together the batches that queued
    // up while the previous commit ran. Each payment is acknowledged after its commit.
    std::size_t groupCommit = 64;
    // Where the benchmark database goes (a fresh directory inside it, removed afterwards);
    // the system's temporary directory when empty. Its file system decides what fsync costs.
    std::filesystem::path directory;
};

struct WalletBenchReport {
    BenchRate sign;      // secp256k1 recoverable signatures of a 32-byte digest
    BenchRate recover;   // public key recovery + address from a signature and digest
    BenchRate keccak;    // Keccak-256 of 32 bytes (one permutation)
    BenchRate stateHash; // ethSignedMessageDigest(stateHash) of a payment channel state
    // Payments per second the signatures alone allow: 1 / (2 t_sign + 2 t_recover).
    double cryptoLimit = 0;

    // Countersigned payments end to end: the payer signs; the beneficiary validates,
    // countersigns and persists; the payer verifies the countersignature.
    BenchRate memory;  // persisted into memory
    // Persisted into SQLite (WAL, synchronous=FULL) in group commits of `groupCommit`
    // payments on a commit thread, while this thread signs the next batches (of other
    // channels); each payment acknowledged only after its commit returned.
    BenchRate durable;
    // The same with the commit on the signing thread: sign, commit, acknowledge, repeat.
    BenchRate durableInline;
    double memoryRatio = 0;        // memory.perSecond() / cryptoLimit
    double durableRatio = 0;       // durable.perSecond() / cryptoLimit
    double durableInlineRatio = 0; // durableInline.perSecond() / cryptoLimit
    std::uint64_t commits = 0;     // transactions committed by `durable`
    double commitMillisMean = 0;   // mean wall time of one commit() (its fsync) in `durable`
    double paymentsPerCommitMean = 0; // in `durable`: batches that queue up share a commit
    double writeMicrosPerPayment = 0; // wall time writing one payment's rows before the commit
    std::size_t pipelineDepth = 0; // batches `durable` keeps in flight at most
    std::size_t channels = 0;      // channels `durable` pays round-robin (pipelineDepth x groupCommit)
    std::size_t groupCommit = 0;
    std::string storageDirectory;
    std::string storageFileSystem; // "ext4", "tmpfs" (where fsync costs nothing), ...

    static constexpr double memoryGoal = 0.8;
    static constexpr double durableGoal = 0.5;
};

// Runs the wallet benchmark. Fails only when the benchmark database cannot be created or
// written.
[[nodiscard]] pt::Result<WalletBenchReport> runWalletBench(const WalletBenchOptions& options);

[[nodiscard]] nlohmann::json toJson(const WalletBenchReport& report);

} // namespace paytorrent
