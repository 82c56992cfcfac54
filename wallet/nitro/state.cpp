// Nitro 0.17.3 encodings and hashes, built on the generic ABI encoder.
#include "wallet/nitro/state.hpp"

#include "wallet/abi/abi.hpp"
#include "wallet/crypto/keccak.hpp"

#include <array>
#include <optional>
#include <string>

namespace pt::nitro {
namespace {

class NitroErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nitro"; }
    std::string message(int ev) const override
    {
        switch (static_cast<NitroError>(ev)) {
        case NitroError::malformed_outcome: return "malformed outcome";
        case NitroError::unsupported_outcome: return "unsupported outcome (guarantee)";
        case NitroError::malformed_state: return "malformed state";
        }
        return "unknown nitro error";
    }
};

// Asset outcome types of Outcome.sol.
constexpr unsigned allocation_outcome_type = 0;
constexpr unsigned guarantee_outcome_type = 1;

// The types, parsed once: text from Outcome.sol, so a reader can compare.
const abi::Type& allocationType()
{
    static const abi::Type t = *abi::Type::parse("(bytes32 destination, uint256 amount)[]");
    return t;
}
const abi::Type& allocationItemType()
{
    return allocationType().element();
}
const abi::Type& assetOutcomeType()
{
    static const abi::Type t = *abi::Type::parse("(uint8 assetOutcomeType, bytes allocationOrGuarantee)");
    return t;
}
const abi::Type& outcomeType()
{
    static const abi::Type t = *abi::Type::parse("(address asset, bytes assetOutcomeBytes)[]");
    return t;
}
const abi::Type& outcomeItemType()
{
    return outcomeType().element();
}

// A vector of values built by moving (an initializer list would copy every value, and
// this is the hot path of hashing a state).
template <class... V>
std::vector<abi::Value> values(V&&... v)
{
    std::vector<abi::Value> out;
    out.reserve(sizeof...(v));
    (out.push_back(std::forward<V>(v)), ...);
    return out;
}

Bytes encodeAllocation(const std::vector<AllocationItem>& items)
{
    std::vector<abi::Value> values;
    values.reserve(items.size());
    for (const auto& item : items)
        values.push_back(abi::Value::tuple(nitro::values(abi::Value::bytes32(item.destination), abi::Value::uint(item.amount.value()))));
    return abi::encode(nitro::values(abi::Value::array(allocationItemType(), std::move(values))));
}

Error malformed(const std::string& what, const Error& cause)
{
    return makeError(NitroError::malformed_outcome, what + ": " + cause.describe());
}

} // namespace

const std::error_category& nitroErrorCategory() noexcept
{
    static const NitroErrorCategory category;
    return category;
}

Bytes encodeOutcome(const Outcome& outcome)
{
    std::vector<abi::Value> assets;
    assets.reserve(outcome.size());
    for (const auto& asset : outcome) {
        const Bytes assetOutcomeBytes = abi::encode(values(abi::Value::tuple(
            values(abi::Value::uint(allocation_outcome_type, 8), abi::Value::bytes(encodeAllocation(asset.allocationItems))))));
        assets.push_back(abi::Value::tuple(values(abi::Value::address(asset.asset), abi::Value::bytes(assetOutcomeBytes))));
    }
    return abi::encode(values(abi::Value::array(outcomeItemType(), std::move(assets))));
}

Result<Outcome> decodeOutcome(ByteView outcomeBytes)
{
    auto decoded = abi::decodeOne(outcomeType(), outcomeBytes);
    if (!decoded) return malformed("outcome", decoded.error());
    Outcome outcome;
    outcome.reserve(decoded->items().size());
    for (std::size_t i = 0; i < decoded->items().size(); ++i) {
        const auto& item = decoded->items()[i];
        const std::string where = "asset outcome " + std::to_string(i);
        auto inner = abi::decodeOne(assetOutcomeType(), item.items()[1].asBytes());
        if (!inner) return malformed(where, inner.error());
        const U256& kind = inner->items()[0].asUint();
        if (kind == guarantee_outcome_type)
            return makeError(NitroError::unsupported_outcome, where + " is a guarantee, which this wallet does not support");
        if (kind != allocation_outcome_type)
            return makeError(NitroError::malformed_outcome, where + " has unknown type " + kind.str());
        auto alloc = abi::decodeOne(allocationType(), inner->items()[1].asBytes());
        if (!alloc) return malformed(where + " allocation", alloc.error());
        AssetOutcome asset;
        asset.asset = item.items()[0].asAddress();
        asset.allocationItems.reserve(alloc->items().size());
        for (const auto& a : alloc->items())
            asset.allocationItems.push_back({a.items()[0].asBytes32(), Wei(a.items()[1].asUint())});
        outcome.push_back(std::move(asset));
    }
    // The outcome is hashed by re-encoding it, so it must be the one encoding of these
    // bytes: otherwise our outcomeHash would differ from keccak256 of what the chain holds.
    if (encodeOutcome(outcome) != Bytes(outcomeBytes.begin(), outcomeBytes.end()))
        return makeError(NitroError::malformed_outcome, "outcome bytes are not in canonical ABI encoding");
    return outcome;
}

