#include "wallet/crypto/address.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

using namespace pt;

// The examples from EIP-55 itself.
TEST(Address, Eip55Examples)
{
    for (std::string s : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
        auto a = Address::fromHex(s);
        ASSERT_TRUE(a) << s;
        EXPECT_EQ(a->toChecksum(), s);
        std::string lower = s;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        auto fromLower = Address::fromHex(lower);
        ASSERT_TRUE(fromLower);
        EXPECT_EQ(*fromLower, *a);
    }
}

TEST(Address, WrongChecksumIsRefused)
{
    auto a = Address::fromHex("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, ParseError::bad_checksum);
}

TEST(Address, WrongLengthAndBadHexAreRefused)
{
    EXPECT_EQ(Address::fromHex("0x1234").error().code, ParseError::wrong_length);
    EXPECT_EQ(Address::fromHex("0x" + std::string(39, 'a') + "z").error().code, ParseError::invalid_hex);
}

TEST(Address, Bytes32IsLeftPadded)
{
    auto a = Address::fromHex("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->toBytes32().hex(), "0x0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
}
