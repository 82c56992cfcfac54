#include "extension/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>

namespace pt::ext {
namespace {

TEST(LatencyHistogram, EmptySummaryIsZero)
{
    const LatencyHistogram h;
    const LatencySummary s = h.summary();
    EXPECT_EQ(s.count, 0u);
    EXPECT_EQ(s.p50Us, 0.0);
    EXPECT_EQ(s.maxUs, 0.0);
}

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGaps)
{
    // Each bucket starts where the one before ends, and every duration lands in the bucket
    // whose edges hold it.
    for (std::size_t b = 1; b < LatencyHistogram::bucket_count; ++b)
        EXPECT_EQ(LatencyHistogram::lowerEdge(b), LatencyHistogram::upperEdge(b - 1)) << "bucket " << b;
    EXPECT_EQ(LatencyHistogram::lowerEdge(0), 0u);
    EXPECT_EQ(LatencyHistogram::upperEdge(LatencyHistogram::bucket_count - 1), LatencyHistogram::max_micros + 1);
    const std::uint64_t samples[] = {0, 1, 3, 4, 5, 7, 8, 1000, 1023, 1024, 123456789, LatencyHistogram::max_micros};
    for (const std::uint64_t v : samples) {
        const std::size_t b = LatencyHistogram::bucketOf(v);
        ASSERT_LT(b, LatencyHistogram::bucket_count) << v;
        EXPECT_LE(LatencyHistogram::lowerEdge(b), v);
        EXPECT_GT(LatencyHistogram::upperEdge(b), v);
        // Four buckets to a power of two: a bucket is at most a quarter of its lower edge wide.
        if (v >= 4) {
            EXPECT_LE(4 * (LatencyHistogram::upperEdge(b) - LatencyHistogram::lowerEdge(b)), LatencyHistogram::lowerEdge(b));
        }
    }
    // Beyond the range counts as the range's end.
    EXPECT_EQ(LatencyHistogram::bucketOf(UINT64_MAX), LatencyHistogram::bucket_count - 1);
}

TEST(LatencyHistogram, QuantilesAreWithinAnEighthAndTheMaxIsExact)
{
    LatencyHistogram h;
    for (int i = 0; i < 900; ++i) h.record(1000);
    for (int i = 0; i < 90; ++i) h.record(5000);
    for (int i = 0; i < 10; ++i) h.record(40000);
    const LatencySummary s = h.summary();
    EXPECT_EQ(s.count, 1000u);
    EXPECT_DOUBLE_EQ(s.maxUs, 40000.0);
    EXPECT_NEAR(s.p50Us, 1000.0, 1000.0 / 8);
    EXPECT_NEAR(s.p90Us, 1000.0, 1000.0 / 8) << "the 900th of 1000 is still 1 ms";
    EXPECT_NEAR(s.p99Us, 5000.0, 5000.0 / 8);
}

TEST(LatencyHistogram, SmallDurationsAreExactAndAQuantileNeverExceedsTheMax)
{
    LatencyHistogram h;
    h.record(0);
    h.record(2);
    h.record(2);
    h.record(3);
    LatencySummary s = h.summary();
    EXPECT_EQ(s.p50Us, 2.0);
    EXPECT_EQ(s.p99Us, 3.0);

    LatencyHistogram one;
    one.record(900); // its bucket is [896, 1024): the middle, 960, is more than was ever recorded
    s = one.summary();
    EXPECT_DOUBLE_EQ(s.p50Us, 900.0);
    EXPECT_DOUBLE_EQ(s.p99Us, 900.0);
}

TEST(LatencyHistogram, ReadsWhileAnotherThreadRecords)
{
    // One writer, one reader: what the reader sees is always a consistent-enough summary
    // (never more counted than recorded, quantiles within the recorded range).
    LatencyHistogram h;
    constexpr int n = 20000;
    std::thread writer([&] {
        for (int i = 0; i < n; ++i) h.record(100 + static_cast<std::uint64_t>(i % 100));
    });
    for (int i = 0; i < 200; ++i) {
        const LatencySummary s = h.summary();
        EXPECT_LE(s.count, static_cast<std::uint64_t>(n));
        if (s.count > 0) {
            EXPECT_GE(s.p50Us, 100.0 - 100.0 / 8);
            EXPECT_LE(s.p99Us, 200.0);
        }
    }
    writer.join();
    EXPECT_EQ(h.summary().count, static_cast<std::uint64_t>(n));
}

} // namespace
} // namespace pt::ext
