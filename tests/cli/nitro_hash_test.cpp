// `paytorrent-cli nitro hash` as a user runs it: the built binary, a state on stdin.
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using nlohmann::json;

namespace {

json loadFixtures()
{
    std::ifstream in(std::string(PT_FIXTURES_DIR) + "/nitro-0.17.3-vectors.json");
    if (!in) throw std::runtime_error("cannot open the nitro fixtures");
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

pt::test::ProcessResult nitroHash(const std::string& input, const std::vector<std::string>& extra = {})
{
    std::vector<std::string> argv{pt::test::binaryPath("app/paytorrent-cli"), "nitro", "hash"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return pt::test::runProcess(argv, input, std::chrono::seconds(30));
}

int lineCount(const std::string& s)
{
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

} // namespace

TEST(CliNitroHash, PrintsTheFixtureHashesAndSignatures)
{
    const json fixtures = loadFixtures();
    ASSERT_FALSE(fixtures.empty());
    for (std::size_t i = 0; i < fixtures.size(); ++i) {
        SCOPED_TRACE("fixture " + std::to_string(i));
        const json& v = fixtures[i];
        const auto run = nitroHash(v.at("state").dump(2), {"--sign-key", v.at("signerKey").get<std::string>()});
        ASSERT_EQ(run.exitCode, 0) << run.err;
        EXPECT_TRUE(run.err.empty()) << run.err;
        EXPECT_EQ(lineCount(run.out), 1);
        const json out = json::parse(run.out);
        const json& e = v.at("expected");
        for (const char* k : {"channelId", "appPartHash", "outcomeHash", "stateHash"}) EXPECT_EQ(out.at(k), e.at(k)) << k;
        EXPECT_EQ(out.at("signature").at("v"), e.at("signature").at("v"));
        EXPECT_EQ(out.at("signature").at("r"), e.at("signature").at("r"));
        EXPECT_EQ(out.at("signature").at("s"), e.at("signature").at("s"));
    }
}

TEST(CliNitroHash, WithoutAKeyPrintsOnlyTheHashesInOrder)
{
    const json v = loadFixtures().at(0);
    const auto run = nitroHash(v.at("state").dump());
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const json out = json::parse(run.out);
    EXPECT_FALSE(out.contains("signature"));
    EXPECT_EQ(out.at("stateHash"), v.at("expected").at("stateHash"));
    // The documented key order, and lowercase 0x hex.
    EXPECT_LT(run.out.find("\"channelId\""), run.out.find("\"appPartHash\""));
    EXPECT_LT(run.out.find("\"appPartHash\""), run.out.find("\"outcomeHash\""));
    EXPECT_LT(run.out.find("\"outcomeHash\""), run.out.find("\"stateHash\""));
    for (const char* k : {"channelId", "appPartHash", "outcomeHash", "stateHash"}) {
        const std::string h = out.at(k).get<std::string>();
        ASSERT_EQ(h.size(), 66u);
        EXPECT_EQ(h.substr(0, 2), "0x");
        EXPECT_EQ(h.find_first_not_of("0123456789abcdef", 2), std::string::npos) << h;
    }
}

TEST(CliNitroHash, MalformedInputIsOneLineOnStderrAndExitCode2)
{
    json good = loadFixtures().at(0).at("state");
    json missing = good;
    missing.erase("turnNum");
    json badNonce = good;
    badNonce["channel"]["channelNonce"] = "281474976710656";
    json badAddress = good;
    badAddress["appDefinition"] = "0x1234";
    for (const std::string& input : {std::string("not json"), std::string(""), missing.dump(), badNonce.dump(),
                                     badAddress.dump(), std::string("[]")}) {
        SCOPED_TRACE(input);
        const auto run = nitroHash(input);
        EXPECT_EQ(run.exitCode, 2);
        EXPECT_TRUE(run.out.empty()) << run.out;
        EXPECT_EQ(lineCount(run.err), 1) << run.err;
    }
    const auto run = nitroHash(missing.dump());
    EXPECT_NE(run.err.find("turnNum"), std::string::npos) << run.err;
}

TEST(CliNitroHash, OversizeInputIsRefused)
{
    const auto run = nitroHash(std::string(2u << 20, ' '));
    EXPECT_EQ(run.exitCode, 2);
    EXPECT_EQ(lineCount(run.err), 1) << run.err;
}

TEST(CliNitroHash, ABadKeyIsRefusedWithoutEchoingIt)
{
    const std::string state = loadFixtures().at(0).at("state").dump();
    const std::string secretish = "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddee"; // 31 bytes
    const std::string zero = "0x" + std::string(64, '0');
    const std::string overOrder = "0x" + std::string(64, 'f');
    for (const std::string& key : {secretish, zero, overOrder, std::string("not-hex")}) {
        const auto run = nitroHash(state, {"--sign-key", key});
        EXPECT_EQ(run.exitCode, 2) << key;
        EXPECT_TRUE(run.out.empty());
        EXPECT_EQ(lineCount(run.err), 1) << run.err;
        EXPECT_EQ(run.err.find(key.substr(2, 20)), std::string::npos) << "the key was echoed: " << run.err;
    }
}
