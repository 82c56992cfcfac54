#include "wallet/common/bytes.hpp"

#include <gtest/gtest.h>

using namespace pt;

TEST(Hex, RoundTrip)
{
    const Bytes b{0x00, 0x01, 0xab, 0xff};
    EXPECT_EQ(toHex(b), "0x0001abff");
    EXPECT_EQ(toHex(b, false), "0001abff");
    EXPECT_EQ(*fromHex("0x0001ABff"), b);
    EXPECT_EQ(*fromHex("0001abff"), b);
    EXPECT_TRUE(fromHex("0x")->empty());
}

TEST(Hex, RefusesOddAndNonHex)
{
    EXPECT_EQ(fromHex("0x123").error().code, ParseError::invalid_hex);
    EXPECT_EQ(fromHex("0xgg").error().code, ParseError::invalid_hex);
}

TEST(FixedBytes, LengthIsChecked)
{
    EXPECT_EQ(Bytes32::fromHex("0x00").error().code, ParseError::wrong_length);
    auto h = Bytes32::fromHex(std::string(64, 'a'));
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->isZero());
    EXPECT_TRUE(Bytes32{}.isZero());
}
