#include "wallet/abi/abi.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace pt;
using namespace pt::abi;

namespace {

Bytes word(std::uint64_t v)
{
    const Bytes32 w = toWord(U256(v));
    return Bytes(w.bytes.begin(), w.bytes.end());
}

Bytes concat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// A random type of bounded depth, covering every kind.
Type randomType(std::mt19937_64& rng, int depth)
{
    const int kinds = depth > 0 ? 10 : 7;
    switch (rng() % kinds) {
    case 0: return Type::uint(static_cast<unsigned>(8 * (1 + rng() % 32)));
    case 1: return Type::int_(static_cast<unsigned>(8 * (1 + rng() % 32)));
    case 2: return Type::boolean();
    case 3: return Type::address();
    case 4: return Type::fixedBytes(1 + rng() % 32);
    case 5: return Type::bytes();
    case 6: return Type::string();
    case 7: return Type::array(randomType(rng, depth - 1));
    case 8: return Type::fixedArray(randomType(rng, depth - 1), 1 + rng() % 3);
    default: {
        std::vector<Type> comps;
        const std::size_t n = 1 + rng() % 4;
        for (std::size_t i = 0; i < n; ++i) comps.push_back(randomType(rng, depth - 1));
        return Type::tuple(std::move(comps));
    }
    }
}

U256 randomU256(std::mt19937_64& rng)
{
    U256 v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 64) | U256(rng());
    return v;
}

Bytes randomBytes(std::mt19937_64& rng, std::size_t n)
{
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return b;
}

Value randomValue(std::mt19937_64& rng, const Type& t)
{
    switch (t.kind()) {
    case Type::Kind::uint: {
        U256 v = randomU256(rng);
        if (t.bits() < 256) v &= (U256(1) << t.bits()) - 1;
        if (rng() % 4 == 0) v = rng() % 3; // small numbers too
        return Value::uint(v, t.bits());
    }
    case Type::Kind::int_: {
        const I256 limit = I256(1) << (t.bits() - 1);
        I256 v = static_cast<I256>(randomU256(rng) >> (257 - t.bits())); // 0 <= v < limit
        if (rng() % 2) v = -v - 1;                                         // -limit <= v < 0
        if (v >= limit) v = limit - 1;
        return Value::int_(v, t.bits());
    }
    case Type::Kind::boolean: return Value::boolean(rng() % 2);
    case Type::Kind::address: {
        FixedBytes<20> a;
        const Bytes r = randomBytes(rng, 20);
        std::copy(r.begin(), r.end(), a.bytes.begin());
        return Value::address(Address(a));
    }
    case Type::Kind::fixedBytes: return Value::fixedBytes(randomBytes(rng, t.size()));
    case Type::Kind::bytes: return Value::bytes(randomBytes(rng, rng() % 70));
    case Type::Kind::string: {
        const Bytes b = randomBytes(rng, rng() % 40);
        return Value::string(std::string(b.begin(), b.end()));
    }
    case Type::Kind::array: {
        std::vector<Value> items;
        const std::size_t n = rng() % 4;
        for (std::size_t i = 0; i < n; ++i) items.push_back(randomValue(rng, t.element()));
        return Value::array(t.element(), std::move(items));
    }
    case Type::Kind::fixedArray: {
        std::vector<Value> items;
        for (std::size_t i = 0; i < t.size(); ++i) items.push_back(randomValue(rng, t.element()));
        return Value::fixedArray(t.element(), std::move(items));
    }
    case Type::Kind::tuple: {
        std::vector<Value> items;
        for (const auto& c : t.components()) items.push_back(randomValue(rng, c));
        return Value::tuple(std::move(items));
    }
    }
    throw std::logic_error("unreachable");
}

} // namespace

TEST(AbiDecode, RoundTripsRandomNestedValues)
{
    std::mt19937_64 rng(20240517);
    for (int i = 0; i < 2000; ++i) {
        std::vector<Type> types;
        std::vector<Value> values;
        const std::size_t n = 1 + rng() % 4;
        for (std::size_t k = 0; k < n; ++k) {
            types.push_back(randomType(rng, 4));
            values.push_back(randomValue(rng, types.back()));
        }
        const Bytes data = encode(values);
        ASSERT_EQ(data.size() % 32, 0u);
        auto decoded = decode(types, data);
        ASSERT_TRUE(decoded) << decoded.error().describe() << " for " << Type::tuple(types).toString();
        ASSERT_EQ(*decoded, values) << Type::tuple(types).toString();
        // Reparsing the printed type gives the same type.
        auto reparsed = Type::parse(Type::tuple(types).toString());
        ASSERT_TRUE(reparsed);
        EXPECT_EQ(reparsed->components(), types);
    }
}

