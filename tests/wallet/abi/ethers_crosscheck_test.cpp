// The ABI encoder and decoder against ethers 5.0.12's defaultAbiCoder (what nitro-protocol
// uses): at test time, tests/js/abi-vectors.js encodes random nested values of random
// types; our encoding of the same values must be byte-equal, and our decoding of ethers'
// bytes must give the values back. PT_ABI_SEED=<n> reproduces a run.
#include "wallet/abi/abi.hpp"

#include "support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <random>
#include <stdexcept>

using namespace pt;
using namespace pt::abi;
using nlohmann::json;

namespace {

constexpr int vector_count = 400;

// JSON as abi-vectors.js writes it -> a Value of type `t`. Throws on a shape mismatch (a
// bug in the test or the script).
Value fromJson(const Type& t, const json& j)
{
    switch (t.kind()) {
    case Type::Kind::uint: return Value::uint(*parseU256(j.get<std::string>()), t.bits());
    case Type::Kind::int_: {
        std::string s = j.get<std::string>();
        const bool negative = !s.empty() && s[0] == '-';
        const I256 magnitude = static_cast<I256>(*parseU256(negative ? s.substr(1) : s));
        return Value::int_(negative ? -magnitude : magnitude, t.bits());
    }
    case Type::Kind::boolean: return Value::boolean(j.get<bool>());
    case Type::Kind::address: return Value::address(*Address::fromHex(j.get<std::string>()));
    case Type::Kind::fixedBytes: return Value::fixedBytes(*fromHex(j.get<std::string>()));
    case Type::Kind::bytes: return Value::bytes(*fromHex(j.get<std::string>()));
    case Type::Kind::string: return Value::string(j.get<std::string>());
    case Type::Kind::array:
    case Type::Kind::fixedArray: {
        std::vector<Value> items;
        for (const auto& e : j) items.push_back(fromJson(t.element(), e));
        return t.kind() == Type::Kind::array ? Value::array(t.element(), std::move(items))
                                             : Value::fixedArray(t.element(), std::move(items));
    }
    case Type::Kind::tuple: {
        std::vector<Value> items;
        for (std::size_t i = 0; i < t.components().size(); ++i) items.push_back(fromJson(t.components()[i], j.at(i)));
        return Value::tuple(std::move(items));
    }
    }
    throw std::logic_error("unreachable");
}

std::uint64_t chooseSeed()
{
    if (const char* env = std::getenv("PT_ABI_SEED")) return std::strtoull(env, nullptr, 10);
    std::random_device rd;
    return (std::uint64_t{rd()} << 32 | rd()) % 1000000007u + 1;
}

} // namespace

TEST(AbiEthersCrossCheck, RandomValuesEncodeAndDecodeLikeEthers)
{
    const std::uint64_t seed = chooseSeed();
    SCOPED_TRACE("PT_ABI_SEED=" + std::to_string(seed));
    const auto run = test::runNode(test::sourcePath("tests/js/abi-vectors.js"),
                                   {std::to_string(vector_count), std::to_string(seed)}, {}, std::chrono::seconds(60));
    ASSERT_EQ(run.exitCode, 0) << run.err;
    const json vectors = json::parse(run.out);
    ASSERT_EQ(vectors.size(), static_cast<std::size_t>(vector_count));

    for (std::size_t i = 0; i < vectors.size(); ++i) {
        const json& v = vectors[i];
        SCOPED_TRACE("vector " + std::to_string(i) + ": " + v.at("types").dump());
        std::vector<Type> types;
        std::vector<Value> values;
        for (std::size_t k = 0; k < v.at("types").size(); ++k) {
            auto t = Type::parse(v.at("types")[k].get<std::string>());
            ASSERT_TRUE(t) << t.error().describe();
            types.push_back(*t);
            values.push_back(fromJson(*t, v.at("values")[k]));
        }
        const std::string theirs = v.at("encoded").get<std::string>();
        EXPECT_EQ(toHex(encode(values)), theirs);
        auto decoded = decode(types, *fromHex(theirs));
        ASSERT_TRUE(decoded) << decoded.error().describe();
        EXPECT_EQ(*decoded, values);
        if (HasFailure()) break;
    }
}
