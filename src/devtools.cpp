#include "paytorrent/devtools.hpp"

#include "wallet/crypto/secure.hpp"
#include "wallet/crypto/signer.hpp"
#include "wallet/nitro/state.hpp"
#include "wallet/nitro/state_json.hpp"

#include <nlohmann/json.hpp>

namespace paytorrent::devtools {

static_assert(max_nitro_state_input == pt::nitro::max_state_json, "the front ends read what the parser accepts");

namespace {

// Wipes the caller's copy of the key text on every path out of nitroHash.
struct WipeOnExit {
    std::optional<std::string>& text;
    ~WipeOnExit()
    {
        if (text && !text->empty()) pt::secureWipe(text->data(), text->size());
    }
};

} // namespace

NitroHashResult nitroHash(std::string_view stateJson, std::optional<std::string> signKeyHex)
{
    const WipeOnExit wipe{signKeyHex};
    NitroHashResult result;

    auto state = pt::nitro::parseStateJson(stateJson);
    if (!state) {
        result.error = "malformed state: " + state.error().describe();
        return result;
    }
    if (auto shape = pt::nitro::validateShape(*state); !shape) {
        result.error = "malformed state: " + shape.error().describe();
        return result;
    }

    // ordered_json: the keys in the documented order, not sorted.
    nlohmann::ordered_json out;
    out["channelId"] = pt::nitro::channelId(state->fixed).hex();
    out["appPartHash"] = pt::nitro::appPartHash(state->fixed, state->appData).hex();
    out["outcomeHash"] = pt::nitro::outcomeHash(state->outcome).hex();
    out["stateHash"] = pt::nitro::stateHash(*state).hex();

    if (signKeyHex) {
        auto key = pt::PrivateKey::fromHex(*signKeyHex);
        if (!key) {
            // The key text is never echoed: only what is wrong with it.
            result.error = "--sign-key: not a valid secp256k1 private key (64 hex digits, 0 < key < n)";
            return result;
        }
        const pt::Signature sig = pt::nitro::signState(*state, *key);
        nlohmann::ordered_json s;
        s["v"] = sig.v;
        s["r"] = sig.r.hex();
        s["s"] = sig.s.hex();
        out["signature"] = std::move(s);
    }
    result.output = out.dump();
    return result;
}

} // namespace paytorrent::devtools
