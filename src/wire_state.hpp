// How a Nitro state travels in the extension's CHANNEL_PROPOSAL, PAYMENT and FINAL_STATE
// messages (docs/protocol.md, "State encoding"): the ABI encoding of
// (FixedPart fixed, VariablePart variable, uint48 turnNum, bool isFinal), with the structs
// as the adjudicator defines them. A peer can hash what it receives with the contract's own
// rules, and nothing about a state is implicit.
#pragma once

#include "wallet/nitro/state.hpp"

namespace paytorrent::core {

// A two-party state with a one-asset outcome is under 1 KiB; this bounds the decoder.
inline constexpr std::size_t max_wire_state_bytes = 4096;

[[nodiscard]] pt::Bytes encodeWireState(const pt::nitro::State& state);
// Refuses anything over max_wire_state_bytes, anything that does not decode, and states
// whose shape is invalid (validateShape).
[[nodiscard]] pt::Result<pt::nitro::State> decodeWireState(pt::ByteView bytes);

} // namespace paytorrent::core
