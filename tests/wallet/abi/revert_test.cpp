#include "wallet/abi/abi.hpp"

#include <gtest/gtest.h>

using namespace pt;
using namespace pt::abi;

TEST(AbiRevert, DecodesTheSolidityDocsErrorString)
{
    // From the Solidity docs: revert("Not enough Ether provided.").
    auto data = fromHex("08c379a0"
                        "0000000000000000000000000000000000000000000000000000000000000020"
                        "000000000000000000000000000000000000000000000000000000000000001a"
                        "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000");
    ASSERT_TRUE(data);
    auto reason = decodeRevertReason(*data);
    ASSERT_TRUE(reason) << reason.error().describe();
    EXPECT_EQ(*reason, "Not enough Ether provided.");
    EXPECT_EQ(describeRevert(*data), "reverted: Not enough Ether provided.");
    EXPECT_EQ(selector("Error(string)").hex(false), "08c379a0");
}

TEST(AbiRevert, RoundTripsAndReportsOtherPayloads)
{
    Bytes payload = encodeCall("Error(string)", {Value::string("Incorrect chainId")});
    EXPECT_EQ(*decodeRevertReason(payload), "Incorrect chainId");

    auto none = decodeRevertReason({});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, make_error_code(AbiError::not_revert));
    EXPECT_EQ(describeRevert({}), "reverted without a reason");

    Bytes panic = encodeCall("Panic(uint256)", {Value::uint(0x11)});
    EXPECT_FALSE(decodeRevertReason(panic));
    EXPECT_EQ(describeRevert(panic), "reverted with Panic(0x11)");

    Bytes custom = {0xde, 0xad, 0xbe, 0xef, 1, 2};
    EXPECT_EQ(describeRevert(custom), "reverted with data 0xdeadbeef (6 bytes)");

    Bytes truncated(payload.begin(), payload.begin() + 40);
    auto bad = decodeRevertReason(truncated);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().code, make_error_code(AbiError::not_revert));
    EXPECT_NE(describeRevert(truncated).find("malformed"), std::string::npos);
}

TEST(AbiRevert, EscapesUnprintableReasons)
{
    Bytes payload = encodeCall("Error(string)", {Value::string(std::string("bad\nline\x01", 9))});
    EXPECT_EQ(describeRevert(payload), "reverted: bad\\x0aline\\x01");
}
