// Known encodings from the Solidity ABI specification, and selectors from nitro-protocol.
#include "wallet/abi/abi.hpp"

#include <gtest/gtest.h>

using namespace pt;
using namespace pt::abi;

namespace {

std::string hexOf(const Bytes& b)
{
    return toHex(b, false);
}

Bytes ascii(std::string_view s)
{
    return Bytes(s.begin(), s.end());
}

std::string words(std::initializer_list<const char*> ws)
{
    std::string out;
    for (auto w : ws) out += w;
    return out;
}

} // namespace

TEST(AbiEncode, SolidityDocsBaz)
{
    const Bytes call = encodeCall("baz(uint32,bool)", {Value::uint(69, 32), Value::boolean(true)});
    EXPECT_EQ(hexOf(call), words({"cdcd77c0",
                                  "0000000000000000000000000000000000000000000000000000000000000045",
                                  "0000000000000000000000000000000000000000000000000000000000000001"}));
}

TEST(AbiEncode, SolidityDocsBar)
{
    const Bytes abc = ascii("abc"), def = ascii("def");
    const Bytes call = encodeCall("bar(bytes3[2])", {Value::fixedArray(Type::fixedBytes(3), {Value::fixedBytes(abc),
                                                                                              Value::fixedBytes(def)})});
    EXPECT_EQ(hexOf(call), words({"fce353f6",
                                  "6162630000000000000000000000000000000000000000000000000000000000",
                                  "6465660000000000000000000000000000000000000000000000000000000000"}));
}

TEST(AbiEncode, SolidityDocsSam)
{
    const Bytes call = encodeCall("sam(bytes,bool,uint256[])",
                                  {Value::bytes(ascii("dave")), Value::boolean(true),
                                   Value::array(Type::uint(), {Value::uint(1), Value::uint(2), Value::uint(3)})});
    EXPECT_EQ(hexOf(call), words({"a5643bf2",
                                  "0000000000000000000000000000000000000000000000000000000000000060",
                                  "0000000000000000000000000000000000000000000000000000000000000001",
                                  "00000000000000000000000000000000000000000000000000000000000000a0",
                                  "0000000000000000000000000000000000000000000000000000000000000004",
                                  "6461766500000000000000000000000000000000000000000000000000000000",
                                  "0000000000000000000000000000000000000000000000000000000000000003",
                                  "0000000000000000000000000000000000000000000000000000000000000001",
                                  "0000000000000000000000000000000000000000000000000000000000000002",
                                  "0000000000000000000000000000000000000000000000000000000000000003"}));
}

TEST(AbiEncode, SolidityDocsF)
{
    const Bytes call = encodeCall(
        "f(uint256,uint32[],bytes10,bytes)",
        {Value::uint(0x123), Value::array(Type::uint(32), {Value::uint(0x456, 32), Value::uint(0x789, 32)}),
         Value::fixedBytes(ascii("1234567890")), Value::bytes(ascii("Hello, world!"))});
    EXPECT_EQ(hexOf(call), words({"8be65246",
                                  "0000000000000000000000000000000000000000000000000000000000000123",
                                  "0000000000000000000000000000000000000000000000000000000000000080",
                                  "3132333435363738393000000000000000000000000000000000000000000000",
                                  "00000000000000000000000000000000000000000000000000000000000000e0",
                                  "0000000000000000000000000000000000000000000000000000000000000002",
                                  "0000000000000000000000000000000000000000000000000000000000000456",
                                  "0000000000000000000000000000000000000000000000000000000000000789",
                                  "000000000000000000000000000000000000000000000000000000000000000d",
                                  "48656c6c6f2c20776f726c642100000000000000000000000000000000000000"}));
}

TEST(AbiEncode, SolidityDocsG)
{
    const Type uints = Type::array(Type::uint());
    const Value nested = Value::array(uints, {Value::array(Type::uint(), {Value::uint(1), Value::uint(2)}),
                                              Value::array(Type::uint(), {Value::uint(3)})});
    const Value strings =
        Value::array(Type::string(), {Value::string("one"), Value::string("two"), Value::string("three")});
    const Bytes call = encodeCall("g(uint256[][],string[])", {nested, strings});
    EXPECT_EQ(hexOf(call), words({"2289b18c",
                                  "0000000000000000000000000000000000000000000000000000000000000040",
                                  "0000000000000000000000000000000000000000000000000000000000000140",
                                  "0000000000000000000000000000000000000000000000000000000000000002",
                                  "0000000000000000000000000000000000000000000000000000000000000040",
                                  "00000000000000000000000000000000000000000000000000000000000000a0",
                                  "0000000000000000000000000000000000000000000000000000000000000002",
                                  "0000000000000000000000000000000000000000000000000000000000000001",
                                  "0000000000000000000000000000000000000000000000000000000000000002",
                                  "0000000000000000000000000000000000000000000000000000000000000001",
                                  "0000000000000000000000000000000000000000000000000000000000000003",
                                  "0000000000000000000000000000000000000000000000000000000000000003",
                                  "0000000000000000000000000000000000000000000000000000000000000060",
                                  "00000000000000000000000000000000000000000000000000000000000000a0",
                                  "00000000000000000000000000000000000000000000000000000000000000e0",
                                  "0000000000000000000000000000000000000000000000000000000000000003",
                                  "6f6e650000000000000000000000000000000000000000000000000000000000",
                                  "0000000000000000000000000000000000000000000000000000000000000003",
                                  "74776f0000000000000000000000000000000000000000000000000000000000",
                                  "0000000000000000000000000000000000000000000000000000000000000005",
                                  "7468726565000000000000000000000000000000000000000000000000000000"}));
}

