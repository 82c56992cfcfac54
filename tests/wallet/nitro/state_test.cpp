#include "wallet/nitro/state.hpp"

#include "wallet/abi/abi.hpp"
#include "wallet/crypto/keccak.hpp"
#include "wallet/nitro/state_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>
#include <sstream>

using namespace pt;
using namespace pt::nitro;

namespace {

nlohmann::json loadFixtures()
{
    std::ifstream in(std::string(PT_FIXTURES_DIR) + "/nitro-0.17.3-vectors.json");
    if (!in) throw std::runtime_error("cannot open the nitro fixtures");
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
}

Address addr(std::string_view hex)
{
    return *Address::fromHex(hex);
}

PrivateKey key(std::string_view hex)
{
    return *PrivateKey::fromHex(hex);
}

State sampleState()
{
    State s;
    const PrivateKey a = key("0x1111111111111111111111111111111111111111111111111111111111111111");
    const PrivateKey b = key("0x2222222222222222222222222222222222222222222222222222222222222222");
    s.fixed.chainId = 31337;
    s.fixed.participants = {a.address(), b.address()};
    s.fixed.channelNonce = 7;
    s.fixed.appDefinition = addr("0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
    s.fixed.challengeDuration = 60;
    s.turnNum = 3;
    s.appData = {1, 2, 3};
    s.outcome = {AssetOutcome{Address{}, {{a.address().toBytes32(), Wei(std::uint64_t{5})},
                                          {b.address().toBytes32(), Wei(std::uint64_t{7})}}}};
    return s;
}

} // namespace

TEST(NitroState, MatchesEveryFixtureVector)
{
    const auto fixtures = loadFixtures();
    ASSERT_FALSE(fixtures.empty());
    for (std::size_t i = 0; i < fixtures.size(); ++i) {
        SCOPED_TRACE("fixture " + std::to_string(i));
        const auto& v = fixtures[i];
        auto state = stateFromJson(v.at("state"));
        ASSERT_TRUE(state) << state.error().describe();
        ASSERT_TRUE(validateShape(*state));
        const auto& e = v.at("expected");
        EXPECT_EQ(channelId(state->fixed).hex(), e.at("channelId").get<std::string>());
        EXPECT_EQ(appPartHash(state->fixed, state->appData).hex(), e.at("appPartHash").get<std::string>());
        EXPECT_EQ(outcomeHash(state->outcome).hex(), e.at("outcomeHash").get<std::string>());
        EXPECT_EQ(stateHash(*state).hex(), e.at("stateHash").get<std::string>());

        const PrivateKey k = key(v.at("signerKey").get<std::string>());
        const Signature sig = signState(*state, k);
        EXPECT_EQ(sig.v, e.at("signature").at("v").get<int>());
        EXPECT_EQ(sig.r.hex(), e.at("signature").at("r").get<std::string>());
        EXPECT_EQ(sig.s.hex(), e.at("signature").at("s").get<std::string>());
        auto signer = recoverStateSigner(*state, sig);
        ASSERT_TRUE(signer);
        EXPECT_EQ(*signer, k.address());
    }
}

TEST(NitroState, StateHashIsKeccakOfFiveWords)
{
    // stateHash = keccak256(turnNum || isFinal || channelId || appPartHash || outcomeHash),
    // each a 32-byte word: built by hand here, independently of the ABI encoder.
    State s = sampleState();
    s.isFinal = true;
    Bytes words;
    auto put = [&](const Bytes32& w) { words.insert(words.end(), w.bytes.begin(), w.bytes.end()); };
    put(toWord(U256(s.turnNum)));
    put(toWord(U256(1)));
    put(channelId(s.fixed));
    put(appPartHash(s.fixed, s.appData));
    put(outcomeHash(s.outcome));
    EXPECT_EQ(stateHash(s), keccak256(words));
}

// stateHash keeps the channel's part of the hash for the last few channels it hashed: states
// of more channels than that, interleaved, and each field of the channel part changed alone,
// still hash exactly as the five words built by hand say.
TEST(NitroState, StateHashIsRightWhateverChannelsWereHashedBefore)
{
    auto byHand = [](const State& s) {
        Bytes words;
        auto put = [&](const Bytes32& w) { words.insert(words.end(), w.bytes.begin(), w.bytes.end()); };
        put(toWord(U256(s.turnNum)));
        put(toWord(U256(s.isFinal ? 1 : 0)));
        put(channelId(s.fixed));
        put(appPartHash(s.fixed, s.appData));
        put(outcomeHash(s.outcome));
        return keccak256(words);
    };
    std::vector<State> states;
    for (std::uint64_t nonce = 1; nonce <= 9; ++nonce) {
        State s = sampleState();
        s.fixed.channelNonce = nonce;
        s.turnNum = nonce;
        states.push_back(s);
    }
    State app = sampleState();
    app.fixed.challengeDuration += 1; // same channel id, another app part
    states.push_back(app);
    State data = sampleState();
    data.appData.push_back(0x5a); // same fixed part, other app data
    states.push_back(data);
    states.push_back(sampleState());
    for (int pass = 0; pass < 3; ++pass)
        for (std::size_t i = 0; i < states.size(); ++i) {
            const State& s = states[pass == 1 ? states.size() - 1 - i : (i * 5) % states.size()];
            EXPECT_EQ(stateHash(s), byHand(s)) << "pass " << pass << ", nonce " << s.fixed.channelNonce;
        }
    EXPECT_NE(stateHash(app), stateHash(sampleState()));
    EXPECT_NE(stateHash(data), stateHash(sampleState()));
}

TEST(NitroState, ChannelIdDependsOnEveryChannelField)
{
    const State s = sampleState();
    const ChannelId id = channelId(s.fixed);
    FixedPart f = s.fixed;
    f.chainId = 1;
    EXPECT_NE(channelId(f), id);
    f = s.fixed;
    f.channelNonce = 8;
    EXPECT_NE(channelId(f), id);
    f = s.fixed;
    std::swap(f.participants[0], f.participants[1]);
    EXPECT_NE(channelId(f), id);
    // The app part does not enter the channel id.
    f = s.fixed;
    f.challengeDuration = 61;
    f.appDefinition = Address{};
    EXPECT_EQ(channelId(f), id);
    EXPECT_NE(appPartHash(f, s.appData), appPartHash(s.fixed, s.appData));
}

TEST(NitroState, OutcomeEncodingRoundTrips)
{
    const State s = sampleState();
    const Bytes bytes = encodeOutcome(s.outcome);
    auto back = decodeOutcome(bytes);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, s.outcome);
    EXPECT_EQ(outcomeHash(s.outcome), keccak256(bytes));

