#include "wallet/abi/type.hpp"

#include <gtest/gtest.h>

using namespace pt;
using namespace pt::abi;

TEST(AbiType, ParsesElementaryTypesToCanonicalText)
{
    for (auto [text, canonical] : std::vector<std::pair<std::string, std::string>>{
             {"uint", "uint256"}, {"uint8", "uint8"}, {"uint48", "uint48"}, {"int", "int256"}, {"int16", "int16"},
             {"bool", "bool"}, {"address", "address"}, {"bytes", "bytes"}, {"bytes1", "bytes1"},
             {"bytes32", "bytes32"}, {"string", "string"}}) {
        auto t = Type::parse(text);
        ASSERT_TRUE(t) << text << ": " << t.error().describe();
        EXPECT_EQ(t->toString(), canonical);
    }
}

TEST(AbiType, ParsesTuplesArraysAndNames)
{
    auto t = Type::parse("tuple(address asset, bytes outcomeContent)[]");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->toString(), "(address,bytes)[]");
    EXPECT_EQ(t->kind(), Type::Kind::array);
    EXPECT_EQ(t->element().kind(), Type::Kind::tuple);
    EXPECT_EQ(t->element().components().size(), 2u);

    auto nested = Type::parse(" ( uint256 , (bytes32,uint256)[2] , string[3][] ) ");
    ASSERT_TRUE(nested);
    EXPECT_EQ(nested->toString(), "(uint256,(bytes32,uint256)[2],string[3][])");
    EXPECT_TRUE(nested->isDynamic());
    EXPECT_EQ(nested->depth(), 3u);
}

TEST(AbiType, StaticAndDynamicHeadSizes)
{
    EXPECT_EQ(Type::parse("uint8")->headSize(), 32u);
    EXPECT_FALSE(Type::parse("(uint256,bool,bytes32)")->isDynamic());
    EXPECT_EQ(Type::parse("(uint256,bool,bytes32)")->headSize(), 96u);
    EXPECT_EQ(Type::parse("uint256[3][2]")->headSize(), 192u);
    EXPECT_TRUE(Type::parse("bytes[2]")->isDynamic());
    EXPECT_EQ(Type::parse("bytes[2]")->headSize(), 32u);
    EXPECT_EQ(Type::parse("(uint256,bytes)")->headSize(), 32u);
}

TEST(AbiType, ParseListForSignatures)
{
    auto list = Type::parseList("(address,bytes32,uint256)");
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ((*list)[1].toString(), "bytes32");
    auto empty = Type::parseList("()");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(AbiType, RefusesBadText)
{
    for (std::string bad : {"", "uint7", "uint0", "uint264", "uint08", "int9", "bytes0", "bytes33", "foo", "()",
                            "uint256[0]", "uint256[", "uint256[x]", "(uint256", "(uint256,)", "uint256 extra junk",
                            "tuple", "bool8", "address20", "string1", "uint256[99999999999999999999999]"}) {
        auto t = Type::parse(bad);
        ASSERT_FALSE(t) << "'" << bad << "' parsed as " << t->toString();
        EXPECT_EQ(t.error().code, make_error_code(AbiError::bad_type)) << bad;
    }
}

TEST(AbiType, BoundsNestingAndLength)
{
    std::string deep = "uint256";
    for (std::size_t i = 0; i <= max_nesting_depth; ++i) deep += "[]";
    auto t = Type::parse(deep);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, make_error_code(AbiError::too_deep));

    std::string parens(10000, '(');
    auto p = Type::parse(parens);
    ASSERT_FALSE(p); // over max_type_text: refused before any recursion

    std::string deepTuple;
    for (std::size_t i = 0; i < 100; ++i) deepTuple += "(";
    deepTuple += "uint256";
    for (std::size_t i = 0; i < 100; ++i) deepTuple += ")";
    auto dt = Type::parse(deepTuple);
    ASSERT_FALSE(dt);
    EXPECT_EQ(dt.error().code, make_error_code(AbiError::too_deep));

    std::string ok = "uint256";
    for (std::size_t i = 0; i < max_nesting_depth; ++i) ok += "[]";
    EXPECT_TRUE(Type::parse(ok));
}

TEST(AbiType, FactoriesRefuseImpossibleTypes)
{
    EXPECT_THROW((void)Type::uint(7), std::invalid_argument);
    EXPECT_THROW((void)Type::fixedBytes(0), std::invalid_argument);
    EXPECT_THROW((void)Type::fixedBytes(33), std::invalid_argument);
    EXPECT_THROW((void)Type::tuple({}), std::invalid_argument);
    EXPECT_THROW((void)Type::fixedArray(Type::uint(), 0), std::invalid_argument);
    EXPECT_EQ(Type::fixedArray(Type::address(), 2).toString(), "address[2]");
}
