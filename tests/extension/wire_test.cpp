#include "extension/wire.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace pt;
using namespace pt::ext;

namespace {

Bytes bytesOf(const std::string& s)
{
    return Bytes(s.begin(), s.end());
}

std::string stringOf(const Bytes& b)
{
    return std::string(b.begin(), b.end());
}

template <std::size_t N>
FixedBytes<N> filled(std::uint8_t start)
{
    FixedBytes<N> out;
    for (std::size_t i = 0; i < N; ++i) out.bytes[i] = static_cast<std::uint8_t>(start + i);
    return out;
}

std::string rawString(const FixedBytes<32>& v) { return std::string(v.bytes.begin(), v.bytes.end()); }
std::string rawString(const FixedBytes<65>& v) { return std::string(v.bytes.begin(), v.bytes.end()); }
std::string rawString(const FixedBytes<20>& v) { return std::string(v.bytes.begin(), v.bytes.end()); }

Result<Message> decode(const std::string& text)
{
    return decodeMessage(bytesOf(text));
}

WireError errorOf(const Result<Message>& r)
{
    EXPECT_FALSE(r.ok());
    if (r.ok()) return WireError{};
    EXPECT_EQ(&r.error().code.category(), &wireErrorCategory());
    return static_cast<WireError>(r.error().code.value());
}

WireError errorOf(const Result<Terms>& r)
{
    EXPECT_FALSE(r.ok());
    if (r.ok()) return WireError{};
    EXPECT_EQ(&r.error().code.category(), &wireErrorCategory());
    return static_cast<WireError>(r.error().code.value());
}

// A bencoded byte string, by the BEP 3 rule "<length>:<bytes>".
std::string bstr(const std::string& s)
{
    return std::to_string(s.size()) + ":" + s;
}

const ChannelIdBytes channel = filled<32>(0x10);
const SignatureBytes sig = filled<65>(0x80);

Terms sampleTerms()
{
    Terms t;
    t.signer = filled<20>(0x01);
    t.chainId = 31337;
    t.adjudicator = filled<20>(0x41);
    t.pricePerMiB = Wei(std::uint64_t{1000000000});
    t.paymentIncrement = 262144;
    t.creditWindow = 1048576;
    return t;
}

} // namespace

// Expected encodings are written by hand from docs/protocol.md (bencode, keys sorted).
TEST(Wire, EncodesControlMessagesAsSpecified)
{
    EXPECT_EQ(stringOf(*encodeMessage(Stop{StopReason::payment_needed})), "d6:reasoni1e4:typei1ee");
    EXPECT_EQ(stringOf(*encodeMessage(Stop{StopReason::permanent})), "d6:reasoni3e4:typei1ee");
    EXPECT_EQ(stringOf(*encodeMessage(Start{262144})), "d6:crediti262144e4:typei2ee");
    EXPECT_EQ(stringOf(*encodeMessage(ErrorMessage{2, "bad sig"})), "d4:codei2e3:msg7:bad sig4:typei9ee");
}

TEST(Wire, EncodesStateMessagesAsSpecified)
{
    const std::string state = "opaque-state";
    EXPECT_EQ(stringOf(*encodeMessage(Payment{channel, bytesOf(state), sig})),
              "d7:channel" + bstr(rawString(channel)) + "3:sig" + bstr(rawString(sig)) + "5:state" + bstr(state) +
                  "4:typei5ee");
    EXPECT_EQ(stringOf(*encodeMessage(Countersignature{channel, 7, sig})),
              "d7:channel" + bstr(rawString(channel)) + "3:sig" + bstr(rawString(sig)) + "4:turni7e4:typei6ee");
    EXPECT_EQ(stringOf(*encodeMessage(ChannelAccept{channel, sig})),
              "d7:channel" + bstr(rawString(channel)) + "3:sig" + bstr(rawString(sig)) + "4:typei4ee");
}