    Outcome empty;
    auto e = decodeOutcome(encodeOutcome(empty));
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->empty());

    Outcome noItems{AssetOutcome{addr("0xabababababababababababababababababababab"), {}}};
    auto n = decodeOutcome(encodeOutcome(noItems));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, noItems);
}

TEST(NitroState, GuaranteesAreReportedAsUnsupported)
{
    using namespace pt::abi; // (pt::abi, not cxxabi.h's ::abi)
    // A guarantee as Outcome.sol encodes it: (bytes32 targetChannelId, bytes32[] destinations).
    const Bytes guarantee = encode({Value::tuple({Value::bytes32(Bytes32{}),
                                                  Value::array(Type::bytes32(), {Value::bytes32(Bytes32{})})})});
    auto outcomeWith = [&](unsigned type) {
        const Bytes assetOutcome = encode({Value::tuple({Value::uint(type, 8), Value::bytes(guarantee)})});
        return encode({Value::array(*Type::parse("(address,bytes)"),
                                    {Value::tuple({Value::address(Address{}), Value::bytes(assetOutcome)})})});
    };
    auto g = decodeOutcome(outcomeWith(1));
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().code, make_error_code(NitroError::unsupported_outcome));
    auto unknown = decodeOutcome(outcomeWith(2));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, make_error_code(NitroError::malformed_outcome));
}

TEST(NitroState, MalformedOutcomeBytesAreRefused)
{
    const Bytes good = encodeOutcome(sampleState().outcome);
    // Truncated, trailing garbage (non-canonical), and noise.
    for (const Bytes& bad : {Bytes(good.begin(), good.end() - 1), Bytes(good.begin(), good.begin() + 64),
                             [&] { Bytes b = good; b.push_back(0); return b; }(), Bytes(100, 0xff), Bytes{}}) {
        auto o = decodeOutcome(bad);
        ASSERT_FALSE(o);
        EXPECT_EQ(o.error().code, make_error_code(NitroError::malformed_outcome)) << o.error().describe();
    }
}

