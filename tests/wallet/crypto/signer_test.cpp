#include "wallet/crypto/signer.hpp"

#include "wallet/crypto/keccak.hpp"
#include "wallet/common/wei.hpp"

#include <gtest/gtest.h>

using namespace pt;

TEST(PrivateKey, KnownAddresses)
{
    auto one = PrivateKey::fromHex("0x0000000000000000000000000000000000000000000000000000000000000001");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->address().toChecksum(), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");

    // anvil's first development account
    auto dev = PrivateKey::fromHex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->address().toChecksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
}

TEST(PrivateKey, RejectsInvalidSecrets)
{
    EXPECT_FALSE(PrivateKey::fromHex(std::string(64, '0')));
    // the curve order n itself
    auto n = PrivateKey::fromHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, CryptoError::invalid_private_key);
    EXPECT_FALSE(PrivateKey::fromHex("1234"));
    EXPECT_FALSE(PrivateKey::fromHex(std::string(64, 'g')));
}

TEST(Signer, SignRecoverRoundTripWithLowS)
{
    // Half the curve order: a valid low-s signature has s <= this.
    const auto halfOrder = Bytes32::fromHex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
    ASSERT_TRUE(halfOrder);
    for (int i = 0; i < 50; ++i) {
        auto key = PrivateKey::generate();
        ASSERT_TRUE(key);
        const Hash32 digest = keccak256(std::string_view("message " + std::to_string(i)));
        const Signature sig = key->signDigest(digest);
        EXPECT_TRUE(sig.v == 27 || sig.v == 28);
        EXPECT_LE(sig.s, *halfOrder);
        auto who = recoverAddress(digest, sig);
        ASSERT_TRUE(who);
        EXPECT_EQ(*who, key->address());

        // Another digest recovers someone else.
        auto other = recoverAddress(keccak256(std::string_view("other")), sig);
        if (other) {
            EXPECT_NE(*other, key->address());
        }
    }
}

TEST(Signer, DeterministicRfc6979)
{
    auto key = PrivateKey::fromHex(std::string(63, '1') + "1");
    ASSERT_TRUE(key);
    const Hash32 d = keccak256(std::string_view("x"));
    EXPECT_EQ(key->signDigest(d), key->signDigest(d));
}

TEST(Signer, RejectsMalformedSignatures)
{
    auto key = PrivateKey::generate();
    ASSERT_TRUE(key);
    const Hash32 d = keccak256(std::string_view("x"));
    Signature sig = key->signDigest(d);

    Signature badV = sig;
    badV.v = 29;
    EXPECT_FALSE(recoverAddress(d, badV));

    Signature zeroR = sig;
    zeroR.r = Bytes32{};
    EXPECT_FALSE(recoverAddress(d, zeroR));

    auto b65 = sig.toBytes65();
    auto back = Signature::fromBytes65(b65.view());
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, sig);
    EXPECT_FALSE(Signature::fromBytes65(ByteView(b65.bytes).subspan(0, 64)));
    b65.bytes[64] = 0; // 0/1 form is accepted as 27/28
    auto zeroV = Signature::fromBytes65(b65.view());
    ASSERT_TRUE(zeroV);
    EXPECT_EQ(zeroV->v, 27);
}

TEST(Signer, HighSIsRefused)
{
    auto key = PrivateKey::generate();
    ASSERT_TRUE(key);
    const Hash32 d = keccak256(std::string_view("y"));
    Signature sig = key->signDigest(d);
    // s' = n - s
    const U256 n("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    Signature high = sig;
    high.s = toWord(n - fromWord(sig.s));
    high.v = sig.v == 27 ? 28 : 27;
    auto r = recoverAddress(d, high);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, CryptoError::invalid_signature);
}

TEST(Signer, EthSignedMessageDigestUsesThePrefix)
{
    const Hash32 h = keccak256(std::string_view("state"));
    Bytes prefixed;
    const std::string prefix = "\x19" "Ethereum Signed Message:\n32";
    prefixed.insert(prefixed.end(), prefix.begin(), prefix.end());
    prefixed.insert(prefixed.end(), h.bytes.begin(), h.bytes.end());
    EXPECT_EQ(ethSignedMessageDigest(h), keccak256(prefixed));
}