TEST(Wire, DecodesHandWrittenMessages)
{
    auto stop = decode("d6:reasoni2e4:typei1ee");
    ASSERT_TRUE(stop) << stop.error().describe();
    EXPECT_EQ(std::get<Stop>(*stop).reason, StopReason::out_of_budget);

    auto start = decode("d6:crediti1048576e4:typei2ee");
    ASSERT_TRUE(start);
    EXPECT_EQ(std::get<Start>(*start).credit, 1048576u);

    // Unknown keys are ignored (forward compatibility), within the type's size limit.
    auto extra = decode("d5:extrai0e6:reasoni1e4:typei1ee");
    ASSERT_TRUE(extra);
    EXPECT_EQ(std::get<Stop>(*extra).reason, StopReason::payment_needed);

    auto fin = decode("d7:channel" + bstr(rawString(channel)) + "3:sig" + bstr(rawString(sig)) + "4:turni281474976710655e4:typei8ee");
    ASSERT_TRUE(fin) << fin.error().describe();
    EXPECT_EQ(std::get<FinalCountersignature>(*fin).turn, max_turn);
    EXPECT_EQ(std::get<FinalCountersignature>(*fin).channel, channel);
}

TEST(Wire, RoundTripsEveryMessageType)
{
    const Bytes state = bytesOf(std::string(max_state_bytes, '\x5a'));
    const std::vector<Message> all = {
        Stop{StopReason::payment_needed},
        Stop{StopReason::out_of_budget},
        Stop{StopReason::permanent},
        Start{0},
        Start{max_wire_integer},
        ChannelProposal{channel, bytesOf("prefund"), sig},
        ChannelAccept{channel, sig},
        Payment{channel, state, sig},
        Countersignature{channel, max_turn, sig},
        FinalState{channel, bytesOf("final"), sig},
        FinalCountersignature{channel, 0, sig},
        ErrorMessage{static_cast<std::uint32_t>(PeerErrorCode::stale_state), std::string(max_error_text_bytes, 'e')},
        ErrorMessage{0xffffffffu, ""},
    };
    for (const Message& m : all) {
        auto encoded = encodeMessage(m);
        ASSERT_TRUE(encoded) << toString(typeOf(m)) << ": " << encoded.error().describe();
        EXPECT_LE(encoded->size(), maxEncodedBytes(typeOf(m))) << toString(typeOf(m));
        auto decoded = decodeMessage(*encoded);
        ASSERT_TRUE(decoded) << toString(typeOf(m)) << ": " << decoded.error().describe();
        EXPECT_EQ(*decoded, m) << toString(typeOf(m));
    }
}

TEST(Wire, RejectsWhatIsNotABencodedDictionary)
{
    EXPECT_EQ(errorOf(decode("")), WireError::not_bencoded);
    EXPECT_EQ(errorOf(decode("d4:type")), WireError::not_bencoded);
    EXPECT_EQ(errorOf(decode("i5e")), WireError::not_a_dict);
    EXPECT_EQ(errorOf(decode("l4:typee")), WireError::not_a_dict);
    EXPECT_EQ(errorOf(decode("d6:reasoni1e4:typei1eex")), WireError::not_bencoded); // trailing byte
    EXPECT_EQ(errorOf(decode("d6:reasoni1e4:typei1eede")), WireError::not_bencoded); // two values
    // Nesting is refused by the depth limit: messages are flat.
    EXPECT_EQ(errorOf(decode("d6:reasond1:ad1:ai1eee4:typei1ee")), WireError::not_bencoded);
}

TEST(Wire, RejectsBadTypes)
{
    EXPECT_EQ(errorOf(decode("d6:reasoni1ee")), WireError::missing_field);             // no type
    EXPECT_EQ(errorOf(decode("d6:reasoni1e4:type1:1e")), WireError::wrong_type);       // type as a string
    EXPECT_EQ(errorOf(decode("d4:typei0ee")), WireError::unknown_message_type);
    EXPECT_EQ(errorOf(decode("d4:typei10ee")), WireError::unknown_message_type);
    EXPECT_EQ(errorOf(decode("d4:typei-1ee")), WireError::out_of_range);
    // An integer beyond int64 (libtorrent's int_value() would read it as 0): bdecode itself
    // refuses it; one within int64 but above the field's range is ours to refuse.
    EXPECT_EQ(errorOf(decode("d4:typei99999999999999999999999ee")), WireError::not_bencoded);
    EXPECT_EQ(errorOf(decode("d4:typei9223372036854775807ee")), WireError::out_of_range);
    EXPECT_EQ(errorOf(decode("d6:reasoni1e4:typei256ee")), WireError::out_of_range);
}

