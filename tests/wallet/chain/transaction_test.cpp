#include "wallet/chain/transaction.hpp"

#include "wallet/chain/rlp.hpp"

#include <gtest/gtest.h>

namespace pt::chain {
namespace {

Bytes hex(std::string_view h)
{
    return fromHex(h).value();
}

// The example of EIP-155 (https://eips.ethereum.org/EIPS/eip-155): key 0x46..46, nonce 9,
// 20 gwei, 21000 gas, to 0x35..35, 1 ether, chain 1.
Transaction eip155Example()
{
    Transaction tx;
    tx.type = TxType::legacy;
    tx.chainId = 1;
    tx.nonce = 9;
    tx.gasPrice = U256(20'000'000'000ULL);
    tx.gasLimit = 21000;
    tx.to = Address::fromHex("0x3535353535353535353535353535353535353535").value();
    tx.value = Wei(U256(1'000'000'000'000'000'000ULL));
    return tx;
}

TEST(Transaction, MatchesTheEip155Example)
{
    const Transaction tx = eip155Example();
    EXPECT_EQ(signingHash(tx).hex(), "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    const auto key = PrivateKey::fromHex("4646464646464646464646464646464646464646464646464646464646464646").value();
    const SignedTransaction s = signTransaction(tx, key);
    EXPECT_EQ(toHex(s.raw),
              "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef6134"
              "0bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc6421"
              "4b297fb1966a3b6d83");
    EXPECT_EQ(s.from, key.address());
}

TEST(Transaction, Eip1559SignedTransactionRecoversToTheSigner)
{
    const auto key = PrivateKey::fromHex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
    Transaction tx;
    tx.chainId = 31337;
    tx.nonce = 7;
    tx.maxPriorityFeePerGas = 1'000'000'000;
    tx.maxFeePerGas = 3'000'000'000;
    tx.gasLimit = 100'000;
    tx.to = Address::fromHex("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").value();
    tx.value = Wei(12345);
    tx.data = hex("deadbeef");
    const SignedTransaction s = signTransaction(tx, key);
    ASSERT_EQ(s.raw[0], 0x02);

    auto decoded = decodeSignedTransaction(s.raw);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    EXPECT_EQ(decoded->tx, tx);
    EXPECT_EQ(decoded->from, key.address());
    EXPECT_EQ(decoded->hash, s.hash);
    EXPECT_EQ(decoded->signature, s.signature);

    // The payload is [chainId, nonce, tip, maxFee, gas, to, value, data, accessList, y, r, s].
    auto items = rlp::decode(ByteView(s.raw).subspan(1));
    ASSERT_TRUE(items);
    ASSERT_EQ(items->items.size(), 12u);
    EXPECT_EQ(rlp::toUint(items->items[0]).value(), 31337);
    EXPECT_EQ(rlp::toUint(items->items[1]).value(), 7);
    EXPECT_EQ(items->items[5].bytes, Bytes(tx.to->bytes.begin(), tx.to->bytes.end()));
    EXPECT_TRUE(items->items[8].isList);
    EXPECT_LE(rlp::toUint(items->items[9]).value(), 1);
}

TEST(Transaction, LegacyRoundTripKeepsChainIdAndSender)
{
    const auto key = PrivateKey::fromHex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d").value();
    Transaction tx = eip155Example();
    tx.chainId = 31337;
    tx.to.reset(); // contract creation
    tx.data = hex("6000");
    const SignedTransaction s = signTransaction(tx, key);
    auto decoded = decodeSignedTransaction(s.raw);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    EXPECT_EQ(decoded->tx, tx);
    EXPECT_EQ(decoded->from, key.address());
}

TEST(Transaction, TamperedTransactionRecoversToSomeoneElse)
{
    const auto key = PrivateKey::fromHex("4646464646464646464646464646464646464646464646464646464646464646").value();
    const SignedTransaction s = signTransaction(eip155Example(), key);
    Bytes raw = s.raw;
    raw[3] ^= 0x01; // inside the gas price
    auto decoded = decodeSignedTransaction(raw);
    // Either the tampered bytes no longer decode, or they recover to another address.
    if (decoded) {
        EXPECT_NE(decoded->from, key.address());
    }
}

TEST(Transaction, RejectsMalformedRawTransactions)
{
    EXPECT_FALSE(decodeSignedTransaction({}));
    EXPECT_FALSE(decodeSignedTransaction(hex("01c0"))); // EIP-2930 is not supported
    EXPECT_FALSE(decodeSignedTransaction(hex("02c0"))); // too few fields
    // A pre-EIP-155 signature (v = 27) has no replay protection and is refused.
    const std::vector<Bytes> f = {rlp::encodeUint(0), rlp::encodeUint(1), rlp::encodeUint(21000), rlp::encodeString({}),
                                  rlp::encodeUint(0), rlp::encodeString({}), rlp::encodeUint(27), rlp::encodeUint(1),
                                  rlp::encodeUint(1)};
    auto pre155 = decodeSignedTransaction(rlp::encodeList(f));
    ASSERT_FALSE(pre155);
    EXPECT_NE(pre155.error().message.find("EIP-155"), std::string::npos);
}

TEST(Transaction, ContractAddressFollowsSenderAndNonce)
{
    // Known values: the first two contracts of 0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0.
    const auto sender = Address::fromHex("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0").value();
    EXPECT_EQ(contractAddress(sender, 0).hex(), "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d");
    EXPECT_EQ(contractAddress(sender, 1).hex(), "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8");
}

} // namespace
} // namespace pt::chain
