#include "wallet/crypto/secure.hpp"

#include <openssl/crypto.h>

namespace pt {

void secureWipe(void* p, std::size_t n) noexcept { OPENSSL_cleanse(p, n); }

} // namespace pt