TEST(Wire, RejectsMissingAndMistypedFields)
{
    EXPECT_EQ(errorOf(decode("d4:typei1ee")), WireError::missing_field);               // STOP without reason
    EXPECT_EQ(errorOf(decode("d6:reason1:14:typei1ee")), WireError::wrong_type);
    EXPECT_EQ(errorOf(decode("d6:reasoni0e4:typei1ee")), WireError::out_of_range);
    EXPECT_EQ(errorOf(decode("d6:reasoni4e4:typei1ee")), WireError::out_of_range);
    EXPECT_EQ(errorOf(decode("d4:typei2ee")), WireError::missing_field);               // START without credit
    EXPECT_EQ(errorOf(decode("d6:crediti-5e4:typei2ee")), WireError::out_of_range);
    EXPECT_EQ(errorOf(decode("d4:typei5ee")), WireError::missing_field);               // empty PAYMENT

    const std::string ch = "7:channel" + bstr(rawString(channel));
    const std::string sg = "3:sig" + bstr(rawString(sig));
    // PAYMENT: each field missing in turn.
    EXPECT_EQ(errorOf(decode("d" + sg + "5:state1:s4:typei5ee")), WireError::missing_field);
    EXPECT_EQ(errorOf(decode("d" + ch + "5:state1:s4:typei5ee")), WireError::missing_field);
    EXPECT_EQ(errorOf(decode("d" + ch + sg + "4:typei5ee")), WireError::missing_field);
    // Wrong sizes.
    EXPECT_EQ(errorOf(decode("d7:channel" + bstr(std::string(31, 'c')) + sg + "5:state1:s4:typei5ee")),
              WireError::wrong_length);
    EXPECT_EQ(errorOf(decode("d" + ch + "3:sig" + bstr(std::string(64, 's')) + "5:state1:s4:typei5ee")),
              WireError::wrong_length);
    EXPECT_EQ(errorOf(decode("d" + ch + sg + "5:state0:4:typei5ee")), WireError::wrong_length); // empty state
    EXPECT_EQ(errorOf(decode("d" + ch + sg + "5:statei1e4:typei5ee")), WireError::wrong_type);
    // COUNTERSIGNATURE: the turn must fit uint48.
    EXPECT_EQ(errorOf(decode("d" + ch + sg + "4:turni281474976710656e4:typei6ee")), WireError::out_of_range);
    EXPECT_EQ(errorOf(decode("d" + ch + sg + "4:typei6ee")), WireError::missing_field);
    // ERROR: code and text.
    EXPECT_EQ(errorOf(decode("d3:msg1:x4:typei9ee")), WireError::missing_field);
    EXPECT_EQ(errorOf(decode("d4:codei1e4:typei9ee")), WireError::missing_field);
    EXPECT_EQ(errorOf(decode("d4:codei4294967296e3:msg1:x4:typei9ee")), WireError::out_of_range);
}

TEST(Wire, RejectsOversizedMessages)
{
    const std::string ch = "7:channel" + bstr(rawString(channel));
    const std::string sg = "3:sig" + bstr(rawString(sig));
    // Over the global limit, whatever is inside.
    EXPECT_EQ(errorOf(decodeMessage(Bytes(max_message_bytes + 1, 'd'))), WireError::too_large);
    // A state over its own limit inside a message under the global one.
    EXPECT_EQ(errorOf(decode("d" + ch + sg + "5:state" + bstr(std::string(max_state_bytes + 1, 's')) + "4:typei5ee")),
              WireError::too_large);
    // A STOP padded with an unknown key beyond the control-message limit.
    EXPECT_EQ(errorOf(decode("d3:pad" + bstr(std::string(100, 'p')) + "6:reasoni1e4:typei1ee")), WireError::too_large);
    // A COUNTERSIGNATURE padded beyond its limit.
    EXPECT_EQ(errorOf(decode("d" + ch + "3:pad" + bstr(std::string(200, 'p')) + sg + "4:turni1e4:typei6ee")),
              WireError::too_large);
    // ERROR text over its limit.
    EXPECT_EQ(errorOf(decode("d4:codei1e3:msg" + bstr(std::string(max_error_text_bytes + 1, 'x')) + "4:typei9ee")),
              WireError::too_large);
    // More keys than the token limit allows.
    std::string many = "d";
    for (int i = 0; i < 40; ++i) many += "1:" + std::string(1, static_cast<char>('A' + i)) + "i0e";
    EXPECT_EQ(errorOf(decodeMessage(bytesOf(many + "4:typei5ee"))), WireError::not_bencoded);
}

