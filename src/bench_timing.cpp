#include "bench_timing.hpp"

#include "wallet/crypto/keccak.hpp"

#include <time.h>

#include <string_view>
#include <system_error>

namespace paytorrent {
namespace {

// Signed digests recovered in turn; signing them all up front costs a few milliseconds.
constexpr std::size_t signed_digests = 64;

// A digest that differs from `base` in its first eight bytes, by `n`.
pt::Hash32 numbered(pt::Hash32 base, std::uint64_t n)
{
    for (std::size_t b = 0; b < 8; ++b) base.bytes[b] = static_cast<std::uint8_t>(n >> (8 * b));
    return base;
}

} // namespace

double processCpuSeconds()
{
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

SignatureTimer::SignatureTimer(pt::PrivateKey key)
    : key_(std::move(key)), digest_(pt::keccak256(std::string_view("paytorrent signature timer")))
{
    for (std::uint64_t i = 0; i < signed_digests; ++i) {
        const pt::Hash32 d = numbered(digest_, i);
        signed_.emplace_back(d, key_.signDigest(d));
    }
}

pt::Result<SignatureTimer> SignatureTimer::create()
{
    auto key = pt::PrivateKey::generate();
    if (!key) return key.error();
    return SignatureTimer(std::move(*key));
}

pt::Status SignatureTimer::measure(std::chrono::duration<double> slice, std::uint64_t maxOps)
{
    using Deadline = std::chrono::steady_clock::time_point;
    std::uint8_t sink = 0; // keeps the signatures from being optimised away
    pt::Status s = measureSlice(sign_, slice, maxOps, [&](std::uint64_t, Deadline) -> pt::Result<std::uint64_t> {
        sink ^= key_.signDigest(numbered(digest_, ++counter_)).r.bytes[0];
        return std::uint64_t{1};
    });
    if (!s) return s;
    (void)sink;
    return measureSlice(recover_, slice, maxOps, [&](std::uint64_t, Deadline) -> pt::Result<std::uint64_t> {
        const auto& [d, sig] = signed_[counter_++ % signed_.size()];
        auto who = pt::recoverAddress(d, sig);
        if (!who || *who != key_.address())
            return pt::Error{std::make_error_code(std::errc::state_not_recoverable), "signature recovery gave another address"};
        return std::uint64_t{1};
    });
}

double SignatureTimer::secondsPerPayment() const noexcept
{
    if (sign_.perSecond() <= 0 || recover_.perSecond() <= 0) return 0;
    return 2 / sign_.perSecond() + 2 / recover_.perSecond();
}

} // namespace paytorrent
