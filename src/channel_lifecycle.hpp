// A channel's life on chain beyond what the payment engine does (the engine deposits for the
// buyer and concludes cooperatively): force-closing a channel by challenge, withdrawing from
// a finalized one, and the watchtower that answers a stale challenge with checkpoint.
//
//   challenge(id)  the latest state signed by both goes on chain with our challenger
//                  signature; the channel is `challenged` until the window ends, then the
//                  watchtower (or withdraw) calls transferAllAssets with that state's hash.
//   withdraw(id)   finalized channel: transferAllAssets (state hash zero after a conclude,
//                  the challenged state's hash after a challenge) unless already paid out
//                  (holdings zero, or the fingerprint of the outcome transferAllAssets leaves
//                  behind): then only the status becomes `closed`;
//                  open channel whose latest state is final: concludeAndTransferAllAssets.
//   watchtower     every pollInterval: adjudicator events from a persisted block cursor; a
//                  ChallengeRegistered for one of our channels below our latest turn is
//                  answered with checkpoint (or conclude, when our latest state is final);
//                  a challenge holding our latest state is left to finalize, then withdrawn;
//                  a channel the other side concluded and paid out (Concluded and
//                  AllocationUpdated events) is marked `closed`: how a seller learns that
//                  the buyer closed the channel.
//                  At start, unpackStatus of every channel not closed (a node restarted
//                  inside a challenge window still answers it).
//
// Threads: everything runs on the lifecycle's own thread, one job at a time, so its chain
// transactions never race each other; challenge() and withdraw() hop onto it and wait. It
// has its own connection to the node's SQLite file (WAL lets it write beside the engine's
// connection; each write waits out the other's lock), so it never blocks the engine thread.
// Details: docs/chain.md, "Channel lifecycle and watchtower".
#pragma once

#include "wallet/chain/adjudicator.hpp"
#include "wallet/chain/transaction_sender.hpp"
#include "wallet/crypto/signer.hpp"
#include "wallet/nitro/state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pt::store {
class Store;
}

namespace paytorrent::core {

enum class LifecycleError {
    unknown_channel = 1, // the channel is not in this node's store
    no_signed_state,     // no state signed by both participants is stored for it
    final_state,         // the latest state is final: withdraw (conclude) instead of challenging
    already_finalized,   // finalized on chain: nothing to challenge, withdraw instead
    challenge_running,   // a challenge window is open (withdraw must wait; a challenge is already on)
    channel_open,        // open on chain with no final state: challenge or close it first
    nothing_held,        // the adjudicator holds nothing for the channel
    unknown_outcome,     // the finalized state on chain is none this node knows
    wrong_chain,         // the store's channels live on another chain than the endpoint serves
    not_participant,     // the node's key is not the channel's participant (a foreign store)
    stopped,             // the lifecycle was stopped
};
const std::error_category& lifecycleErrorCategory() noexcept;
inline std::error_code make_error_code(LifecycleError e) noexcept
{
    return {static_cast<int>(e), lifecycleErrorCategory()};
}

struct LifecycleConfig {
    std::filesystem::path database;                // the node's store (opened a second time)
    std::chrono::milliseconds pollInterval{1000}; // watchtower period
    std::uint64_t maxBlocksPerScan = 5000;         // eth_getLogs range per request (nodes cap it)
    std::uint64_t confirmations = 0;               // blocks behind the head the cursor stays
};

// One transaction the lifecycle sent.
struct ChainAction {
    enum class Kind { challenge, checkpoint, conclude, transfer };
    Kind kind = Kind::challenge;
    pt::nitro::ChannelId channel;
    pt::chain::Receipt receipt;
};
[[nodiscard]] std::string_view toString(ChainAction::Kind kind) noexcept;

struct ChallengeOutcome {
    pt::nitro::ChannelId channel;
    std::uint64_t turnNum = 0;
    std::uint64_t finalizesAt = 0; // unix seconds (chain time)
    pt::chain::Receipt receipt;
};

struct WithdrawOutcome {
    enum class Action { transferred, concluded, already_paid_out };
    pt::nitro::ChannelId channel;
    Action action = Action::already_paid_out;
    pt::Wei toUs; // our allocation in the outcome paid out (0 when already paid out)
    std::optional<pt::chain::Receipt> receipt;
};
[[nodiscard]] std::string_view toString(WithdrawOutcome::Action action) noexcept;

// The store setting holding the watchtower's next block, per chain and adjudicator.
[[nodiscard]] std::string watchtowerCursorKey(const pt::U256& chainId, const pt::Address& adjudicator);

class ChannelLifecycle {
public:
    // Opens the second store connection and checks that no channel still open in it belongs
    // to another chain than the sender's (wrong_chain). The watchtower is not started yet.
    [[nodiscard]] static pt::Result<std::unique_ptr<ChannelLifecycle>>
    open(LifecycleConfig config, pt::PrivateKey key, std::shared_ptr<pt::chain::TransactionSender> sender,
         pt::Address adjudicator);
    ~ChannelLifecycle();
    ChannelLifecycle(const ChannelLifecycle&) = delete;
    ChannelLifecycle& operator=(const ChannelLifecycle&) = delete;

