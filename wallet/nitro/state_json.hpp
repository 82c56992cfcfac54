// The reference library's `State` JSON shape (nitro-protocol 0.17.3, lib/src/contract/state.d.ts):
//
//   { "channel": { "chainId": "1", "participants": ["0x..", ...], "channelNonce": 7 },
//     "turnNum": 5, "isFinal": false, "challengeDuration": 60,
//     "appDefinition": "0x..", "appData": "0x..",
//     "outcome": [ { "asset": "0x..", "allocationItems": [ { "destination": "0x<32 bytes>",
//                                                           "amount": "0x.." } ] } ] }
//
// Integers (chainId, channelNonce, turnNum, challengeDuration) as JSON numbers or decimal
// strings; amounts as 0x-hex or decimal strings; addresses as 40 hex digits (mixed case must
// be a valid EIP-55 checksum). Unknown fields are ignored. Parsing is for untrusted input:
// bounded in size and depth, every error typed and naming the field.
#pragma once

#include "wallet/nitro/state.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace pt::nitro {

// Largest State JSON text accepted: a state with the maximum outcome (2000 items of about
// 130 bytes) stays under it; anything bigger is not a state we would sign.
inline constexpr std::size_t max_state_json = 1u << 20;
// Deepest bracket nesting accepted in State JSON (the shape itself needs 4).
inline constexpr std::size_t max_state_json_depth = 16;

enum class StateJsonError {
    too_large = 1,  // over max_state_json bytes or max_state_json_depth
    invalid_json,   // not JSON at all
    missing_field,  // a required field is absent
    wrong_type,     // a field of the wrong JSON type (or a non-integer number)
    out_of_range,   // a number over its type (uint48 fields, uint256, more than 255 participants)
    bad_hex,        // hex that does not parse or has the wrong length
    bad_address,    // an address that is not 20 bytes or fails its EIP-55 checksum
};
const std::error_category& stateJsonErrorCategory() noexcept;
inline std::error_code make_error_code(StateJsonError e) noexcept
{
    return {static_cast<int>(e), stateJsonErrorCategory()};
}

// Parses State JSON text; the error message names the field ("channel.participants[1]: ...").
[[nodiscard]] Result<State> parseStateJson(std::string_view text);
// The same from parsed JSON (depth is the caller's concern here).
[[nodiscard]] Result<State> stateFromJson(const nlohmann::json& j);

// The reference shape: chainId as a decimal string, channelNonce/turnNum/challengeDuration
// as numbers, addresses EIP-55 checksummed, destinations and appData lowercase hex, amounts
// as 0x-hex. parseStateJson(printStateJson(s)) == s.
[[nodiscard]] nlohmann::json stateToJson(const State& state);
[[nodiscard]] std::string printStateJson(const State& state);

} // namespace pt::nitro

template <>
struct std::is_error_code_enum<pt::nitro::StateJsonError> : std::true_type {};