TEST(AbiEncode, SignedIntegersAreTwosComplement)
{
    EXPECT_EQ(hexOf(encode({Value::int_(-1, 8)})), std::string(64, 'f'));
    EXPECT_EQ(hexOf(encode({Value::int_(-128, 8)})), std::string(62, 'f') + "80");
    EXPECT_EQ(hexOf(encode({Value::int_(127, 8)})), std::string(62, '0') + "7f");
    EXPECT_THROW((void)Value::int_(128, 8), std::invalid_argument);
    EXPECT_THROW((void)Value::int_(-129, 8), std::invalid_argument);
}

TEST(AbiEncode, AddressIsLeftPaddedAndEmptyArraysAreOneWord)
{
    auto a = Address::fromHex("0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
    ASSERT_TRUE(a);
    EXPECT_EQ(hexOf(encode({Value::address(*a)})), std::string(24, '0') + "19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
    EXPECT_EQ(hexOf(encode({Value::array(Type::address(), {})})),
              words({"0000000000000000000000000000000000000000000000000000000000000020",
                     "0000000000000000000000000000000000000000000000000000000000000000"}));
    EXPECT_EQ(hexOf(encode({Value::bytes({})})),
              words({"0000000000000000000000000000000000000000000000000000000000000020",
                     "0000000000000000000000000000000000000000000000000000000000000000"}));
    EXPECT_TRUE(encode({}).empty());
}

TEST(AbiEncode, ValueFactoriesCheckRangesAndTypes)
{
    EXPECT_THROW((void)Value::uint(256, 8), std::invalid_argument);
    EXPECT_NO_THROW((void)Value::uint(255, 8));
    EXPECT_NO_THROW((void)Value::uint(~U256(0), 256));
    EXPECT_THROW((void)Value::array(Type::uint(), {Value::boolean(true)}), std::invalid_argument);
    EXPECT_THROW((void)Value::fixedBytes(Bytes(33)), std::invalid_argument);
    EXPECT_THROW((void)Value::boolean(true).asUint(), std::logic_error);
}

TEST(AbiEncode, EncodeCallChecksTheSignatureAgainstTheValues)
{
    EXPECT_THROW((void)encodeCall("baz(uint32,bool)", {Value::uint(69), Value::boolean(true)}), std::invalid_argument);
    EXPECT_THROW((void)encodeCall("baz(uint32,bool)", {Value::uint(69, 32)}), std::invalid_argument);
    EXPECT_THROW((void)encodeCall("baz uint32", {}), std::invalid_argument);
    // "uint" is uint256 in the selector, as solc and ethers compute it.
    EXPECT_EQ(encodeCall("f(uint)", {Value::uint(1)}), encodeCall("f(uint256)", {Value::uint(1)}));
    EXPECT_EQ(*canonicalSignature("f(uint, (address a, bytes b)[] xs)"), "f(uint256,(address,bytes)[])");
}

TEST(AbiEncode, SelectorsOfTheNitroAdjudicator)
{
    // The table of ../shared/reference/nitro-0.17.3.md.
    EXPECT_EQ(selector("deposit(address,bytes32,uint256,uint256)").hex(false), "2fb1d270");
    EXPECT_EQ(selector("holdings(address,bytes32)").hex(false), "166e56cd");
    EXPECT_EQ(selector("unpackStatus(bytes32)").hex(false), "552cfa50");
    EXPECT_EQ(selector("transferAllAssets(bytes32,bytes,bytes32)").hex(false), "6c365522");
    EXPECT_EQ(selector("challenge((uint256,address[],uint48,address,uint48),uint48,(bytes,bytes)[],uint8,"
                       "(uint8,bytes32,bytes32)[],uint8[],(uint8,bytes32,bytes32))")
                  .hex(false),
              "f198bea9");
    EXPECT_EQ(selector("checkpoint((uint256,address[],uint48,address,uint48),uint48,(bytes,bytes)[],uint8,"
                       "(uint8,bytes32,bytes32)[],uint8[])")
                  .hex(false),
              "0149b762");
    EXPECT_EQ(selector("transfer(address,uint256)").hex(false), "a9059cbb");
}
