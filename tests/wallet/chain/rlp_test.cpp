// RLP against the examples of the Ethereum RLP specification
// (https://ethereum.org/en/developers/docs/data-structures-and-encoding/rlp/).
#include "wallet/chain/rlp.hpp"

#include <gtest/gtest.h>

namespace pt::rlp {
namespace {

Bytes bytesOf(std::string_view s)
{
    return Bytes(s.begin(), s.end());
}

Bytes hex(std::string_view h)
{
    return fromHex(h).value();
}

TEST(Rlp, EncodesSpecExamples)
{
    EXPECT_EQ(encodeString(bytesOf("dog")), hex("83646f67"));
    EXPECT_EQ(encodeList({encodeString(bytesOf("cat")), encodeString(bytesOf("dog"))}), hex("c88363617483646f67"));
    EXPECT_EQ(encodeString({}), hex("80"));
    EXPECT_EQ(encodeList({}), hex("c0"));
    EXPECT_EQ(encodeUint(0), hex("80"));
    EXPECT_EQ(encodeString(hex("00")), hex("00"));
    EXPECT_EQ(encodeString(hex("0f")), hex("0f"));
    EXPECT_EQ(encodeString(hex("0400")), hex("820400"));
    EXPECT_EQ(encodeUint(15), hex("0f"));
    EXPECT_EQ(encodeUint(1024), hex("820400"));
    EXPECT_EQ(encodeUint(0x80), hex("8180"));
    // The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ]
    const Item three = Item::list({Item::list({}), Item::list({Item::list({})}),
                                   Item::list({Item::list({}), Item::list({Item::list({})})})});
    EXPECT_EQ(encode(three), hex("c7c0c1c0c3c0c1c0"));
    const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    Bytes expected = hex("b838");
    expected.insert(expected.end(), lorem.begin(), lorem.end());
    EXPECT_EQ(encodeString(bytesOf(lorem)), expected);
}

TEST(Rlp, EncodesLongListsAndLargeIntegers)
{
    // A 56-byte payload list takes the long form: 0xf8 0x38.
    std::vector<Bytes> items(56, encodeString(hex("01")));
    const Bytes list = encodeList(items);
    ASSERT_EQ(list.size(), 58u);
    EXPECT_EQ(list[0], 0xf8);
    EXPECT_EQ(list[1], 0x38);
    // 2^256 - 1: 32 bytes of 0xff behind 0xa0.
    const U256 max = ~U256(0);
    const Bytes enc = encodeUint(max);
    ASSERT_EQ(enc.size(), 33u);
    EXPECT_EQ(enc[0], 0xa0);
    EXPECT_EQ(enc[32], 0xff);
    // A 1024-byte string: 0xb9 0x04 0x00 and the bytes.
    const Bytes big(1024, 0xaa);
    const Bytes encBig = encodeString(big);
    EXPECT_EQ(Bytes(encBig.begin(), encBig.begin() + 3), hex("b90400"));
}

TEST(Rlp, DecodesWhatItEncodes)
{
    const Item nested = Item::list({Item::uint(1024), Item::string(bytesOf("dog")),
                                    Item::list({Item::string({}), Item::list({}), Item::string(Bytes(100, 7))})});
    auto back = decode(encode(nested));
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, nested);
    auto n = toUint(back->items[0]);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 1024);
}

TEST(Rlp, RejectsNonCanonicalAndTruncatedInput)
{
    // A single byte below 0x80 must be itself, not 0x81 0x05.
    EXPECT_EQ(decode(hex("8105")).error().code, RlpError::non_canonical);
    // The long form for a 3-byte string.
    EXPECT_EQ(decode(hex("b803646f67")).error().code, RlpError::non_canonical);
    // A length of length with a leading zero.
    EXPECT_EQ(decode(hex("b90038")).error().code, RlpError::non_canonical);
    EXPECT_EQ(decode(hex("83646f")).error().code, RlpError::truncated);
    EXPECT_EQ(decode(hex("c883636174")).error().code, RlpError::truncated);
    EXPECT_EQ(decode(hex("")).error().code, RlpError::truncated);
    EXPECT_EQ(decode(hex("83646f6700")).error().code, RlpError::trailing_bytes);
    // A length prefix claiming 4 GiB.
    EXPECT_EQ(decode(hex("bbffffffff00")).error().code, RlpError::too_large);
    // A list whose inner item claims more than the list holds.
    EXPECT_EQ(decode(hex("c283646f67")).error().code, RlpError::truncated);
    // Integers: leading zeros and over 32 bytes.
    EXPECT_EQ(toUint(Item::string(hex("0001"))).error().code, RlpError::integer_too_large);
    EXPECT_EQ(toUint(Item::string(Bytes(33, 1))).error().code, RlpError::integer_too_large);
    EXPECT_EQ(toUint(Item::list({})).error().code, RlpError::not_a_string);
}

TEST(Rlp, BoundsNestingDepth)
{
    // max_depth + 2 nested lists, built from the inside out.
    Item item = Item::list({});
    for (std::size_t i = 0; i < max_depth + 1; ++i) item = Item::list({item});
    EXPECT_EQ(decode(encode(item)).error().code, RlpError::too_deep);
    Item ok = Item::list({});
    for (std::size_t i = 0; i < max_depth - 1; ++i) ok = Item::list({ok});
    EXPECT_TRUE(decode(encode(ok)));
}

} // namespace
} // namespace pt::rlp