TEST(Wire, RefusesToEncodeWhatBreaksTheLimits)
{
    EXPECT_FALSE(encodeMessage(Payment{channel, Bytes(max_state_bytes + 1, 1), sig}));
    EXPECT_FALSE(encodeMessage(Payment{channel, Bytes{}, sig}));
    EXPECT_FALSE(encodeMessage(ErrorMessage{1, std::string(max_error_text_bytes + 1, 'x')}));
    EXPECT_FALSE(encodeMessage(Countersignature{channel, max_turn + 1, sig}));
    EXPECT_FALSE(encodeMessage(Start{max_wire_integer + 1}));
}

TEST(Wire, FramesExtendedMessagesPerBep10)
{
    const Bytes frame = frameExtended(7, bytesOf("abc"));
    const Bytes expected = {0, 0, 0, 5, 20, 7, 'a', 'b', 'c'};
    EXPECT_EQ(frame, expected);
}

TEST(Terms, EncodesAsSpecified)
{
    const Terms t = sampleTerms();
    const std::string expected = "d11:adjudicator" + bstr(rawString(t.adjudicator)) + "5:chaini31337e" +
                                 "9:incrementi262144e5:price10:1000000000" + "6:signer" + bstr(rawString(t.signer)) +
                                 "1:vi1e6:windowi1048576ee";
    EXPECT_EQ(stringOf(*encodeTerms(t)), expected);
}

TEST(Terms, RoundTripsWithAndWithoutPrice)
{
    Terms t = sampleTerms();
    t.pricePerMiB = *Wei::parse("115792089237316195423570985008687907853269984665640564039457584007913129639935");
    auto decoded = decodeTerms(*encodeTerms(t));
    ASSERT_TRUE(decoded) << decoded.error().describe();
    EXPECT_EQ(*decoded, t);

    t.pricePerMiB.reset();
    decoded = decodeTerms(*encodeTerms(t));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, t);
    EXPECT_FALSE(decoded->pricePerMiB);
}

TEST(Terms, RejectsMalformedTerms)
{
    const Terms t = sampleTerms();
    const std::string adj = "11:adjudicator" + bstr(rawString(t.adjudicator));
    const std::string signer = "6:signer" + bstr(rawString(t.signer));
    auto terms = [&](const std::string& price, const std::string& inc, const std::string& win,
                     const std::string& version = "1", const std::string& chain = "31337") {
        return decodeTerms(bytesOf("d" + adj + "5:chaini" + chain + "e9:incrementi" + inc + "e" + price + signer +
                                   "1:vi" + version + "e6:windowi" + win + "ee"));
    };
    ASSERT_TRUE(terms("5:price3:100", "16384", "16384"));
    EXPECT_EQ(errorOf(terms("5:price1:0", "262144", "1048576")), WireError::invalid_terms);     // zero price
    EXPECT_EQ(errorOf(terms("5:price4:0x10", "262144", "1048576")), WireError::wrong_type);    // not decimal
    EXPECT_EQ(errorOf(terms("5:price3:010", "262144", "1048576")), WireError::wrong_type);     // leading zero
    EXPECT_EQ(errorOf(terms("5:pricei100e", "262144", "1048576")), WireError::wrong_type);     // integer price
    EXPECT_EQ(errorOf(terms("5:price" + bstr(std::string(79, '9')), "262144", "1048576")), WireError::too_large);
    EXPECT_EQ(errorOf(terms("5:price" + bstr(std::string(78, '9')), "262144", "1048576")), WireError::out_of_range);
    EXPECT_EQ(errorOf(terms("", "16383", "1048576")), WireError::invalid_terms);                // increment < block
    EXPECT_EQ(errorOf(terms("", "262144", "262143")), WireError::invalid_terms);               // window < increment
    EXPECT_EQ(errorOf(terms("", "262144", "1073741825")), WireError::invalid_terms);           // window > 1 GiB
    EXPECT_EQ(errorOf(terms("", "262144", "1048576", "2")), WireError::unsupported_version);
    EXPECT_EQ(errorOf(terms("", "262144", "1048576", "1", "0")), WireError::invalid_terms);    // chain 0

    EXPECT_EQ(errorOf(decodeTerms(bytesOf("d" + adj + "5:chaini1e9:incrementi262144e1:vi1e6:windowi1048576ee"))),
              WireError::missing_field); // no signer
    EXPECT_EQ(errorOf(decodeTerms(bytesOf("d" + adj + "5:chaini1e9:incrementi262144e6:signer3:abc1:vi1e6:windowi1048576ee"))),
              WireError::wrong_length);
    EXPECT_EQ(errorOf(decodeTerms(bytesOf("d5:chaini1ee"))), WireError::missing_field); // no version
    EXPECT_EQ(errorOf(decodeTerms(Bytes(max_terms_bytes + 1, 'd'))), WireError::too_large);
    EXPECT_EQ(errorOf(decodeTerms(bytesOf("le"))), WireError::not_a_dict);
}

