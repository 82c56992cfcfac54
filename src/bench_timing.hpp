// Timing shared by the benchmarks (internal to pt_core): the process's CPU time, timed
// slices of a measurement, and the cost of a countersigned payment's signatures on this
// machine (the wallet benchmark's crypto limit, and the transfer benchmark's floor).
#pragma once

#include "paytorrent/bench.hpp"

#include "wallet/common/result.hpp"
#include "wallet/crypto/signer.hpp"

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

namespace paytorrent {

// CPU time of this process (all its threads), in seconds.
[[nodiscard]] double processCpuSeconds();

// One slice of a measurement: runs `step(limit, deadline)` (which does at most `limit`
// operations and returns how many it did) until the slice's time or operation budget
// (`maxOps`, 0: none) is spent, and adds what it did, the wall time and the CPU time to `rate`.
template <class Step>
pt::Status measureSlice(BenchRate& rate, std::chrono::duration<double> budget, std::uint64_t maxOps, Step&& step)
{
    using Clock = std::chrono::steady_clock;
    const double cpuStart = processCpuSeconds();
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(budget);
    std::uint64_t done = 0;
    do {
        const std::uint64_t limit = maxOps ? maxOps - done : ~std::uint64_t{0};
        auto did = step(limit, deadline);
        if (!did) return did.error();
        done += *did;
    } while ((maxOps == 0 || done < maxOps) && Clock::now() < deadline);
    rate.operations += done;
    rate.seconds += std::chrono::duration<double>(Clock::now() - start).count();
    rate.cpuSeconds += processCpuSeconds() - cpuStart;
    return {};
}

// Times secp256k1 recoverable signatures of 32-byte digests, and recoveries of the signer's
// address from them, on the calling thread. A countersigned payment needs two of each: the
// payer signs, the seller recovers that and signs the same state, the payer recovers the
// countersignature.
class SignatureTimer {
public:
    [[nodiscard]] static pt::Result<SignatureTimer> create();

    // One slice of signatures, then one of recoveries, each `slice` long and at most
    // `maxOps` operations (0: no cap), added to the rates below. Fails only if a recovery
    // gives another address than the key's.
    [[nodiscard]] pt::Status measure(std::chrono::duration<double> slice, std::uint64_t maxOps);

    [[nodiscard]] const BenchRate& sign() const noexcept { return sign_; }
    [[nodiscard]] const BenchRate& recover() const noexcept { return recover_; }
    // Wall seconds of one payment's signatures: 2 t_sign + 2 t_recover (0 before measure()).
    [[nodiscard]] double secondsPerPayment() const noexcept;

private:
    explicit SignatureTimer(pt::PrivateKey key);

    pt::PrivateKey key_;
    pt::Hash32 digest_;
    std::vector<std::pair<pt::Hash32, pt::Signature>> signed_; // recovered in turn
    std::uint64_t counter_ = 0;
    BenchRate sign_;
    BenchRate recover_;
};

} // namespace paytorrent
