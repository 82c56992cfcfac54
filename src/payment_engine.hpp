// The payment engine: the thread that turns the extension's peer events into payment
// channel moves. It owns the node's key, the channel rules and the store; it reaches the
// network only through PeerControl and the chain only through ChainPort. Every event is
// posted onto the engine's own thread, so nothing here runs on libtorrent's network thread.
//
// Money path (docs/protocol.md): a buyer proposes a channel [seller, buyer] with its deposit,
// the seller countersigns turn 0, the buyer deposits on chain, then pays ahead: each payment
// is the next state, signed by the buyer, validated, stored and countersigned by the seller,
// who then grants the bytes it pays for. At the end the buyer proposes a final state, the
// seller countersigns it, and the buyer concludes on chain.
#pragma once

#include "chain_port.hpp"
#include "deferred_sync.hpp"

#include "extension/peer_control.hpp"
#include "extension/peer_events.hpp"
#include "wallet/crypto/signer.hpp"
#include "wallet/nitro/payment_channel.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/common.h>

#include <chrono>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wallet/store/records.hpp"

namespace pt::store {
class Store;
}

namespace paytorrent::core {

// Buyer: each payment covers at least window / payments_per_window (in whole increments), so
// that a small increment sets how finely the credit is topped up, not how many payments (and
// signatures, fsyncs) a byte costs.
inline constexpr std::uint64_t payments_per_window = 4;

// How often the extension tells the engine what has arrived from a seller
// (PaidStreamingOptions::receivedNotifyBytes). Payments do not wait for it: they are armed
// with their due point and the connection sends them on the block that makes them due. So
// only the ledger's byte count does, and every notice costs the engine's thread a wake-up
// (at 64 KiB, four per 256 KiB payment; `bench transfer` measured about 0.2 s of the
// buyer's CPU per GiB).
inline constexpr std::uint64_t received_notify_bytes = 1024 * 1024;

struct EngineConfig {
    pt::U256 chainId;
    pt::Address adjudicator;
    pt::Address appDefinition;           // zero: never called for doubly signed states
    std::uint64_t challengeDuration = 60; // seconds, for channels this node proposes or accepts
    std::uint64_t paymentIncrement = 256 * 1024;
    std::uint64_t creditWindow = 1024 * 1024;
    // Buyer: payments signed and not yet countersigned, those sent and those signed, stored
    // and armed ahead of the bytes that make them due. One keeps a whole round trip (and a
    // commit) per payment on the critical path; more let payments overlap it, and let the
    // next one wait ready, stored, for the moment it is due. Twice the payments a window
    // holds (payments_per_window): a seller slow to countersign then never leaves the buyer
    // without a payment ready when the next one falls due.
    std::size_t maxPaymentsInFlight = 8;
    // Seller: how often, and how far apart, the chain is asked for a new channel's deposit
    // before a buyer's first payment counts as paying from money that is not there. The
    // buyer's node may be a block ahead of ours (about 12 s on Ethereum's main chain).
    int fundingChecks = 20;
    std::chrono::milliseconds fundingRecheckDelay{1000};
};

// A buyer's limits for one torrent.
struct BuyTerms {
    pt::Wei maxPricePerMiB;
    pt::Wei budget;                 // the most locked in deposits, over all its channels
    std::uint64_t torrentBytes = 0; // 0 until the metadata is known (magnet links)
};

// One channel as the ledger shows it.
struct ChannelSummary {
    pt::nitro::ChannelId id;
    std::string torrent; // info-hash hex
    std::string peer;    // endpoint
    bool weSell = false;
    std::uint64_t bytes = 0; // served (we sell) or received (we buy) on this channel's connection
    pt::Wei paid;            // paid to the seller so far, per the latest doubly signed state
    pt::Wei deposit;
    std::string status;      // proposed, open, closing, closed, failed
    std::string error;       // why it failed, if it did
    std::uint64_t stops = 0; // STOP(payment_needed) from the seller (we buy): credit ran out
    pt::ext::LatencySummary paymentAnswer; // we buy: from sending a payment to its countersignature
};

// Bytes <-> wei at a price per MiB, rounded so that a payment always covers its bytes:
// the seller grants floor(wei * 2^20 / price) bytes, the buyer pays ceil(bytes * price / 2^20).
[[nodiscard]] std::uint64_t bytesForWei(const pt::Wei& wei, const pt::Wei& pricePerMiB);
[[nodiscard]] pt::Wei weiForBytes(std::uint64_t bytes, const pt::Wei& pricePerMiB);

class PaymentEngine final : public pt::ext::PeerEvents {
public:
    PaymentEngine(EngineConfig config, pt::PrivateKey key, pt::store::Store& store, ChainPort& chain);
    ~PaymentEngine() override;
    PaymentEngine(const PaymentEngine&) = delete;
    PaymentEngine& operator=(const PaymentEngine&) = delete;

