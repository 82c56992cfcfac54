// Keystore files on disk: written atomically with mode 0600, read only when private.
#pragma once

#include "wallet/common/result.hpp"
#include "wallet/keystore/keystore.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace pt {

// Losing a key file loses the money in its channels, so replacing one must be asked for.
enum class KeyFileOverwrite { refuse, replace };

// Writes `contents` to `path` atomically: a fresh 0600 temporary file in the same directory,
// written and fsync'ed, then moved into place (link(2) when refusing to overwrite, so an
// existing file is never clobbered, else rename(2)), then the directory is fsync'ed.
// A crash leaves either the old file or the new one, never a torn one.
[[nodiscard]] Status writeKeyFile(const std::filesystem::path& path, std::string_view contents,
                                  KeyFileOverwrite overwrite = KeyFileOverwrite::refuse);

// Reads a key file of at most max_keystore_bytes. Refuses (insecure_permissions) a file that
// group or others may read or write, as ssh does for private keys: a secret that others can
// read should be moved to a new key, not used silently. The message says how to fix the mode.
[[nodiscard]] Result<std::string> readKeyFile(const std::filesystem::path& path);

// encryptKeystore + writeKeyFile.
[[nodiscard]] Status saveKeystore(const std::filesystem::path& path, const PrivateKey& key,
                                  std::string_view password, const ScryptParams& params = {},
                                  KeyFileOverwrite overwrite = KeyFileOverwrite::refuse);
// readKeyFile + decryptKeystore.
[[nodiscard]] Result<PrivateKey> loadKeystore(const std::filesystem::path& path, std::string_view password);

} // namespace pt
