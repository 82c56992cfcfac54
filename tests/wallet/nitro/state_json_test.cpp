#include "wallet/nitro/state_json.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace pt;
using namespace pt::nitro;
using nlohmann::json;

namespace {

json validJson()
{
    return json::parse(R"({
      "channel": {"chainId": "1",
                  "participants": ["0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
                                   "0x1563915e194d8cfba1943570603f7606a3115508"],
                  "channelNonce": "670976"},
      "turnNum": 1344, "isFinal": false, "challengeDuration": 60,
      "appDefinition": "0xCdCDCdCdcdcdcdCdcDcDCdcDcDCdCdcdCdcDCDcD",
      "appData": "0x70617930",
      "outcome": [{"asset": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
                   "allocationItems": [
                     {"destination": "0x00000000000000000000000019e7e376e7c213b7e7e7e46cc70a5dd086daff2a",
                      "amount": "0x06690c988a7a0000"},
                     {"destination": "0x0000000000000000000000001563915e194d8cfba1943570603f7606a3115508",
                      "amount": "329000000000000000"}]}]})");
}

void expectError(const json& j, StateJsonError code, const std::string& pathInMessage)
{
    auto s = parseStateJson(j.dump());
    ASSERT_FALSE(s) << j.dump();
    EXPECT_EQ(s.error().code, make_error_code(code)) << s.error().describe();
    EXPECT_NE(s.error().message.find(pathInMessage), std::string::npos)
        << "'" << s.error().message << "' does not name " << pathInMessage;
}

} // namespace

TEST(NitroStateJson, ParsesTheReferenceShape)
{
    auto s = parseStateJson(validJson().dump());
    ASSERT_TRUE(s) << s.error().describe();
    EXPECT_EQ(s->fixed.chainId, 1);
    ASSERT_EQ(s->fixed.participants.size(), 2u);
    EXPECT_EQ(s->fixed.participants[1].hex(), "0x1563915e194d8cfba1943570603f7606a3115508");
    EXPECT_EQ(s->fixed.channelNonce, 670976u);
    EXPECT_EQ(s->turnNum, 1344u);
    EXPECT_FALSE(s->isFinal);
    EXPECT_EQ(s->fixed.challengeDuration, 60u);
    EXPECT_EQ(s->appData, Bytes({0x70, 0x61, 0x79, 0x30}));
    ASSERT_EQ(s->outcome.size(), 1u);
    ASSERT_EQ(s->outcome[0].allocationItems.size(), 2u);
    EXPECT_EQ(s->outcome[0].allocationItems[0].amount, Wei(std::uint64_t{0x06690c988a7a0000}));
    EXPECT_EQ(s->outcome[0].allocationItems[1].amount, Wei(std::uint64_t{329000000000000000}));
}

TEST(NitroStateJson, PrintThenParseIsIdentity)
{
    auto s = parseStateJson(validJson().dump());
    ASSERT_TRUE(s);
    s->fixed.chainId = ~U256(0);
    s->outcome[0].allocationItems[0].amount = Wei(~U256(0));
    const std::string printed = printStateJson(*s);
    auto back = parseStateJson(printed);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, *s);
    const json j = json::parse(printed);
    EXPECT_EQ(j["channel"]["participants"][0], "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"); // EIP-55
    EXPECT_TRUE(j["turnNum"].is_number());
    EXPECT_TRUE(j["channel"]["chainId"].is_string());
}

TEST(NitroStateJson, IntegersAsNumbersOrDecimalStrings)
{
    json j = validJson();
    j["channel"]["chainId"] = 31337;
    j["channel"]["channelNonce"] = 5;
    j["turnNum"] = "281474976710655"; // 2^48 - 1
    j["challengeDuration"] = "86400";
    auto s = parseStateJson(j.dump());
    ASSERT_TRUE(s) << s.error().describe();
    EXPECT_EQ(s->fixed.chainId, 31337);
    EXPECT_EQ(s->turnNum, max_uint48);
    EXPECT_EQ(s->fixed.challengeDuration, 86400u);
}

TEST(NitroStateJson, MissingFieldsNameTheField)
{
    for (const char* f : {"channel", "turnNum", "isFinal", "challengeDuration", "appDefinition", "appData", "outcome"}) {
        json j = validJson();
        j.erase(f);
        expectError(j, StateJsonError::missing_field, f);
    }
    for (const char* f : {"chainId", "participants", "channelNonce"}) {
        json j = validJson();
        j["channel"].erase(f);
        expectError(j, StateJsonError::missing_field, std::string("channel.") + f);
    }
    json j = validJson();
    j["outcome"][0]["allocationItems"][1].erase("amount");
    expectError(j, StateJsonError::missing_field, "outcome[0].allocationItems[1].amount");
    j = validJson();
    j["outcome"][0].erase("asset");
    expectError(j, StateJsonError::missing_field, "outcome[0].asset");
}

