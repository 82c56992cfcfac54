// The Ethereum V3 JSON keystore ("Web3 Secret Storage"), readable and writable by geth,
// ethers and other wallets: scrypt (or pbkdf2 on reading), AES-128-CTR, Keccak-256 MAC.
//
// Passwords are used as the exact bytes given (as geth does). ethers NFKC-normalises a
// password string first; the two agree for ASCII and for text already in NFKC form.
#pragma once

#include "wallet/common/result.hpp"
#include "wallet/crypto/signer.hpp"
#include "wallet/keystore/keystore_error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pt {

// A keystore is ~500 bytes; ethers adds an encrypted mnemonic (~1 KiB). Anything much larger
// is not a key file, and the limit bounds what the JSON parser is given.
inline constexpr std::size_t max_keystore_bytes = 64 * 1024;
// Salts are 32 bytes in practice; the bound only keeps the KDF input sane.
inline constexpr std::size_t max_kdf_salt_bytes = 1024;
// scrypt needs 128 * r * n bytes of memory. 1 GiB admits geth's "standard" (n = 2^18, r = 8,
// 256 MiB) with room to spare, and refuses files crafted to exhaust memory.
inline constexpr std::uint64_t max_scrypt_memory_bytes = std::uint64_t{1} << 30;
// p multiplies the time scrypt takes; every known wallet uses 1.
inline constexpr std::uint32_t max_scrypt_p = 16;
// pbkdf2 iteration count: geth writes 262144; ten million takes several seconds already.
inline constexpr std::uint64_t max_pbkdf2_iterations = 10'000'000;

// scrypt cost when writing. The defaults are ethers' and geth's light-but-safe choice
// (n = 2^17, about 128 MiB and a fraction of a second); tests pass a small n.
struct ScryptParams {
    std::uint64_t n = std::uint64_t{1} << 17; // a power of two, > 1
    std::uint32_t r = 8;
    std::uint32_t p = 1;
};

// Encrypts `key` under `password` as V3 JSON with a fresh random salt, IV and uuid.
// Fails only on parameters out of range (invalid_kdf_params) or an OpenSSL / RNG failure.
[[nodiscard]] Result<std::string> encryptKeystore(const PrivateKey& key, std::string_view password,
                                                  const ScryptParams& params = {});

// Decrypts V3 JSON written by this code, geth, ethers or others (scrypt, or pbkdf2 with
// hmac-sha256 / hmac-sha512). A wrong password is KeystoreError::wrong_password.
[[nodiscard]] Result<PrivateKey> decryptKeystore(std::string_view json, std::string_view password);

} // namespace pt
