// secp256k1 keys and recoverable ECDSA signatures as Ethereum uses them, over libsecp256k1
// (one randomized context for the process). Signing uses RFC 6979 nonces and yields low-s
// signatures, so the same key and digest give the same bytes as ethers.
#pragma once

#include "wallet/common/bytes.hpp"
#include "wallet/crypto/address.hpp"

namespace pt {

enum class CryptoError {
    invalid_private_key = 1, // zero, or not below the curve order
    invalid_signature,       // r/s out of range, or v not 27/28 (or 0/1)
    recovery_failed,         // no public key recovers from this signature and digest
    rng_failed,              // the OS random source failed
};
const std::error_category& cryptoErrorCategory() noexcept;
inline std::error_code make_error_code(CryptoError e) noexcept
{
    return {static_cast<int>(e), cryptoErrorCategory()};
}

// A recoverable signature. v is 27 or 28 (Ethereum convention).
struct Signature {
    Bytes32 r;
    Bytes32 s;
    std::uint8_t v = 27;

    auto operator<=>(const Signature&) const = default;

    // Off-chain form: r || s || v, 65 bytes.
    [[nodiscard]] FixedBytes<65> toBytes65() const;
    // Accepts v as 27/28 or 0/1; rejects anything else.
    [[nodiscard]] static Result<Signature> fromBytes65(ByteView b);
};

// A private key. The secret is wiped when the object dies; it is never printed or logged.
class PrivateKey {
public:
    PrivateKey(const PrivateKey&) = default;
    PrivateKey& operator=(const PrivateKey&) = default;
    ~PrivateKey();

    // A new random key from the OS random source.
    [[nodiscard]] static Result<PrivateKey> generate();
    // Exactly 32 bytes, 0 < k < n.
    [[nodiscard]] static Result<PrivateKey> fromBytes(ByteView secret);
    // 64 hex digits, with or without "0x". The text is the caller's to wipe.
    [[nodiscard]] static Result<PrivateKey> fromHex(std::string_view hex);

    [[nodiscard]] const Address& address() const noexcept { return address_; }
    // Uncompressed public key without the 0x04 prefix (64 bytes).
    [[nodiscard]] const FixedBytes<64>& publicKey() const noexcept { return pub_; }
    // The raw secret, for the keystore only.
    [[nodiscard]] const FixedBytes<32>& secret() const noexcept { return secret_; }

    // Recoverable ECDSA over a 32-byte digest (already hashed).
    [[nodiscard]] Signature signDigest(const Hash32& digest) const;

private:
    PrivateKey() = default;
    FixedBytes<32> secret_;
    FixedBytes<64> pub_;
    Address address_;
};

// The address whose key made `sig` over `digest`.
[[nodiscard]] Result<Address> recoverAddress(const Hash32& digest, const Signature& sig);
// The address of an uncompressed public key (64 bytes, no prefix): last 20 bytes of its Keccak.
[[nodiscard]] Address addressFromPublicKey(const FixedBytes<64>& pub);
// keccak256("\x19Ethereum Signed Message:\n32" || hash): the digest Nitro signs.
[[nodiscard]] Hash32 ethSignedMessageDigest(const Hash32& hash);

} // namespace pt

template <>
struct std::is_error_code_enum<pt::CryptoError> : std::true_type {};
