#include "wallet/nitro/state_json.hpp"

#include <string>

namespace pt::nitro {
namespace {

using nlohmann::json;

class StateJsonErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "nitro state json"; }
    std::string message(int ev) const override
    {
        switch (static_cast<StateJsonError>(ev)) {
        case StateJsonError::too_large: return "state JSON too large or too deeply nested";
        case StateJsonError::invalid_json: return "not valid JSON";
        case StateJsonError::missing_field: return "missing field";
        case StateJsonError::wrong_type: return "field of the wrong type";
        case StateJsonError::out_of_range: return "number out of range";
        case StateJsonError::bad_hex: return "bad hex";
        case StateJsonError::bad_address: return "bad address";
        }
        return "unknown state JSON error";
    }
};

Error fieldError(StateJsonError e, const std::string& path, const std::string& what)
{
    return makeError(e, path + ": " + what);
}

// Nesting depth of brackets outside strings, checked before handing text to the parser so
// that no hostile input can make it (or the json destructor) recurse deeply.
bool nestingWithin(std::string_view text, std::size_t limit)
{
    std::size_t depth = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
            continue;
        }
        if (c == '"') inString = true;
        else if (c == '[' || c == '{') {
            if (++depth > limit) return false;
        } else if ((c == ']' || c == '}') && depth > 0) --depth;
    }
    return true;
}

Result<const json*> field(const json& obj, const std::string& path, const char* name)
{
    const auto it = obj.find(name);
    if (it == obj.end()) return fieldError(StateJsonError::missing_field, path + name, "required field is missing");
    return &*it;
}

std::string describeType(const json& j)
{
    return std::string("got ") + j.type_name();
}

// A JSON number or a decimal (or 0x-hex) string, up to 2^256 - 1.
Result<U256> readUint(const json& j, const std::string& path)
{
    if (j.is_number_unsigned()) return U256(j.get<std::uint64_t>());
    if (j.is_number_integer()) return fieldError(StateJsonError::out_of_range, path, "negative");
    if (j.is_number_float())
        return fieldError(StateJsonError::wrong_type, path,
                          "not an integer (numbers above 2^64 must be written as decimal strings)");
    if (!j.is_string()) return fieldError(StateJsonError::wrong_type, path, "expected a number or a decimal string, " + describeType(j));
    const auto& text = j.get_ref<const std::string&>();
    auto v = parseU256(text);
    if (!v) {
        const bool range = v.error().code == make_error_code(ParseError::out_of_range);
        return fieldError(range ? StateJsonError::out_of_range : StateJsonError::wrong_type, path,
                          range ? "above 2^256 - 1" : "not a decimal or 0x-hex integer");
    }
    return *v;
}

Result<std::uint64_t> readUint48(const json& j, const std::string& path)
{
    auto v = readUint(j, path);
    if (!v) return v.error();
    if (*v > U256(max_uint48)) return fieldError(StateJsonError::out_of_range, path, "does not fit uint48");
    return static_cast<std::uint64_t>(*v);
}

// Amounts: 0x-hex or decimal strings only, as the reference library writes them.
Result<Wei> readAmount(const json& j, const std::string& path)
{
    if (!j.is_string()) return fieldError(StateJsonError::wrong_type, path, "expected an amount as a 0x-hex or decimal string, " + describeType(j));
    auto v = readUint(j, path);
    if (!v) return v.error();
    return Wei(*v);
}

Result<const std::string*> readString(const json& j, const std::string& path, const char* what)
{
    if (!j.is_string()) return fieldError(StateJsonError::wrong_type, path, std::string("expected ") + what + ", " + describeType(j));
    return &j.get_ref<const std::string&>();
}

Result<Address> readAddress(const json& j, const std::string& path)
{
    auto s = readString(j, path, "an address string");
    if (!s) return s.error();
    auto a = Address::fromHex(**s);
    if (!a) return fieldError(StateJsonError::bad_address, path, a.error().describe());
    return *a;
}

