#include "wire_state.hpp"

#include "wallet/abi/abi.hpp"
#include "wallet/nitro/abi_values.hpp"

namespace paytorrent::core {

using namespace pt;

Bytes encodeWireState(const nitro::State& state)
{
    return abi::encode({nitro::fixedPartValue(state.fixed), nitro::variablePartValue(state),
                        abi::Value::uint(state.turnNum, 48), abi::Value::boolean(state.isFinal)});
}

Result<nitro::State> decodeWireState(ByteView bytes)
{
    if (bytes.size() > max_wire_state_bytes)
        return makeError(nitro::NitroError::malformed_state, "state larger than " + std::to_string(max_wire_state_bytes) + " bytes");
    auto values = abi::decode({nitro::fixedPartType(), nitro::variablePartType(), abi::Type::uint(48), abi::Type::boolean()}, bytes);
    if (!values) return values.error();
    const auto& fixed = (*values)[0].items();
    const auto& variable = (*values)[1].items();
    nitro::State s;
    s.fixed.chainId = fixed[0].asUint();
    for (const auto& p : fixed[1].items()) s.fixed.participants.push_back(p.asAddress());
    s.fixed.channelNonce = static_cast<std::uint64_t>(fixed[2].asUint());
    s.fixed.appDefinition = fixed[3].asAddress();
    s.fixed.challengeDuration = static_cast<std::uint64_t>(fixed[4].asUint());
    auto outcome = nitro::decodeOutcome(variable[0].asBytes());
    if (!outcome) return outcome.error();
    s.outcome = std::move(*outcome);
    s.appData = variable[1].asBytes();
    s.turnNum = static_cast<std::uint64_t>((*values)[2].asUint());
    s.isFinal = (*values)[3].asBool();
    if (auto ok = nitro::validateShape(s); !ok) return ok.error();
    return s;
}

} // namespace paytorrent::core