TEST(AbiDecode, DecodesTheSolidityDocsExample)
{
    auto data = fromHex("0000000000000000000000000000000000000000000000000000000000000060"
                        "0000000000000000000000000000000000000000000000000000000000000001"
                        "00000000000000000000000000000000000000000000000000000000000000a0"
                        "0000000000000000000000000000000000000000000000000000000000000004"
                        "6461766500000000000000000000000000000000000000000000000000000000"
                        "0000000000000000000000000000000000000000000000000000000000000003"
                        "0000000000000000000000000000000000000000000000000000000000000001"
                        "0000000000000000000000000000000000000000000000000000000000000002"
                        "0000000000000000000000000000000000000000000000000000000000000003");
    ASSERT_TRUE(data);
    auto v = decode(*Type::parseList("(bytes,bool,uint256[])"), *data);
    ASSERT_TRUE(v) << v.error().describe();
    EXPECT_EQ((*v)[0].asBytes(), Bytes({'d', 'a', 'v', 'e'}));
    EXPECT_TRUE((*v)[1].asBool());
    ASSERT_EQ((*v)[2].items().size(), 3u);
    EXPECT_EQ((*v)[2].items()[2].asUint(), 3);
}

TEST(AbiDecode, RefusesOutOfRangeAndNonCanonicalWords)
{
    auto uint8 = decodeOne(Type::uint(8), word(256));
    ASSERT_FALSE(uint8);
    EXPECT_EQ(uint8.error().code, make_error_code(AbiError::out_of_range));
    EXPECT_EQ(decodeOne(Type::uint(8), word(255))->asUint(), 255);

    auto uint48 = decodeOne(Type::uint(48), word(std::uint64_t{1} << 48));
    ASSERT_FALSE(uint48);
    EXPECT_EQ(uint48.error().code, make_error_code(AbiError::out_of_range));

    auto b = decodeOne(Type::boolean(), word(2));
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, make_error_code(AbiError::non_canonical));

    Bytes dirtyAddress = word(1);
    dirtyAddress[0] = 1;
    auto a = decodeOne(Type::address(), dirtyAddress);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, make_error_code(AbiError::non_canonical));

    Bytes dirtyBytes10(32, 0);
    dirtyBytes10[10] = 1;
    auto f = decodeOne(Type::fixedBytes(10), dirtyBytes10);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, make_error_code(AbiError::non_canonical));
    dirtyBytes10[10] = 0;
    dirtyBytes10[9] = 1;
    EXPECT_TRUE(decodeOne(Type::fixedBytes(10), dirtyBytes10));

    // int8: 0x80 is 128, out of range; ff..ff80 is -128.
    auto i8 = decodeOne(Type::int_(8), word(0x80));
    ASSERT_FALSE(i8);
    EXPECT_EQ(i8.error().code, make_error_code(AbiError::out_of_range));
    Bytes minus128(32, 0xff);
    minus128[31] = 0x80;
    EXPECT_EQ(decodeOne(Type::int_(8), minus128)->asInt(), -128);
    Bytes badNegative(32, 0xff);
    badNegative[0] = 0x7f; // positive and huge, not a sign extension
    EXPECT_FALSE(decodeOne(Type::int_(8), badNegative));
    EXPECT_EQ(decodeOne(Type::int_(256), Bytes(32, 0xff))->asInt(), -1);
}