Result<Bytes> readHex(const json& j, const std::string& path)
{
    auto s = readString(j, path, "a 0x-hex string");
    if (!s) return s.error();
    const std::string& text = **s;
    if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
        return fieldError(StateJsonError::bad_hex, path, "hex must start with 0x");
    auto b = fromHex(text);
    if (!b) return fieldError(StateJsonError::bad_hex, path, b.error().describe());
    return std::move(*b);
}

Result<Bytes32> readBytes32(const json& j, const std::string& path)
{
    auto b = readHex(j, path);
    if (!b) return b.error();
    auto fixed = Bytes32::fromView(*b);
    if (!fixed) return fieldError(StateJsonError::bad_hex, path, "expected 32 bytes, got " + std::to_string(b->size()));
    return *fixed;
}

Result<bool> readBool(const json& j, const std::string& path)
{
    if (!j.is_boolean()) return fieldError(StateJsonError::wrong_type, path, "expected true or false, " + describeType(j));
    return j.get<bool>();
}

Status expectObject(const json& j, const std::string& path)
{
    if (!j.is_object()) return fieldError(StateJsonError::wrong_type, path.empty() ? "state" : path, "expected an object, " + describeType(j));
    return {};
}
Status expectArray(const json& j, const std::string& path)
{
    if (!j.is_array()) return fieldError(StateJsonError::wrong_type, path, "expected an array, " + describeType(j));
    return {};
}

// Early returns for the chain of field reads below.
#define PT_TRY_ASSIGN(var, expr)              \
    auto var##_result = (expr);               \
    if (!var##_result) return var##_result.error(); \
    auto& var = *var##_result
#define PT_TRY(expr)                          \
    do {                                      \
        auto _status = (expr);                \
        if (!_status) return _status.error(); \
    } while (0)

Result<AssetOutcome> readAssetOutcome(const json& j, const std::string& path)
{
    PT_TRY(expectObject(j, path));
    if (j.contains("guarantee"))
        return fieldError(StateJsonError::wrong_type, path, "guarantees are not supported, only allocations");
    AssetOutcome out;
    PT_TRY_ASSIGN(asset, field(j, path + ".", "asset"));
    PT_TRY_ASSIGN(assetAddr, readAddress(*asset, path + ".asset"));
    out.asset = assetAddr;
    PT_TRY_ASSIGN(items, field(j, path + ".", "allocationItems"));
    const std::string itemsPath = path + ".allocationItems";
    PT_TRY(expectArray(*items, itemsPath));
    if (items->size() > max_allocation_items)
        return fieldError(StateJsonError::out_of_range, itemsPath, "more than " + std::to_string(max_allocation_items) + " items");
    for (std::size_t i = 0; i < items->size(); ++i) {
        const std::string p = itemsPath + "[" + std::to_string(i) + "]";
        const json& item = (*items)[i];
        PT_TRY(expectObject(item, p));
        PT_TRY_ASSIGN(dest, field(item, p + ".", "destination"));
        PT_TRY_ASSIGN(destination, readBytes32(*dest, p + ".destination"));
        PT_TRY_ASSIGN(amt, field(item, p + ".", "amount"));
        PT_TRY_ASSIGN(amount, readAmount(*amt, p + ".amount"));
        out.allocationItems.push_back({destination, amount});
    }
    return out;
}

} // namespace

const std::error_category& stateJsonErrorCategory() noexcept
{
    static const StateJsonErrorCategory category;
    return category;
}

Result<State> parseStateJson(std::string_view text)
{
    if (text.size() > max_state_json)
        return makeError(StateJsonError::too_large, "state JSON over " + std::to_string(max_state_json) + " bytes");
    if (!nestingWithin(text, max_state_json_depth))
        return makeError(StateJsonError::too_large, "state JSON nested deeper than " + std::to_string(max_state_json_depth));
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return makeError(StateJsonError::invalid_json, "state: not valid JSON");
    return stateFromJson(j);
}

