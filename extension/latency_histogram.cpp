#include "extension/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace pt::ext {

std::size_t LatencyHistogram::bucketOf(std::uint64_t micros) noexcept
{
    micros = std::min(micros, max_micros);
    if (micros < 4) return static_cast<std::size_t>(micros);
    const int octave = std::bit_width(micros) - 1; // 2..39
    const std::uint64_t quarter = (micros >> (octave - 2)) & 3;
    return 4 + static_cast<std::size_t>(octave - 2) * 4 + static_cast<std::size_t>(quarter);
}

std::uint64_t LatencyHistogram::lowerEdge(std::size_t bucket) noexcept
{
    if (bucket < 4) return bucket;
    const std::size_t octave = (bucket - 4) / 4 + 2;
    const std::uint64_t quarter = (bucket - 4) % 4;
    return (4 + quarter) << (octave - 2);
}

std::uint64_t LatencyHistogram::upperEdge(std::size_t bucket) noexcept
{
    if (bucket < 4) return bucket + 1;
    const std::size_t octave = (bucket - 4) / 4 + 2;
    const std::uint64_t quarter = (bucket - 4) % 4;
    return (5 + quarter) << (octave - 2);
}

void LatencyHistogram::record(std::uint64_t micros) noexcept
{
    micros = std::min(micros, max_micros);
    // One writer: a plain compare is enough. The max goes first, so that a reader never sees
    // a counted duration above the max it reads.
    if (micros > max_.load(std::memory_order_relaxed)) max_.store(micros, std::memory_order_release);
    buckets_[bucketOf(micros)].fetch_add(1, std::memory_order_release);
}

LatencySummary LatencyHistogram::summary() const noexcept
{
    std::array<std::uint64_t, bucket_count> counts{};
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) n += counts[i] = buckets_[i].load(std::memory_order_acquire);
    LatencySummary s;
    if (n == 0) return s;
    s.count = n;
    s.maxUs = static_cast<double>(max_.load(std::memory_order_acquire));
    const auto quantile = [&](double q) {
        const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += counts[i];
            if (seen >= std::max<std::uint64_t>(rank, 1)) {
                if (i < 4) return static_cast<double>(i); // exact
                const double mid = (static_cast<double>(lowerEdge(i)) + static_cast<double>(upperEdge(i))) / 2;
                return std::min(mid, s.maxUs);
            }
        }
        return s.maxUs;
    };
    s.p50Us = quantile(0.50);
    s.p90Us = quantile(0.90);
    s.p99Us = quantile(0.99);
    return s;
}

} // namespace pt::ext
