#include "wallet/nitro/abi_values.hpp"

#include <gtest/gtest.h>

using namespace pt;
using namespace pt::nitro;

TEST(NitroAbiValues, StructLayoutsGiveTheAdjudicatorSelectors)
{
    // The selectors of ../shared/reference/nitro-0.17.3.md, computed from our struct types:
    // a wrong field order or width would change them.
    const std::string fp = fixedPartType().toString();
    const std::string vp = variablePartType().toString();
    const std::string sig = signatureType().toString();
    EXPECT_EQ(pt::abi::selector("challenge(" + fp + ",uint48," + vp + "[],uint8," + sig + "[],uint8[]," + sig + ")").hex(false),
              "f198bea9");
    EXPECT_EQ(pt::abi::selector("checkpoint(" + fp + ",uint48," + vp + "[],uint8," + sig + "[],uint8[])").hex(false),
              "0149b762");
    EXPECT_EQ(pt::abi::selector("respond(bool[2]," + fp + "," + vp + "[2]," + sig + ")").hex(false), "da4cdf73");
    EXPECT_EQ(pt::abi::selector("conclude(uint48," + fp + ",bytes32,bytes32,uint8,uint8[]," + sig + "[])").hex(false),
              "7ff6a982");
    EXPECT_EQ(pt::abi::selector("concludeAndTransferAllAssets(uint48," + fp + ",bytes32,bytes,uint8,uint8[]," + sig + "[])")
                  .hex(false),
              "e03cdb0c");
}

TEST(NitroAbiValues, ValuesHaveTheStructTypesAndRoundTrip)
{
    State s;
    s.fixed.chainId = 31337;
    s.fixed.participants = {*Address::fromHex("0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a")};
    s.fixed.channelNonce = 9;
    s.fixed.challengeDuration = 86400;
    s.appData = {0xaa};
    s.outcome = {AssetOutcome{Address{}, {{Bytes32{}, Wei(std::uint64_t{1})}}}};

    const pt::abi::Value fp = fixedPartValue(s.fixed);
    EXPECT_EQ(fp.type(), fixedPartType());
    auto back = pt::abi::decodeOne(fixedPartType(), pt::abi::encode({fp}));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, fp);
    EXPECT_EQ(back->items()[2].asUint(), 9);

    const pt::abi::Value vp = variablePartValue(s);
    EXPECT_EQ(vp.type(), variablePartType());
    EXPECT_EQ(vp.items()[0].asBytes(), encodeOutcome(s.outcome));
    EXPECT_EQ(vp.items()[1].asBytes(), s.appData);

    Signature sig;
    sig.v = 28;
    sig.r.bytes[0] = 1;
    const pt::abi::Value sv = signatureValue(sig);
    EXPECT_EQ(sv.type(), signatureType());
    EXPECT_EQ(sv.items()[0].asUint(), 28);
    EXPECT_EQ(sv.items()[1].asBytes32(), sig.r);

    FixedPart tooBig = s.fixed;
    tooBig.channelNonce = max_uint48 + 1;
    EXPECT_THROW((void)fixedPartValue(tooBig), std::invalid_argument);
}