ChannelId channelId(const FixedPart& fixed)
{
    std::vector<abi::Value> participants;
    participants.reserve(fixed.participants.size());
    for (const auto& p : fixed.participants) participants.push_back(abi::Value::address(p));
    return keccak256(abi::encode(values(abi::Value::uint(fixed.chainId),
                                        abi::Value::array(abi::Type::address(), std::move(participants)),
                                        abi::Value::uint(U256(fixed.channelNonce)))));
}

Hash32 appPartHash(const FixedPart& fixed, ByteView appData)
{
    return keccak256(abi::encode(values(abi::Value::uint(U256(fixed.challengeDuration)),
                                        abi::Value::address(fixed.appDefinition), abi::Value::bytes(appData))));
}

Hash32 outcomeHash(const Outcome& outcome)
{
    return keccak256(encodeOutcome(outcome));
}

Hash32 stateHash(const State& state)
{
    // Two of the four hashes depend only on the channel (its fixed part, and the app data,
    // which a payment never changes), and a payment hashes each state two or three times
    // (to sign, to store, to match a countersignature): they are kept, per thread, for the
    // last few channels hashed. A hit compares the inputs in full.
    struct ChannelPart {
        FixedPart fixed;
        Bytes appData;
        Hash32 id;
        Hash32 app;
    };
    constexpr std::size_t kept = 4;
    thread_local std::array<std::optional<ChannelPart>, kept> recent;
    thread_local std::size_t next = 0;
    const ChannelPart* part = nullptr;
    for (const auto& r : recent)
        if (r && r->fixed == state.fixed && r->appData == state.appData) part = &*r;
    if (part == nullptr) {
        auto& slot = recent[next++ % kept];
        slot = ChannelPart{state.fixed, state.appData, channelId(state.fixed), appPartHash(state.fixed, state.appData)};
        part = &*slot;
    }
    return keccak256(abi::encode(values(abi::Value::uint(U256(state.turnNum)), abi::Value::boolean(state.isFinal),
                                        abi::Value::bytes32(part->id), abi::Value::bytes32(part->app),
                                        abi::Value::bytes32(outcomeHash(state.outcome)))));
}

Signature signState(const State& state, const PrivateKey& key)
{
    return key.signDigest(ethSignedMessageDigest(stateHash(state)));
}

Result<Address> recoverStateSigner(const State& state, const Signature& sig)
{
    return recoverAddress(ethSignedMessageDigest(stateHash(state)), sig);
}

Hash32 challengeDigest(const State& state)
{
    return keccak256(abi::encode(values(abi::Value::bytes32(stateHash(state)), abi::Value::string("forceMove"))));
}

Signature signChallenge(const State& state, const PrivateKey& key)
{
    return key.signDigest(ethSignedMessageDigest(challengeDigest(state)));
}

Status validateShape(const State& state)
{
    if (state.turnNum > max_uint48) return makeError(NitroError::malformed_state, "turnNum does not fit uint48");
    if (state.fixed.channelNonce > max_uint48)
        return makeError(NitroError::malformed_state, "channelNonce does not fit uint48");
    if (state.fixed.challengeDuration > max_uint48)
        return makeError(NitroError::malformed_state, "challengeDuration does not fit uint48");
    if (state.fixed.participants.empty())
        return makeError(NitroError::malformed_state, "a channel needs at least one participant");
    // ForceMove indexes participants with uint8 (whoSignedWhat) and requires <= 255.
    if (state.fixed.participants.size() > max_participants)
        return makeError(NitroError::malformed_state, "more than 255 participants");
    if (state.outcome.size() > max_outcome_assets)
        return makeError(NitroError::malformed_state, "too many assets in the outcome");
    for (const auto& asset : state.outcome)
        if (asset.allocationItems.size() > max_allocation_items)
            return makeError(NitroError::malformed_state, "too many allocation items for one asset");
    return {};
}

} // namespace pt::nitro