Result<State> stateFromJson(const json& j)
{
    PT_TRY(expectObject(j, ""));
    State s;
    PT_TRY_ASSIGN(channel, field(j, "", "channel"));
    PT_TRY(expectObject(*channel, "channel"));
    PT_TRY_ASSIGN(chainIdJ, field(*channel, "channel.", "chainId"));
    PT_TRY_ASSIGN(chainId, readUint(*chainIdJ, "channel.chainId"));
    s.fixed.chainId = chainId;
    PT_TRY_ASSIGN(participants, field(*channel, "channel.", "participants"));
    PT_TRY(expectArray(*participants, "channel.participants"));
    if (participants->size() > max_participants)
        return fieldError(StateJsonError::out_of_range, "channel.participants", "more than 255 participants");
    for (std::size_t i = 0; i < participants->size(); ++i) {
        PT_TRY_ASSIGN(p, readAddress((*participants)[i], "channel.participants[" + std::to_string(i) + "]"));
        s.fixed.participants.push_back(p);
    }
    PT_TRY_ASSIGN(nonceJ, field(*channel, "channel.", "channelNonce"));
    PT_TRY_ASSIGN(nonce, readUint48(*nonceJ, "channel.channelNonce"));
    s.fixed.channelNonce = nonce;

    PT_TRY_ASSIGN(turnJ, field(j, "", "turnNum"));
    PT_TRY_ASSIGN(turnNum, readUint48(*turnJ, "turnNum"));
    s.turnNum = turnNum;
    PT_TRY_ASSIGN(finalJ, field(j, "", "isFinal"));
    PT_TRY_ASSIGN(isFinal, readBool(*finalJ, "isFinal"));
    s.isFinal = isFinal;
    PT_TRY_ASSIGN(durationJ, field(j, "", "challengeDuration"));
    PT_TRY_ASSIGN(duration, readUint48(*durationJ, "challengeDuration"));
    s.fixed.challengeDuration = duration;
    PT_TRY_ASSIGN(appDefJ, field(j, "", "appDefinition"));
    PT_TRY_ASSIGN(appDefinition, readAddress(*appDefJ, "appDefinition"));
    s.fixed.appDefinition = appDefinition;
    PT_TRY_ASSIGN(appDataJ, field(j, "", "appData"));
    PT_TRY_ASSIGN(appData, readHex(*appDataJ, "appData"));
    s.appData = std::move(appData);

    PT_TRY_ASSIGN(outcome, field(j, "", "outcome"));
    PT_TRY(expectArray(*outcome, "outcome"));
    if (outcome->size() > max_outcome_assets)
        return fieldError(StateJsonError::out_of_range, "outcome", "more than " + std::to_string(max_outcome_assets) + " assets");
    for (std::size_t i = 0; i < outcome->size(); ++i) {
        PT_TRY_ASSIGN(asset, readAssetOutcome((*outcome)[i], "outcome[" + std::to_string(i) + "]"));
        s.outcome.push_back(std::move(asset));
    }
    return s;
}

#undef PT_TRY_ASSIGN
#undef PT_TRY

json stateToJson(const State& state)
{
    json participants = json::array();
    for (const auto& p : state.fixed.participants) participants.push_back(p.toChecksum());
    json outcome = json::array();
    for (const auto& asset : state.outcome) {
        json items = json::array();
        for (const auto& item : asset.allocationItems)
            items.push_back({{"destination", item.destination.hex()}, {"amount", item.amount.toHex()}});
        outcome.push_back({{"asset", asset.asset.toChecksum()}, {"allocationItems", std::move(items)}});
    }
    return json{{"channel",
                 {{"chainId", state.fixed.chainId.str()},
                  {"participants", std::move(participants)},
                  {"channelNonce", state.fixed.channelNonce}}},
                {"turnNum", state.turnNum},
                {"isFinal", state.isFinal},
                {"challengeDuration", state.fixed.challengeDuration},
                {"appDefinition", state.fixed.appDefinition.toChecksum()},
                {"appData", toHex(state.appData)},
                {"outcome", std::move(outcome)}};
}

std::string printStateJson(const State& state)
{
    return stateToJson(state).dump();
}

} // namespace pt::nitro