TEST(NitroState, SignaturesRecoverTheSignerAndOnlyForThatState)
{
    const State s = sampleState();
    const PrivateKey a = key("0x1111111111111111111111111111111111111111111111111111111111111111");
    const PrivateKey b = key("0x2222222222222222222222222222222222222222222222222222222222222222");
    const Signature sa = signState(s, a);
    EXPECT_EQ(*recoverStateSigner(s, sa), a.address());
    EXPECT_EQ(*recoverStateSigner(s, signState(s, b)), b.address());
    // RFC 6979: deterministic.
    EXPECT_EQ(signState(s, a), sa);
    // The digest is the prefixed state hash.
    EXPECT_EQ(*recoverAddress(ethSignedMessageDigest(stateHash(s)), sa), a.address());

    State changed = s;
    changed.turnNum += 1;
    auto other = recoverStateSigner(changed, sa);
    if (other) {
        EXPECT_NE(*other, a.address());
    }
}

TEST(NitroState, ChallengeSignatureIsOverTheForceMoveMessage)
{
    const State s = sampleState();
    const PrivateKey a = key("0x1111111111111111111111111111111111111111111111111111111111111111");
    // keccak256(abi.encode(bytes32 stateHash, string "forceMove")), built word by word.
    Bytes msg;
    const Hash32 h = stateHash(s);
    msg.insert(msg.end(), h.bytes.begin(), h.bytes.end());
    const Bytes32 offset = toWord(U256(64)), len = toWord(U256(9));
    msg.insert(msg.end(), offset.bytes.begin(), offset.bytes.end());
    msg.insert(msg.end(), len.bytes.begin(), len.bytes.end());
    const std::string text = "forceMove";
    msg.insert(msg.end(), text.begin(), text.end());
    msg.resize(msg.size() + 32 - text.size(), 0);
    EXPECT_EQ(challengeDigest(s), keccak256(msg));

    const Signature c = signChallenge(s, a);
    EXPECT_NE(c, signState(s, a));
    EXPECT_EQ(*recoverAddress(ethSignedMessageDigest(challengeDigest(s)), c), a.address());
}

TEST(NitroState, ValidateShapeChecksRanges)
{
    State s = sampleState();
    EXPECT_TRUE(validateShape(s));

    auto expectMalformed = [](const State& bad, const char* what) {
        auto st = validateShape(bad);
        ASSERT_FALSE(st) << what;
        EXPECT_EQ(st.error().code, make_error_code(NitroError::malformed_state)) << what;
        EXPECT_FALSE(st.error().message.empty());
    };
    State t = s;
    t.turnNum = max_uint48 + 1;
    expectMalformed(t, "turnNum");
    t = s;
    t.turnNum = max_uint48;
    EXPECT_TRUE(validateShape(t));
    t = s;
    t.fixed.channelNonce = max_uint48 + 1;
    expectMalformed(t, "channelNonce");
    t = s;
    t.fixed.challengeDuration = max_uint48 + 1;
    expectMalformed(t, "challengeDuration");
    t = s;
    t.fixed.participants.clear();
    expectMalformed(t, "no participants");
    t = s;
    t.fixed.participants.assign(256, Address{});
    expectMalformed(t, "256 participants");
    t = s;
    t.outcome[0].allocationItems.resize(max_allocation_items + 1);
    expectMalformed(t, "too many items");
}

TEST(NitroState, ExternalDestinationIsTheLeftPaddedAddress)
{
    const Address a = addr("0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
    EXPECT_EQ(a.toBytes32().hex(), "0x00000000000000000000000019e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
}

TEST(NitroState, DecodeOutcomeNeverCrashesOnMutatedBytes)
{
    std::mt19937_64 rng(11);
    const Bytes good = encodeOutcome(sampleState().outcome);
    std::size_t refused = 0;
    for (int i = 0; i < 3000; ++i) {
        Bytes b = good;
        if (i % 3 == 0) {
            b.resize(rng() % (b.size() + 1));
        } else {
            for (int k = 0; k < 1 + i % 4; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
        }
        auto o = decodeOutcome(b);
        if (!o) {
            ++refused;
            EXPECT_EQ(&o.error().code.category(), &nitroErrorCategory());
        } else {
            // Whatever decodes is canonical: it re-encodes to the same bytes.
            EXPECT_EQ(encodeOutcome(*o), b);
        }
    }
    EXPECT_GT(refused, 0u);
}
