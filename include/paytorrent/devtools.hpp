// Developer tools the front ends expose (`paytorrent-cli nitro hash`): inspecting the wallet's
// protocol values without reaching into wallet/ headers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace paytorrent::devtools {

// Largest State JSON accepted on input (the wallet's limit for State JSON: 1 MiB). A front
// end reading standard input stops reading past this and reports the input as too large.
inline constexpr std::size_t max_nitro_state_input = 1u << 20;

// The outcome of nitroHash: `output` on success, else `error` (one line, never containing
// the key).
struct NitroHashResult {
    std::optional<std::string> output; // one JSON object, one line, no trailing newline
    std::string error;
};

// Reads one state in nitro-protocol's `State` JSON shape and returns
//   {"channelId", "appPartHash", "outcomeHash", "stateHash"}  (0x-prefixed lowercase hex)
// plus "signature": {"v", "r", "s"} (v 27 or 28) when a 32-byte hex private key is given
// (signed over the Ethereum-prefixed state hash, as nitro-protocol's signState does).
// The key string is wiped before returning. Every failure is malformed input.
[[nodiscard]] NitroHashResult nitroHash(std::string_view stateJson, std::optional<std::string> signKeyHex);

} // namespace paytorrent::devtools
