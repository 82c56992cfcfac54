#include "wallet/common/wei.hpp"

#include <gtest/gtest.h>

using namespace pt;

TEST(Wei, ParsesDecimalAndHex)
{
    EXPECT_EQ(Wei::parse("1000000000000000000")->toDecimal(), "1000000000000000000");
    EXPECT_EQ(Wei::parse("0x0de0b6b3a7640000")->toDecimal(), "1000000000000000000");
    EXPECT_EQ(Wei::parse("0")->toHex(), "0x0");
    const std::string max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    ASSERT_TRUE(Wei::parse(max));
    EXPECT_EQ(Wei::parse(max)->toHex(), "0x" + std::string(64, 'f'));
}

TEST(Wei, RefusesOutOfRangeAndGarbage)
{
    EXPECT_EQ(Wei::parse("115792089237316195423570985008687907853269984665640564039457584007913129639936").error().code,
              ParseError::out_of_range);
    EXPECT_EQ(Wei::parse("0x1" + std::string(64, '0')).error().code, ParseError::out_of_range);
    EXPECT_EQ(Wei::parse("-1").error().code, ParseError::invalid_number);
    EXPECT_EQ(Wei::parse("1.5").error().code, ParseError::invalid_number);
    EXPECT_EQ(Wei::parse("").error().code, ParseError::invalid_number);
    EXPECT_EQ(Wei::parse("0xzz").error().code, ParseError::invalid_number);
}

TEST(Wei, CheckedArithmetic)
{
    const Wei max(~U256(0));
    EXPECT_FALSE(max.checkedAdd(Wei(1u)));
    EXPECT_FALSE(Wei(1u).checkedSub(Wei(2u)));
    EXPECT_EQ(*Wei(5u).checkedSub(Wei(2u)), Wei(3u));
    EXPECT_THROW((void)(max + Wei(1u)), std::overflow_error);
}

TEST(Wei, WordRoundTrip)
{
    const U256 v("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
    const Bytes32 w = toWord(v);
    EXPECT_EQ(w.bytes[0], 1);
    EXPECT_EQ(w.bytes[31], 0x20);
    EXPECT_EQ(fromWord(w), v);
    // Values with leading zero bytes are right-aligned (big-endian, left-padded).
    for (const U256& x : {U256(0), U256(1), U256(0x1234), U256(1) << 255, ~U256(0), U256(1) << 200}) {
        const Bytes32 word = toWord(x);
        U256 back = 0;
        for (auto b : word.bytes) back = (back << 8) | b;
        EXPECT_EQ(back, x) << x;
        EXPECT_EQ(fromWord(word), x) << x;
    }
    EXPECT_EQ(toWord(U256(0x1234)).bytes[30], 0x12);
    EXPECT_EQ(toWord(U256(0x1234)).bytes[31], 0x34);
    EXPECT_EQ(toWord(U256(0)), Bytes32{});
}

TEST(Wei, Ordering)
{
    EXPECT_LT(Wei(1u), Wei(2u));
    EXPECT_GT(Wei(U256(1) << 200), Wei(std::uint64_t{1} << 63));
    EXPECT_EQ(std::min(Wei(5u), Wei(3u)), Wei(3u));
    EXPECT_TRUE(Wei(7u) >= Wei(7u));
}
