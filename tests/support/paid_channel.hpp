// Two-party payment channels driven by the test itself with the wallet's payment channel
// functions (no BitTorrent): open, pay, finalize, and write a channel into a node's store as
// its payment engine would. Header-only: the including test links the wallet (directly, or
// through pt_core). Failures throw std::runtime_error, which GoogleTest reports with the
// message.
#pragma once

#include "wallet/chain/local_chain.hpp"
#include "wallet/keystore/keystore_file.hpp"
#include "wallet/nitro/payment_channel.hpp"
#include "wallet/store/store.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace pt::test {

template <class T>
T must(Result<T> r, const std::string& what)
{
    if (!r) throw std::runtime_error(what + ": " + r.error().describe());
    return std::move(*r);
}

inline void must(const Status& s, const std::string& what)
{
    if (!s) throw std::runtime_error(what + ": " + s.error().describe());
}

inline Wei milliEther(std::uint64_t milli) { return Wei(U256(milli) * U256(1'000'000'000'000'000ULL)); }

// Polls `pred` every 20 ms until it holds or `limit` passes.
inline bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
}

// A fresh key with a keystore cheap to open (tests only: scrypt n = 2^10).
inline PrivateKey writeTestKeystore(const std::filesystem::path& file, const std::string& password)
{
    auto key = must(PrivateKey::generate(), "key");
    std::filesystem::create_directories(file.parent_path());
    ScryptParams cheap;
    cheap.n = 1024;
    must(saveKeystore(file, key, password, cheap), "keystore");
    return key;
}

class PaidChannel {
public:
    PaidChannel(const U256& chainId, const PrivateKey& beneficiary, const PrivateKey& payer, std::uint64_t nonce,
                std::uint64_t challengeDuration, const Wei& deposit)
        : beneficiary_(beneficiary), payer_(payer)
    {
        terms_.chainId = chainId;
        terms_.beneficiary = beneficiary.address();
        terms_.payer = payer.address();
        terms_.channelNonce = nonce;
        terms_.challengeDuration = challengeDuration;
        terms_.deposit = deposit;
        const auto initial = must(nitro::makeInitialState(terms_), "initial state");
        nitro::SignedState both{initial, {nitro::signState(initial, beneficiary), nitro::signState(initial, payer)}};
        view_.emplace(must(nitro::openChannel(terms_, both), "open channel"));
        states_.push_back(view_->latest());
    }

    [[nodiscard]] const nitro::ChannelId& id() const { return view_->id(); }
    [[nodiscard]] const nitro::ChannelView& view() const { return *view_; }
    [[nodiscard]] const nitro::ChannelTerms& terms() const { return terms_; }
    [[nodiscard]] const Wei& paid() const { return view_->paid(); }
    // Every doubly signed state, turn order (index = turn).
    [[nodiscard]] const std::vector<nitro::SignedState>& states() const { return states_; }

    // The payer pays `amount` more; the beneficiary validates and countersigns.
    void pay(const Wei& amount)
    {
        auto p = must(nitro::makePayment(*view_, amount, payer_), "payment");
        countersign(p);
    }
    // The final state, signed by both.
    void finalize()
    {
        auto p = must(nitro::makeFinal(*view_, payer_), "final state");
        countersign(p);
    }
    // A payment the payer signed that was never countersigned (what the payer's store holds
    // while a countersignature is on its way).
    [[nodiscard]] nitro::SignedState unansweredPayment(const Wei& amount) const
    {
        return must(nitro::makePayment(*view_, amount, payer_), "payment").signedState();
    }
    // `count` such payments of `amount` each, one after the other (a payer paying ahead).
    [[nodiscard]] std::vector<nitro::SignedState> unansweredPayments(const Wei& amount, int count) const
    {
        std::vector<nitro::SignedState> out;
        std::optional<nitro::Proposal> last;
        for (int i = 0; i < count; ++i) {
            last = must(last ? nitro::makePayment(*last, amount, payer_) : nitro::makePayment(*view_, amount, payer_),
                        "payment");
            out.push_back(last->signedState());
        }
        return out;
    }

    [[nodiscard]] chain::SupportProof proofAt(std::uint64_t turn) const
    {
        return must(chain::SupportProof::fromSignedState(states_.at(turn)), "support proof");
    }

    // Writes the channel and its states into the store at `database`, on the side of
    // `role`, as the payment engine would (a second connection: the node may be running).
    void store(const std::filesystem::path& database, store::ChannelRole role, store::ChannelStatus status,
               const std::vector<nitro::SignedState>& extra = {}) const
    {
        auto st = must(store::Store::open(database), "open store");
        store::ChannelRecord rec;
        rec.id = id();
        rec.fixed = view_->state().fixed;
        rec.role = role;
        rec.counterparty = role == store::ChannelRole::beneficiary ? terms_.payer : terms_.beneficiary;
        rec.status = status;
        must(st.putChannel(rec), "put channel");
        for (const auto& s : states_) must(st.appendSignedState(id(), s), "append state");
        for (const auto& s : extra) must(st.appendSignedState(id(), s), "append extra state");
    }

private:
    void countersign(const nitro::Proposal& p)
    {
        auto v = must(nitro::validatePayment(*view_, p.signedState()), "validate");
        auto next = must(nitro::countersign(v, beneficiary_), "countersign");
        view_.emplace(must(nitro::verifyCountersigned(p, next.latest()), "verify countersignature"));
        states_.push_back(view_->latest());
    }

    PrivateKey beneficiary_;
    PrivateKey payer_;
    nitro::ChannelTerms terms_;
    std::optional<nitro::ChannelView> view_;
    std::vector<nitro::SignedState> states_;
};

} // namespace pt::test