    // Starts the watchtower: the start-up sweep (unpackStatus of every channel not closed),
    // then one poll per pollInterval. Idempotent.
    void startWatchtower();
    // Stops the thread after the job it is running. Later calls fail with `stopped`.
    void stop();

    [[nodiscard]] pt::Result<ChallengeOutcome> challenge(const pt::nitro::ChannelId& channel);
    [[nodiscard]] pt::Result<WithdrawOutcome> withdraw(const pt::nitro::ChannelId& channel);
    // Every transaction sent so far, oldest first (any thread).
    [[nodiscard]] std::vector<ChainAction> actions() const;
    // Called on the lifecycle thread after each transaction.
    void onAction(std::function<void(const ChainAction&)> handler);
    // The block the next poll starts from.
    [[nodiscard]] std::uint64_t cursor() const noexcept { return cursor_.load(); }

private:
    ChannelLifecycle(LifecycleConfig config, pt::PrivateKey key, std::shared_ptr<pt::chain::TransactionSender> sender,
                     pt::Address adjudicator, std::unique_ptr<pt::store::Store> store);

    template <class R>
    R onThread(std::function<R()> job);

    // Lifecycle thread only.
    pt::Status sweep(); // the start-up check: unpackStatus of every channel not closed
    pt::Status poll();  // sweep (until it succeeded once), events from the cursor, then attention_
    pt::Status scanEvents();
    pt::Result<bool> attend(const pt::nitro::ChannelId& channel);
    void schedule();
    pt::Result<ChallengeOutcome> doChallenge(const pt::nitro::ChannelId& channel);
    pt::Result<WithdrawOutcome> doWithdraw(const pt::nitro::ChannelId& channel);
    pt::Result<pt::chain::Receipt> answer(const pt::nitro::ChannelId& channel, const pt::nitro::SignedState& latest);
    void record(ChainAction::Kind kind, const pt::nitro::ChannelId& channel, const pt::chain::Receipt& receipt);
    void warn(const std::string& what, const pt::Error& error);

    LifecycleConfig config_;
    pt::PrivateKey key_;
    std::shared_ptr<pt::chain::TransactionSender> sender_;
    pt::chain::Adjudicator adjudicator_;
    std::unique_ptr<pt::store::Store> store_; // lifecycle thread only
    std::string cursorKey_;
    std::atomic<std::uint64_t> cursor_{0};
    bool cursorLoaded_ = false;                // lifecycle thread only
    std::set<pt::nitro::ChannelId> attention_; // lifecycle thread only: channels to look at each poll
    bool swept_ = false;                       // lifecycle thread only
    std::set<std::string> warned_;             // lifecycle thread only: failures logged since the last good poll

    mutable std::mutex mutex_;
    std::vector<ChainAction> actions_;                      // guarded by mutex_
    std::function<void(const ChainAction&)> actionHandler_; // guarded by mutex_
    bool stopped_ = false;                                  // guarded by mutex_
    bool watching_ = false;                                 // guarded by mutex_

    boost::asio::io_context ctx_;
    boost::asio::steady_timer timer_;
    std::thread thread_;
};

} // namespace paytorrent::core

template <>
struct std::is_error_code_enum<paytorrent::core::LifecycleError> : std::true_type {};
