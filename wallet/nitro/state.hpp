// Nitro (ForceMove) states as nitro-protocol 0.17.3 defines them, and the hashes and
// signatures the NitroAdjudicator checks. Pure functions over values.
// See docs/architecture.md and ../shared/reference/nitro-0.17.3.md.
#pragma once

#include "wallet/common/bytes.hpp"
#include "wallet/common/wei.hpp"
#include "wallet/crypto/address.hpp"
#include "wallet/crypto/signer.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace pt::nitro {

using ChannelId = Bytes32;

enum class NitroError {
    malformed_outcome = 1,  // outcome bytes that do not decode
    unsupported_outcome,    // a guarantee, or an asset outcome type other than allocation
    malformed_state,        // a field out of its range (uint48 overflow, ...)
};
const std::error_category& nitroErrorCategory() noexcept;
inline std::error_code make_error_code(NitroError e) noexcept
{
    return {static_cast<int>(e), nitroErrorCategory()};
}

struct AllocationItem {
    Bytes32 destination; // external address left-padded, or a channel id
    Wei amount;
    bool operator==(const AllocationItem&) const = default;
};

// One asset's outcome. Only allocations are supported; a guarantee decodes to an error.
struct AssetOutcome {
    Address asset; // 0x0 = ETH
    std::vector<AllocationItem> allocationItems;
    bool operator==(const AssetOutcome&) const = default;
};
using Outcome = std::vector<AssetOutcome>;

// uint48 fields are held in uint64_t; values above 2^48 - 1 are malformed.
inline constexpr std::uint64_t max_uint48 = (std::uint64_t{1} << 48) - 1;
// ForceMove indexes participants with uint8 and requires at most 255 of them.
inline constexpr std::size_t max_participants = 255;
// Outcome size limits, as the reference library's MAX_OUTCOME_ITEMS (2000): far beyond a
// payment channel's one asset and two items, and low enough to bound work on hostile input.
inline constexpr std::size_t max_outcome_assets = 2000;
inline constexpr std::size_t max_allocation_items = 2000;

struct FixedPart {
    U256 chainId;
    std::vector<Address> participants;
    std::uint64_t channelNonce = 0;      // uint48 on chain
    Address appDefinition;
    std::uint64_t challengeDuration = 0; // uint48, seconds
    bool operator==(const FixedPart&) const = default;
};

struct State {
    FixedPart fixed;
    std::uint64_t turnNum = 0; // uint48 on chain
    bool isFinal = false;
    Bytes appData;
    Outcome outcome;
    bool operator==(const State&) const = default;
};

// A state with the signatures collected so far, indexed like fixed.participants.
struct SignedState {
    State state;
    std::vector<std::optional<Signature>> signatures;
};

// abi.encode(tuple(address asset, bytes assetOutcomeBytes)[]) with allocation type 0.
[[nodiscard]] Bytes encodeOutcome(const Outcome& outcome);
// Inverse of encodeOutcome; guarantees are reported as unsupported_outcome.
[[nodiscard]] Result<Outcome> decodeOutcome(ByteView outcomeBytes);

[[nodiscard]] ChannelId channelId(const FixedPart& fixed);
[[nodiscard]] Hash32 appPartHash(const FixedPart& fixed, ByteView appData);
[[nodiscard]] Hash32 outcomeHash(const Outcome& outcome);
[[nodiscard]] Hash32 stateHash(const State& state);

// Signs ethSignedMessageDigest(stateHash(state)).
[[nodiscard]] Signature signState(const State& state, const PrivateKey& key);
// The address that signed `state` with `sig`.
[[nodiscard]] Result<Address> recoverStateSigner(const State& state, const Signature& sig);
// The challenger's extra signature: over keccak256(abi.encode(stateHash, "forceMove")).
[[nodiscard]] Signature signChallenge(const State& state, const PrivateKey& key);
[[nodiscard]] Hash32 challengeDigest(const State& state);

// Checks the uint48 fields (turnNum, channelNonce, challengeDuration), 1..255 participants
// and the outcome size limits above. Policy (e.g. a non-zero challengeDuration) is the
// channel rules' business, not this function's.
[[nodiscard]] Status validateShape(const State& state);

} // namespace pt::nitro

template <>
struct std::is_error_code_enum<pt::nitro::NitroError> : std::true_type {};
