// What the payment engine needs from the chain, as an asynchronous port: the engine never
// blocks on the network. Implemented over the adjudicator client (chain thread); tests may
// implement it over a real chain or, for engine logic alone, in memory.
#pragma once

#include "wallet/common/result.hpp"
#include "wallet/common/wei.hpp"
#include "wallet/nitro/state.hpp"

#include <functional>

namespace paytorrent::core {

class ChainPort {
public:
    virtual ~ChainPort() = default;

    // Deposits `amount` of ETH for `channel`, expecting `expectedHeld` to be held before
    // (the adjudicator refuses a deposit that does not match). `done` runs on any thread
    // once the deposit is confirmed or has failed.
    virtual void deposit(const pt::nitro::ChannelId& channel, const pt::Wei& expectedHeld, const pt::Wei& amount,
                         std::function<void(pt::Status)> done) = 0;
    // What the adjudicator holds for `channel`.
    virtual void holdings(const pt::nitro::ChannelId& channel, std::function<void(pt::Result<pt::Wei>)> done) = 0;
    // Concludes with a final state signed by both and pays out every allocation.
    virtual void concludeAndTransfer(const pt::nitro::SignedState& finalState, std::function<void(pt::Status)> done) = 0;
};

} // namespace paytorrent::core
