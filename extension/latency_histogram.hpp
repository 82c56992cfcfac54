// Durations in microseconds, recorded on one thread and summarised from any other, with no
// lock: each duration adds one to a bucket. Buckets are log-linear, four to each power of
// two, so a quantile read back is the middle of the bucket it falls in, within an eighth of
// the bucket's lower edge (exact below 4 us). Used for the time a seller takes to answer a
// payment, as the buyer sees it (PeerCounters::paymentAnswer).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace pt::ext {

struct LatencySummary {
    std::uint64_t count = 0;
    double p50Us = 0;
    double p90Us = 0;
    double p99Us = 0;
    double maxUs = 0;
};

class LatencyHistogram {
public:
    // Longer durations are counted as this long (about 12.7 days).
    static constexpr std::uint64_t max_micros = (std::uint64_t{1} << 40) - 1;
    static constexpr std::size_t bucket_count = 4 + 38 * 4; // 0..3 us exactly, then 4 per octave to 2^40

    void record(std::uint64_t micros) noexcept;
    [[nodiscard]] LatencySummary summary() const noexcept;

    // The bucket of a duration, and the durations a bucket holds: [lower, upper).
    [[nodiscard]] static std::size_t bucketOf(std::uint64_t micros) noexcept;
    [[nodiscard]] static std::uint64_t lowerEdge(std::size_t bucket) noexcept;
    [[nodiscard]] static std::uint64_t upperEdge(std::size_t bucket) noexcept;

private:
    std::array<std::atomic<std::uint64_t>, bucket_count> buckets_{};
    std::atomic<std::uint64_t> max_{0};
};

} // namespace pt::ext