TEST(AbiDecode, RefusesOffsetsAndLengthsOutsideTheData)
{
    // bytes at an offset past the end.
    auto off = decodeOne(Type::bytes(), word(0x40));
    ASSERT_FALSE(off);
    EXPECT_EQ(off.error().code, make_error_code(AbiError::bad_offset));
    // A huge offset word.
    auto huge = decodeOne(Type::bytes(), Bytes(32, 0xff));
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().code, make_error_code(AbiError::bad_offset));
    // A length longer than the data.
    auto len = decodeOne(Type::bytes(), concat({word(0x20), word(33), word(0)}));
    ASSERT_FALSE(len);
    EXPECT_EQ(len.error().code, make_error_code(AbiError::bad_length));
    // An array claiming 2^64 elements.
    auto arr = decodeOne(Type::array(Type::uint()), concat({word(0x20), Bytes(32, 0xff)}));
    ASSERT_FALSE(arr);
    EXPECT_EQ(arr.error().code, make_error_code(AbiError::bad_length));
    // An array claiming more elements than words follow.
    auto arr2 = decodeOne(Type::array(Type::uint()), concat({word(0x20), word(3), word(1), word(2)}));
    ASSERT_FALSE(arr2);
    EXPECT_EQ(arr2.error().code, make_error_code(AbiError::bad_length));
    // Truncated static data.
    auto t = decode({Type::uint(), Type::uint()}, word(1));
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, make_error_code(AbiError::truncated));
    // A static fixed array far larger than the data fails before allocating.
    auto big = decodeOne(Type::fixedArray(Type::fixedArray(Type::uint(), 1u << 20), 1u << 20), word(1));
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, make_error_code(AbiError::truncated));
}

TEST(AbiDecode, AliasedOffsetsCannotBlowUpTheOutput)
{
    // uint256[][] with n entries all pointing at one array of m words: 64 KiB of input
    // would decode to n * m = 1M words without the budget.
    const std::size_t n = 1000, m = 1000;
    Bytes data = concat({word(0x20), word(n)});
    for (std::size_t i = 0; i < n; ++i) data = concat({data, word(32 * n)}); // all to the same place
    data = concat({data, word(m)});
    for (std::size_t i = 0; i < m; ++i) data = concat({data, word(i)});
    auto v = decodeOne(Type::array(Type::array(Type::uint())), data);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, make_error_code(AbiError::too_large));

    // The same with one entry decodes (the offsets themselves are fine).
    Bytes one = concat({word(0x20), word(1), word(0x20), word(2), word(7), word(8)});
    auto ok = decodeOne(Type::array(Type::array(Type::uint())), one);
    ASSERT_TRUE(ok) << ok.error().describe();
    EXPECT_EQ(ok->items()[0].items()[1].asUint(), 8);
}

TEST(AbiDecode, RefusesTypesNestedTooDeep)
{
    Type t = Type::uint();
    for (std::size_t i = 0; i <= max_nesting_depth; ++i) t = Type::array(t);
    auto v = decodeOne(t, concat({word(0x20), word(0)}));
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, make_error_code(AbiError::too_deep));
}

TEST(AbiDecode, NeverCrashesOnRandomTruncatedOrMutatedInput)
{
    std::mt19937_64 rng(99);
    std::size_t decodedOk = 0, refused = 0;
    for (int i = 0; i < 3000; ++i) {
        const Type t = randomType(rng, 4);
        const Value v = randomValue(rng, t);
        Bytes data = encode({v});
        switch (i % 4) {
        case 0: data.resize(rng() % (data.size() + 1)); break; // truncated
        case 1:                                                   // a few bytes flipped
            for (int k = 0; k < 3 && !data.empty(); ++k) data[rng() % data.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
            break;
        case 2: // a word replaced by a large or small number (offsets, lengths)
            if (data.size() >= 32) {
                const std::size_t at = 32 * (rng() % (data.size() / 32));
                const Bytes32 w = toWord(rng() % 2 ? U256(rng() % 512) : randomU256(rng));
                std::copy(w.bytes.begin(), w.bytes.end(), data.begin() + static_cast<std::ptrdiff_t>(at));
            }
            break;
        default: data = randomBytes(rng, rng() % 300); break; // noise
        }
        auto d = decodeOne(t, data);
        if (d) {
            ++decodedOk;
            EXPECT_EQ(d->type(), t);
            // Whatever decoded re-encodes without trouble.
            (void)encode({*d});
        } else {
            ++refused;
            EXPECT_EQ(&d.error().code.category(), &abiErrorCategory());
            EXPECT_FALSE(d.error().describe().empty());
        }
    }
    EXPECT_GT(refused, 0u);
    EXPECT_GT(decodedOk, 0u);
}

TEST(AbiDecode, AllowsTrailingBytesAndRefusesOversizeInput)
{
    Bytes data = concat({word(5), word(6)});
    auto v = decodeOne(Type::uint(), data);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->asUint(), 5);

    Bytes big(max_decode_input + 32, 0);
    auto b = decodeOne(Type::uint(), big);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, make_error_code(AbiError::too_large));
}
