// Ethereum transactions built and signed in-process: EIP-1559 (type 2) and legacy with
// EIP-155 replay protection. Pure values; sending is TransactionSender's job.
#pragma once

#include "wallet/common/bytes.hpp"
#include "wallet/common/wei.hpp"
#include "wallet/crypto/address.hpp"
#include "wallet/crypto/signer.hpp"

#include <cstdint>
#include <optional>

namespace pt::chain {

enum class TxType : std::uint8_t {
    legacy = 0,  // EIP-155: v = chainId * 2 + 35 + yParity
    eip1559 = 2, // 0x02 || rlp([...]), yParity as v
};

// An unsigned transaction. Fee fields: gasPrice for legacy; maxPriorityFeePerGas and
// maxFeePerGas for EIP-1559. The access list is always empty.
struct Transaction {
    TxType type = TxType::eip1559;
    U256 chainId = 0;
    std::uint64_t nonce = 0;
    U256 gasPrice = 0;
    U256 maxPriorityFeePerGas = 0;
    U256 maxFeePerGas = 0;
    std::uint64_t gasLimit = 0;
    std::optional<Address> to; // none: contract creation
    Wei value;
    Bytes data;

    bool operator==(const Transaction&) const = default;
};

struct SignedTransaction {
    Transaction tx;
    Signature signature; // v is 27 + yParity
    Bytes raw;           // what eth_sendRawTransaction takes
    Hash32 hash;         // keccak256(raw): the transaction hash
    Address from;
};

// The digest the sender signs.
[[nodiscard]] Hash32 signingHash(const Transaction& tx);
// Signs with `key`; chainId must be set (EIP-155 and EIP-1559 both need it).
[[nodiscard]] SignedTransaction signTransaction(const Transaction& tx, const PrivateKey& key);
// Parses a raw signed transaction (type 2, or legacy with EIP-155) and recovers its sender.
// Bounded by rlp::max_input_bytes; non-canonical encodings are rejected.
[[nodiscard]] Result<SignedTransaction> decodeSignedTransaction(ByteView raw);

// The address a contract created by `sender` with `nonce` gets: keccak(rlp([sender, nonce]))[12:].
[[nodiscard]] Address contractAddress(const Address& sender, std::uint64_t nonce);

} // namespace pt::chain
