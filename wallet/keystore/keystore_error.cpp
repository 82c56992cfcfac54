#include "wallet/keystore/keystore_error.hpp"

#include <string>

namespace pt {
namespace {

class KeystoreErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "keystore"; }
    std::string message(int ev) const override
    {
        switch (static_cast<KeystoreError>(ev)) {
        case KeystoreError::wrong_password: return "wrong password";
        case KeystoreError::malformed: return "malformed keystore";
        case KeystoreError::too_large: return "keystore too large";
        case KeystoreError::unsupported_version: return "unsupported keystore version";
        case KeystoreError::unsupported_kdf: return "unsupported key derivation function";
        case KeystoreError::unsupported_cipher: return "unsupported cipher";
        case KeystoreError::invalid_kdf_params: return "key derivation parameters out of range";
        case KeystoreError::address_mismatch: return "keystore address does not match its key";
        case KeystoreError::invalid_key: return "keystore holds an invalid private key";
        case KeystoreError::crypto_failed: return "cryptographic operation failed";
        case KeystoreError::io_failed: return "keystore file I/O failed";
        case KeystoreError::insecure_permissions: return "keystore file is accessible to other users";
        case KeystoreError::already_exists: return "keystore file already exists";
        }
        return "unknown keystore error";
    }
};

} // namespace

const std::error_category& keystoreErrorCategory() noexcept
{
    static const KeystoreErrorCategory category;
    return category;
}

} // namespace pt
