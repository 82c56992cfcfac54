// Channels and signed states for the store tests and the crash writer: a two-party channel
// [beneficiary, payer] with deterministic keys, and its payment states signed by both.
#pragma once

#include "wallet/crypto/keccak.hpp"
#include "wallet/crypto/signer.hpp"
#include "wallet/nitro/state.hpp"
#include "wallet/store/records.hpp"

#include <stdexcept>
#include <string>

namespace pt::store::fixtures {

// A key derived from a label, so that separate processes (the crash writer and the test)
// agree on the channel without sharing anything but the label.
inline PrivateKey keyFor(const std::string& label)
{
    const Hash32 seed = keccak256(std::string_view(label));
    auto key = PrivateKey::fromBytes(seed.view());
    if (!key) throw std::runtime_error("cannot derive a test key");
    return *key;
}

struct TestChannel {
    PrivateKey beneficiary;
    PrivateKey payer;
    nitro::FixedPart fixed;
    nitro::ChannelId id;
    Wei deposit;

    // The state after `paid` wei went from payer to beneficiary, at `turn`.
    [[nodiscard]] nitro::State stateAt(std::uint64_t turn, const Wei& paid, bool isFinal = false) const
    {
        nitro::State s;
        s.fixed = fixed;
        s.turnNum = turn;
        s.isFinal = isFinal;
        nitro::AssetOutcome eth;
        eth.allocationItems.push_back({beneficiary.address().toBytes32(), paid});
        eth.allocationItems.push_back({payer.address().toBytes32(), deposit - paid});
        s.outcome.push_back(std::move(eth));
        return s;
    }
    // Signed by the payer only, or by both.
    [[nodiscard]] nitro::SignedState signedAt(std::uint64_t turn, const Wei& paid, bool both = true) const
    {
        nitro::SignedState ss;
        ss.state = stateAt(turn, paid);
        ss.signatures.resize(2);
        ss.signatures[1] = nitro::signState(ss.state, payer);
        if (both) ss.signatures[0] = nitro::signState(ss.state, beneficiary);
        return ss;
    }
    // The record as the payer (role = payer) or the beneficiary stores it.
    [[nodiscard]] ChannelRecord record(ChannelRole role, ChannelStatus status = ChannelStatus::open) const
    {
        ChannelRecord r;
        r.id = id;
        r.fixed = fixed;
        r.role = role;
        r.counterparty = role == ChannelRole::payer ? beneficiary.address() : payer.address();
        r.status = status;
        return r;
    }
};

inline TestChannel makeChannel(const std::string& label, std::uint64_t nonce = 1)
{
    TestChannel c{keyFor(label + "/beneficiary"), keyFor(label + "/payer"), {}, {}, Wei(U256("1000000000000000000"))};
    c.fixed.chainId = 31337;
    c.fixed.participants = {c.beneficiary.address(), c.payer.address()};
    c.fixed.channelNonce = nonce;
    c.fixed.challengeDuration = 86400;
    c.id = nitro::channelId(c.fixed);
    return c;
}

// The amount each payment of the crash writer moves, so the test can check the ledger.
inline Wei crashPaymentAmount(std::uint64_t turn) { return Wei(std::uint64_t{1000} + turn % 7); }

} // namespace pt::store::fixtures
