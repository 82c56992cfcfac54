// The C++ Nitro encodings against the reference library itself: at test time, the npm
// package (@statechannels/nitro-protocol 0.17.3 with ethers 5.0.12) generates random states
// and computes their hashes and signatures (tests/js/nitro-vectors.js); every value must be
// equal byte for byte. PT_NITRO_SEED=<n> reproduces a run.
#include "wallet/nitro/state.hpp"
#include "wallet/nitro/state_json.hpp"

#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <random>

using namespace pt;
using namespace pt::nitro;

namespace {

constexpr int vector_count = 250; // the issue asks for at least 200

std::uint64_t chooseSeed()
{
    if (const char* env = std::getenv("PT_NITRO_SEED")) return std::strtoull(env, nullptr, 10);
    std::random_device rd;
    return (std::uint64_t{rd()} << 32 | rd()) % 1000000007u + 1;
}

void expectSignature(const Signature& got, const nlohmann::json& want, const char* what)
{
    EXPECT_EQ(got.v, want.at("v").get<int>()) << what;
    EXPECT_EQ(got.r.hex(), want.at("r").get<std::string>()) << what;
    EXPECT_EQ(got.s.hex(), want.at("s").get<std::string>()) << what;
}

} // namespace

TEST(NitroCrossCheck, RandomStatesMatchTheReferenceLibrary)
{
    const std::uint64_t seed = chooseSeed();
    SCOPED_TRACE("PT_NITRO_SEED=" + std::to_string(seed));
    const auto run = test::runNode(test::sourcePath("tests/js/nitro-vectors.js"),
                                   {std::to_string(vector_count), std::to_string(seed)}, {},
                                   std::chrono::seconds(120));
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const auto vectors = nlohmann::json::parse(run.out);
    ASSERT_EQ(vectors.size(), static_cast<std::size_t>(vector_count));

    std::size_t finals = 0, multiAsset = 0, bigAmounts = 0;
    for (std::size_t i = 0; i < vectors.size(); ++i) {
        const auto& v = vectors[i];
        SCOPED_TRACE("vector " + std::to_string(i) + ": " + v.at("state").dump());
        // Through the text parser, as the CLI reads it.
        auto state = parseStateJson(v.at("state").dump());
        ASSERT_TRUE(state) << state.error().describe();
        ASSERT_TRUE(validateShape(*state));
        const auto& e = v.at("expected");

        EXPECT_EQ(channelId(state->fixed).hex(), e.at("channelId").get<std::string>());
        EXPECT_EQ(appPartHash(state->fixed, state->appData).hex(), e.at("appPartHash").get<std::string>());
        EXPECT_EQ(outcomeHash(state->outcome).hex(), e.at("outcomeHash").get<std::string>());
        EXPECT_EQ(stateHash(*state).hex(), e.at("stateHash").get<std::string>());

        const Bytes outcomeBytes = encodeOutcome(state->outcome);
        EXPECT_EQ(toHex(outcomeBytes), e.at("outcomeBytes").get<std::string>());
        auto decoded = decodeOutcome(*fromHex(e.at("outcomeBytes").get<std::string>()));
        ASSERT_TRUE(decoded) << decoded.error().describe();
        EXPECT_EQ(*decoded, state->outcome);

        auto key = PrivateKey::fromHex(v.at("signerKey").get<std::string>());
        ASSERT_TRUE(key);
        EXPECT_EQ(key->address().toChecksum(), v.at("signerAddress").get<std::string>());
        const Signature sig = signState(*state, *key);
        expectSignature(sig, e.at("signature"), "state signature");
        expectSignature(signChallenge(*state, *key), e.at("challengeSignature"), "challenge signature");

        // The library's signature recovers to its signer here too.
        Signature theirs;
        theirs.v = static_cast<std::uint8_t>(e.at("signature").at("v").get<int>());
        theirs.r = *Bytes32::fromHex(e.at("signature").at("r").get<std::string>());
        theirs.s = *Bytes32::fromHex(e.at("signature").at("s").get<std::string>());
        auto signer = recoverStateSigner(*state, theirs);
        ASSERT_TRUE(signer);
        EXPECT_EQ(*signer, key->address());

        // And the printed form reads back to the same state.
        auto reparsed = parseStateJson(printStateJson(*state));
        ASSERT_TRUE(reparsed);
        EXPECT_EQ(*reparsed, *state);

        finals += state->isFinal;
        multiAsset += state->outcome.size() > 1;
        for (const auto& a : state->outcome)
            for (const auto& item : a.allocationItems) bigAmounts += item.amount.value() > U256(~std::uint64_t{0});
        if (HasFailure()) break; // one vector's full report is enough
    }
    // The generator covered the cases it is meant to.
    EXPECT_GT(finals, 0u);
    EXPECT_GT(multiAsset, 0u);
    EXPECT_GT(bigAmounts, 0u);
}