    // The extension, once created (it needs this engine as its PeerEvents).
    void attach(std::shared_ptr<pt::ext::PeerControl> control);

    // Buy `infoHash` (hex) within `terms`. Peers that join before the size is known wait.
    void buy(const std::string& infoHash, BuyTerms terms);
    void setTorrentBytes(const std::string& infoHash, std::uint64_t bytes);

    // Buyer: closes every channel of `infoHash` cooperatively (final state, countersignature,
    // conclude on chain). `done` runs on the engine thread when each has closed or failed,
    // or when `timeout` passes.
    void closeChannels(const std::string& infoHash, std::chrono::milliseconds timeout,
                       std::function<void(std::vector<ChannelSummary>)> done);

    // A snapshot of every channel this engine has run since it started (any thread).
    [[nodiscard]] std::vector<ChannelSummary> channels() const;
    // Called on the engine thread after each accepted payment (for progress displays).
    void onPayment(std::function<void(const ChannelSummary&, const pt::Wei& amount)> handler);

    // PeerEvents (libtorrent's network thread): each posts to the engine thread.
    void onPeerJoined(const pt::ext::PeerInfo& peer) override;
    void onMessage(pt::ext::PeerKey peer, pt::ext::Message message) override;
    void onCreditExhausted(pt::ext::PeerKey peer, std::uint64_t requestBytes) override;
    void onPayloadReceived(pt::ext::PeerKey peer, std::uint64_t totalBytes) override;
    void onPaymentReleased(pt::ext::PeerKey peer, std::uint64_t turn) override;
    void onPeerError(pt::ext::PeerKey peer, const pt::Error& error) override;
    void onPeerLeft(pt::ext::PeerKey peer, const pt::ext::PeerCountersSnapshot& final) override;

    // Runs `fn` on the engine thread and waits for it (for tests and orderly shutdown). From
    // another thread, it first waits for the fsyncs under way, so that `fn` runs after the
    // continuations of every batch committed before the call.
    void sync(std::function<void()> fn);

private:
    struct Peer;
    struct Torrent;
    struct Closing;

