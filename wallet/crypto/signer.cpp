#include "wallet/crypto/signer.hpp"

#include "wallet/crypto/keccak.hpp"
#include "wallet/crypto/secure.hpp"

#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <stdexcept>

namespace pt {
namespace {

class CryptoErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "crypto"; }
    std::string message(int ev) const override
    {
        switch (static_cast<CryptoError>(ev)) {
        case CryptoError::invalid_private_key: return "invalid private key";
        case CryptoError::invalid_signature: return "invalid signature";
        case CryptoError::recovery_failed: return "signature does not recover to a public key";
        case CryptoError::rng_failed: return "random source failed";
        }
        return "unknown crypto error";
    }
};

// One context for the process, randomized once against side channels. libsecp256k1
// contexts are safe to share between threads for signing and verification once created.
const secp256k1_context* context()
{
    static secp256k1_context* const ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        unsigned char seed[32];
        if (RAND_bytes(seed, sizeof seed) != 1 || !secp256k1_context_randomize(c, seed))
            throw std::runtime_error("cannot randomize the secp256k1 context");
        secureWipe(seed, sizeof seed);
        return c;
    }();
    return ctx;
}

FixedBytes<64> serializeUncompressed(const secp256k1_pubkey& pk)
{
    unsigned char out[65];
    size_t len = sizeof out;
    secp256k1_ec_pubkey_serialize(context(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    FixedBytes<64> pub;
    std::copy(out + 1, out + 65, pub.bytes.begin());
    return pub;
}

} // namespace

const std::error_category& cryptoErrorCategory() noexcept
{
    static const CryptoErrorCategory category;
    return category;
}

FixedBytes<65> Signature::toBytes65() const
{
    FixedBytes<65> out;
    std::copy(r.bytes.begin(), r.bytes.end(), out.bytes.begin());
    std::copy(s.bytes.begin(), s.bytes.end(), out.bytes.begin() + 32);
    out.bytes[64] = v;
    return out;
}

Result<Signature> Signature::fromBytes65(ByteView b)
{
    if (b.size() != 65) return makeError(CryptoError::invalid_signature, "a signature has 65 bytes");
    Signature sig;
    std::copy(b.begin(), b.begin() + 32, sig.r.bytes.begin());
    std::copy(b.begin() + 32, b.begin() + 64, sig.s.bytes.begin());
    std::uint8_t v = b[64];
    if (v == 0 || v == 1) v = static_cast<std::uint8_t>(v + 27);
    if (v != 27 && v != 28) return makeError(CryptoError::invalid_signature, "signature v must be 27 or 28");
    sig.v = v;
    return sig;
}

PrivateKey::~PrivateKey() { secureWipe(secret_.data(), secret_.size()); }

Result<PrivateKey> PrivateKey::generate()
{
    FixedBytes<32> secret;
    for (int attempt = 0; attempt < 16; ++attempt) {
        if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1)
            return makeError(CryptoError::rng_failed);
        auto key = fromBytes(secret.view());
        if (key) {
            secureWipe(secret.data(), secret.size());
            return key;
        }
    }
    secureWipe(secret.data(), secret.size());
    return makeError(CryptoError::rng_failed, "no valid key after 16 draws");
}

Result<PrivateKey> PrivateKey::fromBytes(ByteView secret)
{
    if (secret.size() != 32)
        return makeError(CryptoError::invalid_private_key, "a private key has 32 bytes");
    PrivateKey key;
    std::copy(secret.begin(), secret.end(), key.secret_.bytes.begin());
    if (!secp256k1_ec_seckey_verify(context(), key.secret_.data()))
        return makeError(CryptoError::invalid_private_key, "private key is zero or not below the curve order");
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(context(), &pk, key.secret_.data()))
        return makeError(CryptoError::invalid_private_key);
    key.pub_ = serializeUncompressed(pk);
    key.address_ = addressFromPublicKey(key.pub_);
    return key;
}

Result<PrivateKey> PrivateKey::fromHex(std::string_view hex)
{
    auto raw = ::pt::fromHex(hex);
    if (!raw) return makeError(CryptoError::invalid_private_key, "a private key is 64 hex digits");
    auto key = fromBytes(*raw);
    secureWipe(raw->data(), raw->size());
    return key;
}

Signature PrivateKey::signDigest(const Hash32& digest) const
{
    secp256k1_ecdsa_recoverable_signature rs;
    // Default nonce function: RFC 6979, which is what ethers uses, so signatures match.
    if (!secp256k1_ecdsa_sign_recoverable(context(), &rs, digest.data(), secret_.data(), nullptr, nullptr))
        throw std::logic_error("secp256k1 signing failed with a verified key");
    unsigned char compact[64];
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recid, &rs);
    Signature sig;
    std::copy(compact, compact + 32, sig.r.bytes.begin());
    std::copy(compact + 32, compact + 64, sig.s.bytes.begin());
    sig.v = static_cast<std::uint8_t>(27 + recid); // libsecp256k1 signs low-s already
    return sig;
}

Result<Address> recoverAddress(const Hash32& digest, const Signature& sig)
{
    if (sig.v != 27 && sig.v != 28) return makeError(CryptoError::invalid_signature, "signature v must be 27 or 28");
    unsigned char compact[64];
    std::copy(sig.r.bytes.begin(), sig.r.bytes.end(), compact);
    std::copy(sig.s.bytes.begin(), sig.s.bytes.end(), compact + 32);
    secp256k1_ecdsa_recoverable_signature rs;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rs, compact, sig.v - 27))
        return makeError(CryptoError::invalid_signature, "signature r or s out of range");
    // Ethereum rejects high-s signatures (EIP-2); so do we, so a signature has one form only.
    secp256k1_ecdsa_signature plain;
    secp256k1_ecdsa_recoverable_signature_convert(context(), &plain, &rs);
    if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &plain))
        return makeError(CryptoError::invalid_signature, "signature s is not in the lower half of the order");
    secp256k1_pubkey pk;
    if (!secp256k1_ecdsa_recover(context(), &pk, &rs, digest.data()))
        return makeError(CryptoError::recovery_failed);
    return addressFromPublicKey(serializeUncompressed(pk));
}

Address addressFromPublicKey(const FixedBytes<64>& pub)
{
    const Hash32 h = keccak256(pub.view());
    Address a;
    std::copy(h.bytes.begin() + 12, h.bytes.end(), a.bytes.begin());
    return a;
}

Hash32 ethSignedMessageDigest(const Hash32& hash)
{
    return Keccak256{}.update(std::string_view("\x19" "Ethereum Signed Message:\n32")).update(hash.view()).finalize();
}

} // namespace pt