TEST(NitroStateJson, WrongTypesAreRefused)
{
    json j = validJson();
    j["isFinal"] = "false";
    expectError(j, StateJsonError::wrong_type, "isFinal");
    j = validJson();
    j["turnNum"] = 1.5;
    expectError(j, StateJsonError::wrong_type, "turnNum");
    j = validJson();
    j["turnNum"] = "12abc";
    expectError(j, StateJsonError::wrong_type, "turnNum");
    j = validJson();
    j["channel"]["participants"] = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A";
    expectError(j, StateJsonError::wrong_type, "channel.participants");
    j = validJson();
    j["outcome"][0]["allocationItems"][0]["amount"] = 5; // amounts are strings
    expectError(j, StateJsonError::wrong_type, "outcome[0].allocationItems[0].amount");
    j = validJson();
    j["outcome"] = json::object();
    expectError(j, StateJsonError::wrong_type, "outcome");
    j = validJson();
    j["outcome"][0] = {{"asset", "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"},
                       {"guarantee", {{"targetChannelId", "0x00"}, {"destinations", json::array()}}}};
    expectError(j, StateJsonError::wrong_type, "guarantee");
    expectError(json::array(), StateJsonError::wrong_type, "state");
}

TEST(NitroStateJson, OutOfRangeNumbersAreRefused)
{
    json j = validJson();
    j["turnNum"] = 281474976710656ull; // 2^48
    expectError(j, StateJsonError::out_of_range, "turnNum");
    j = validJson();
    j["channel"]["channelNonce"] = "281474976710656";
    expectError(j, StateJsonError::out_of_range, "channel.channelNonce");
    j = validJson();
    j["challengeDuration"] = -1;
    expectError(j, StateJsonError::out_of_range, "challengeDuration");
    j = validJson();
    j["channel"]["chainId"] = "115792089237316195423570985008687907853269984665640564039457584007913129639936"; // 2^256
    expectError(j, StateJsonError::out_of_range, "channel.chainId");
    j = validJson();
    j["outcome"][0]["allocationItems"][0]["amount"] = "0x1" + std::string(64, '0');
    expectError(j, StateJsonError::out_of_range, "amount");
    j = validJson();
    j["channel"]["participants"] = json::array();
    for (int i = 0; i < 256; ++i) j["channel"]["participants"].push_back("0x1563915e194d8cfba1943570603f7606a3115508");
    expectError(j, StateJsonError::out_of_range, "channel.participants");
}

TEST(NitroStateJson, BadHexAndAddressesAreRefused)
{
    json j = validJson();
    j["appData"] = "0x123";
    expectError(j, StateJsonError::bad_hex, "appData");
    j = validJson();
    j["appData"] = "7061";
    expectError(j, StateJsonError::bad_hex, "appData");
    j = validJson();
    j["appData"] = "0xzz";
    expectError(j, StateJsonError::bad_hex, "appData");
    j = validJson();
    j["outcome"][0]["allocationItems"][0]["destination"] = "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a";
    expectError(j, StateJsonError::bad_hex, "outcome[0].allocationItems[0].destination");
    j = validJson();
    j["appDefinition"] = "0x1234";
    expectError(j, StateJsonError::bad_address, "appDefinition");
    j = validJson();
    // One letter's case flipped: a mixed-case address whose checksum fails.
    j["channel"]["participants"][0] = "0x19e7E376E7C213B7E7e7e46cc70A5dD086DAff2A";
    expectError(j, StateJsonError::bad_address, "channel.participants[0]");
    j = validJson();
    j["outcome"][0]["asset"] = 0;
    expectError(j, StateJsonError::wrong_type, "outcome[0].asset");
}

TEST(NitroStateJson, RefusesInvalidOversizeAndDeepInput)
{
    for (std::string bad : {"", "{", "not json", "{\"channel\":}", "[1,2"}) {
        auto s = parseStateJson(bad);
        ASSERT_FALSE(s) << bad;
        EXPECT_EQ(s.error().code, make_error_code(StateJsonError::invalid_json));
    }
    std::string big = validJson().dump();
    big.insert(1, std::string(max_state_json, ' '));
    auto s = parseStateJson(big);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, make_error_code(StateJsonError::too_large));

    std::string deep(100000, '[');
    auto d = parseStateJson(deep);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, make_error_code(StateJsonError::too_large));

    // Brackets inside strings do not count as nesting.
    json j = validJson();
    j["comment"] = std::string(1000, '[');
    EXPECT_TRUE(parseStateJson(j.dump()));
}

TEST(NitroStateJson, NeverCrashesOnMutatedInput)
{
    std::mt19937_64 rng(5);
    const std::string good = validJson().dump();
    const std::string alphabet = "{}[]\",:0123456789abcdefxX-. \\ntrufalsn";
    std::size_t ok = 0, refused = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string text = good;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % text.size();
            switch (rng() % 3) {
            case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
            case 1: text.erase(at, 1 + rng() % 8); break;
            default: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
            }
            if (text.empty()) text = "{";
        }
        auto s = parseStateJson(text);
        if (s) {
            ++ok;
        } else {
            ++refused;
            EXPECT_EQ(&s.error().code.category(), &stateJsonErrorCategory());
            EXPECT_FALSE(s.error().message.empty());
        }
    }
    EXPECT_GT(refused, 0u);
    EXPECT_GT(ok, 0u);
}
