#include "wallet/nitro/abi_values.hpp"

namespace pt::nitro {

const abi::Type& fixedPartType()
{
    static const abi::Type t = *abi::Type::parse(
        "(uint256 chainId, address[] participants, uint48 channelNonce, address appDefinition, uint48 challengeDuration)");
    return t;
}

const abi::Type& variablePartType()
{
    static const abi::Type t = *abi::Type::parse("(bytes outcome, bytes appData)");
    return t;
}

const abi::Type& signatureType()
{
    static const abi::Type t = *abi::Type::parse("(uint8 v, bytes32 r, bytes32 s)");
    return t;
}

abi::Value fixedPartValue(const FixedPart& fixed)
{
    std::vector<abi::Value> participants;
    participants.reserve(fixed.participants.size());
    for (const auto& p : fixed.participants) participants.push_back(abi::Value::address(p));
    return abi::Value::tuple({abi::Value::uint(fixed.chainId),
                              abi::Value::array(abi::Type::address(), std::move(participants)),
                              abi::Value::uint(U256(fixed.channelNonce), 48), abi::Value::address(fixed.appDefinition),
                              abi::Value::uint(U256(fixed.challengeDuration), 48)});
}

abi::Value variablePartValue(const State& state)
{
    return abi::Value::tuple({abi::Value::bytes(encodeOutcome(state.outcome)), abi::Value::bytes(state.appData)});
}

abi::Value signatureValue(const Signature& sig)
{
    return abi::Value::tuple({abi::Value::uint(U256(sig.v), 8), abi::Value::bytes32(sig.r), abi::Value::bytes32(sig.s)});
}

} // namespace pt::nitro