    // Engine thread only.
    void joined(const pt::ext::PeerInfo& info);
    void message(pt::ext::PeerKey key, pt::ext::Message msg);
    void proposeChannel(Peer& p);
    void handleProposal(Peer& p, const pt::ext::ChannelProposal& m);
    void handleAccept(Peer& p, const pt::ext::ChannelAccept& m);
    void deposit(Peer& p, const pt::nitro::ChannelId& id);
    void releaseAllocation(Peer& p);
    [[nodiscard]] pt::Status recordDeposit(const std::string& infoHash, const pt::nitro::ChannelId& id, const pt::Wei& deposit);
    [[nodiscard]] pt::Wei lockedDeposits(const std::string& infoHash);
    void handlePayment(Peer& p, const pt::ext::Payment& m, bool isFinal);
    void checkFunding(Peer& p);
    void acceptPayment(Peer& p, const pt::nitro::SignedState& proposed, bool isFinal);
    void countersigned(Peer& p, const pt::nitro::ChannelView& agreed, const pt::Wei& amount, std::uint64_t covered);
    void sendProposal(Peer& p, const pt::nitro::Proposal& proposal);
    void conclude(pt::ext::PeerKey key, const pt::nitro::ChannelId& id, const pt::nitro::SignedState& finalState);
    void handleCountersignature(Peer& p, std::uint64_t turn, const pt::ext::SignatureBytes& sig, bool isFinal);
    void maybePay(Peer& p);
    [[nodiscard]] bool preparePayment(Peer& p);
    void withdrawPrepared(Peer& p);
    void movePreparedToInflight(Peer& p, std::uint64_t turn);
    [[nodiscard]] pt::Wei paymentLimit(const Torrent& t, const pt::nitro::ChannelId& self, const pt::Wei& price) const;
    void maybeFinalize(Peer& p);
    void fail(Peer& p, pt::ext::PeerErrorCode code, const pt::Error& why,
              spdlog::level::level_enum level = spdlog::level::warn);
    void publish(const Peer& p);
    void reportPayment(const pt::nitro::ChannelId& id, const pt::Wei& total, const pt::Wei& amount);
    void checkClosings();
    Peer* find(pt::ext::PeerKey key);
    [[nodiscard]] pt::Status persist(const std::function<pt::Status()>& writes);
    void afterSync(std::function<void(const pt::Status&)> done, std::function<void()> whenDurable);
    // Group commit (see the .cpp): `writes` joins the next batch; `then` runs after its commit.
    // `urgent` false: nothing waits on it; it may share the next urgent commit (bounded delay).
    // `whenDurable`, if given, runs once the writes succeeded and are durable, before `then`,
    // possibly on the syncer's thread: only thread-safe calls (PeerControl's) belong there.
    void commitLater(std::function<pt::Status()> writes, std::function<void(const pt::Status&)> then, bool urgent = true,
                     std::function<void()> whenDurable = {});
    void flush();
    [[nodiscard]] std::function<pt::Status()> agreedWrites(const Peer& p, const pt::nitro::SignedState& agreed,
                                                           const pt::Wei& amount, pt::store::PaymentDirection direction,
                                                           bool isFinal);

    EngineConfig config_;
    pt::PrivateKey key_;
    pt::store::Store& store_;
    ChainPort& chain_;
    std::shared_ptr<pt::ext::PeerControl> control_;

    std::map<pt::ext::PeerKey, std::unique_ptr<Peer>> peers_;
    std::map<std::string, std::unique_ptr<Torrent>> torrents_;
    std::vector<std::unique_ptr<Closing>> closings_;
    struct PendingCommit {
        std::function<pt::Status()> writes;
        std::function<void(const pt::Status&)> then;
        std::function<void()> whenDurable; // thread-safe, before `then` (see commitLater)
    };
    std::vector<PendingCommit> pending_;
    bool flushPosted_ = false;
    std::function<void(const ChannelSummary&, const pt::Wei&)> paymentHandler_;

    mutable std::mutex summaryMutex_;
    std::map<pt::nitro::ChannelId, ChannelSummary> summaries_; // guarded by summaryMutex_

    boost::asio::io_context ctx_;
    boost::asio::steady_timer closingTimer_;
    boost::asio::steady_timer flushTimer_; // lazy commits (commitLater with urgent false)
    bool flushTimerArmed_ = false;
    bool closingTimerArmed_ = false;
    std::thread thread_;
    // The fsync of commits, off the engine thread (a store opened with deferredSync); null:
    // every commit fsyncs on the engine thread before its continuation runs.
    std::unique_ptr<DeferredSync> syncer_;
};

} // namespace paytorrent::core
