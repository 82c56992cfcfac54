// Errors of the keystore: reading, decrypting and writing Ethereum V3 JSON key files.
#pragma once

#include "wallet/common/result.hpp"

#include <system_error>

namespace pt {

enum class KeystoreError {
    wrong_password = 1,   // the MAC does not match: the password is wrong (or the file was altered)
    malformed,            // not JSON, or a field is missing, mistyped or of the wrong size
    too_large,            // the file or JSON is above max_keystore_bytes
    unsupported_version,  // "version" is not 3
    unsupported_kdf,      // a KDF other than scrypt / pbkdf2 (hmac-sha256, hmac-sha512)
    unsupported_cipher,   // a cipher other than aes-128-ctr
    invalid_kdf_params,   // KDF parameters out of range (n not a power of two, too costly, ...)
    address_mismatch,     // the "address" field is not the address of the decrypted key
    invalid_key,          // the decrypted bytes are not a valid secp256k1 private key
    crypto_failed,        // OpenSSL or the OS random source failed
    io_failed,            // a file could not be read, written, synced or renamed
    insecure_permissions, // the key file is accessible to other users (group/other mode bits)
    already_exists,       // refusing to replace an existing key file
};
const std::error_category& keystoreErrorCategory() noexcept;
inline std::error_code make_error_code(KeystoreError e) noexcept
{
    return {static_cast<int>(e), keystoreErrorCategory()};
}

} // namespace pt

template <>
struct std::is_error_code_enum<pt::KeystoreError> : std::true_type {};