TEST(Terms, ValidatesBeforeEncoding)
{
    Terms t = sampleTerms();
    t.creditWindow = t.paymentIncrement - 1;
    EXPECT_FALSE(encodeTerms(t));
    t = sampleTerms();
    t.pricePerMiB = Wei(std::uint64_t{0});
    EXPECT_FALSE(encodeTerms(t));
    t = sampleTerms();
    t.version = 2;
    EXPECT_FALSE(encodeTerms(t));
}

// Random and mutated input: the decoder returns a value or a typed error, never crashes,
// and whatever it accepts re-encodes to something it accepts again, equal.
TEST(WireFuzz, RandomBytesNeverCrash)
{
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, max_message_bytes + 64);
    for (int i = 0; i < 12000; ++i) {
        Bytes input(i < 10000 ? length(rng) % 96 : length(rng));
        for (auto& b : input) b = static_cast<std::uint8_t>(byte(rng));
        auto m = decodeMessage(input);
        if (!m) {
            EXPECT_EQ(&m.error().code.category(), &wireErrorCategory());
        }
        auto t = decodeTerms(input);
        if (!t) {
            EXPECT_EQ(&t.error().code.category(), &wireErrorCategory());
        }
    }
}

TEST(WireFuzz, MutatedMessagesNeverCrash)
{
    std::mt19937 rng(7);
    std::vector<Bytes> seeds = {
        *encodeMessage(Stop{StopReason::payment_needed}),
        *encodeMessage(Start{123456}),
        *encodeMessage(Payment{channel, bytesOf("state bytes"), sig}),
        *encodeMessage(Countersignature{channel, 42, sig}),
        *encodeMessage(ErrorMessage{3, "stale"}),
        *encodeTerms(sampleTerms()),
    };
    // Bencode's structural characters make mutations more likely to reach deep paths.
    const std::string alphabet = "die0123456789:-xl";
    int accepted = 0;
    for (int i = 0; i < 30000; ++i) {
        Bytes input = seeds[static_cast<std::size_t>(i) % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !input.empty(); ++e) {
            const std::size_t at = rng() % input.size();
            switch (rng() % 4) {
            case 0: input[at] = static_cast<std::uint8_t>(alphabet[rng() % alphabet.size()]); break;
            case 1: input[at] = static_cast<std::uint8_t>(rng()); break;
            case 2: input.erase(input.begin() + static_cast<std::ptrdiff_t>(at)); break;
            default: input.resize(at); break;
            }
        }
        auto m = decodeMessage(input);
        if (m) {
            ++accepted;
            auto again = encodeMessage(*m);
            ASSERT_TRUE(again);
            auto back = decodeMessage(*again);
            ASSERT_TRUE(back);
            EXPECT_EQ(*back, *m);
        } else {
            EXPECT_EQ(&m.error().code.category(), &wireErrorCategory());
        }
        auto t = decodeTerms(input);
        if (t) {
            EXPECT_TRUE(encodeTerms(*t));
        }
    }
    // Some mutations (a changed digit) stay valid: the loop did reach the success path.
    EXPECT_GT(accepted, 0);
}
