// The NitroAdjudicator's struct parameters as ABI values, for building call data
// (challenge, checkpoint, conclude...) and decoding event data. Struct layouts are those of
// ForceMove.sol / IForceMove.sol in nitro-protocol 0.17.3.
#pragma once

#include "wallet/abi/abi.hpp"
#include "wallet/nitro/state.hpp"

namespace pt::nitro {

// (uint256 chainId, address[] participants, uint48 channelNonce, address appDefinition,
//  uint48 challengeDuration)
[[nodiscard]] const abi::Type& fixedPartType();
// (bytes outcome, bytes appData)
[[nodiscard]] const abi::Type& variablePartType();
// (uint8 v, bytes32 r, bytes32 s)
[[nodiscard]] const abi::Type& signatureType();

// uint48 fields above 2^48 - 1 are a programmer error here (validateShape first): throws.
[[nodiscard]] abi::Value fixedPartValue(const FixedPart& fixed);
[[nodiscard]] abi::Value variablePartValue(const State& state); // encodeOutcome + appData
[[nodiscard]] abi::Value signatureValue(const Signature& sig);

} // namespace pt::nitro
