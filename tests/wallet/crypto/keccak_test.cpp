#include "wallet/crypto/keccak.hpp"

#include "support/process.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

using namespace pt;

TEST(Keccak256, EmptyInputIsTheKnownConstant)
{
    EXPECT_EQ(keccak256(std::string_view("")).hex(),
              "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, PublishedShortVectors)
{
    EXPECT_EQ(keccak256(std::string_view("abc")).hex(),
              "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    EXPECT_EQ(keccak256(std::string_view("The quick brown fox jumps over the lazy dog")).hex(),
              "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

TEST(Keccak256, IsNotSha3)
{
    // SHA3-256("") is a7ffc6f8...; the 0x01 padding must give a different digest.
    EXPECT_NE(keccak256(std::string_view("")).hex(),
              "0xa7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

TEST(Keccak256, IncrementalEqualsOneShotAcrossBlockBoundaries)
{
    std::mt19937 rng(7);
    for (std::size_t len : {0u, 1u, 7u, 8u, 135u, 136u, 137u, 271u, 272u, 273u, 1000u}) {
        Bytes data(len);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        const Hash32 oneShot = keccak256(data);
        for (std::size_t split = 0; split <= len; split += 13) {
            Keccak256 h;
            h.update(ByteView(data).subspan(0, split));
            h.update(ByteView(data).subspan(split));
            EXPECT_EQ(h.finalize(), oneShot) << "len " << len << " split " << split;
        }
    }
}

// Multi-block inputs of every length around the rate, compared with the reference
// implementation ethers uses (js-sha3), run at test time.
TEST(Keccak256, MatchesJsSha3ForManyLengths)
{
    std::mt19937 rng(42);
    std::ostringstream input;
    std::vector<Hash32> ours;
    for (std::size_t len = 0; len <= 700; len += (len < 300 ? 1 : 17)) {
        Bytes data(len);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        input << (len == 0 ? "-" : toHex(data, false)) << "\n";
        ours.push_back(keccak256(data));
    }
    auto r = test::runNode(test::sourcePath("tests/js/keccak.js"), {}, input.str());
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    std::size_t i = 0;
    while (std::getline(lines, line)) {
        ASSERT_LT(i, ours.size());
        EXPECT_EQ("0x" + line, ours[i].hex()) << "case " << i;
        ++i;
    }
    EXPECT_EQ(i, ours.size());
}
