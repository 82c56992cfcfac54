#include "payment_engine.hpp"

#include "wire_state.hpp"

#include "extension/messages.hpp"
#include "wallet/store/store.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <deque>
#include <future>
#include <random>

namespace paytorrent::core {

using namespace pt;
namespace ext = pt::ext;

namespace {

constexpr std::uint64_t mib = std::uint64_t{1} << 20;
// A seller accepts a challenge window from its own (the time it needs to answer a stale
// challenge) up to 30 days (the longest it agrees to wait for its money).
constexpr std::uint64_t max_challenge_duration = 30ull * 24 * 3600;
// Payments a seller holds while it checks the deposit on chain. An honest buyer pays only
// after its deposit is confirmed, and pays again only for bytes received, which the seller
// grants only after the check: it never has more than one waiting; the rest is room for a
// final state. More is a peer flooding us, and is refused
// rather than queued without bound.
constexpr std::size_t max_payments_before_funding = 4;
// How long a write nothing waits on (a buyer's countersigned state) may stay uncommitted
// when no urgent commit comes to take it along.
constexpr std::chrono::milliseconds lazy_commit_delay{20};

std::int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string hexOf(const ext::InfoHashBytes& ih) { return ih.hex(false); }

ext::PeerErrorCode peerCodeFor(const Error& e)
{
    if (e.code.category() == nitro::channelErrorCategory()) {
        switch (static_cast<nitro::ChannelError>(e.code.value())) {
        case nitro::ChannelError::wrong_signer: return ext::PeerErrorCode::invalid_signature;
        case nitro::ChannelError::turn_not_next: return ext::PeerErrorCode::stale_state;
        case nitro::ChannelError::beneficiary_decreased: return ext::PeerErrorCode::decreasing_payment;
        case nitro::ChannelError::payer_below_zero:
        case nitro::ChannelError::total_changed: return ext::PeerErrorCode::overspend;
        case nitro::ChannelError::wrong_channel: return ext::PeerErrorCode::unknown_channel;
        case nitro::ChannelError::terms_mismatch: return ext::PeerErrorCode::unacceptable_terms;
        default: return ext::PeerErrorCode::protocol_violation;
        }
    }
    return ext::PeerErrorCode::malformed_message;
}

Error protocolError(std::string message)
{
    return makeError(nitro::ChannelError::malformed, std::move(message));
}

ext::SignatureBytes sigBytes(const Signature& s)
{
    ext::SignatureBytes out;
    out.bytes = s.toBytes65().bytes;
    return out;
}

ext::ChannelIdBytes idBytes(const nitro::ChannelId& id)
{
    ext::ChannelIdBytes out;
    out.bytes = id.bytes;
    return out;
}

} // namespace

std::uint64_t bytesForWei(const Wei& wei, const Wei& pricePerMiB)
{
    if (pricePerMiB.value() == 0) return 0;
    const boost::multiprecision::uint512_t b =
        boost::multiprecision::uint512_t(wei.value()) * mib / boost::multiprecision::uint512_t(pricePerMiB.value());
    if (b > std::numeric_limits<std::uint64_t>::max()) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(b);
}

Wei weiForBytes(std::uint64_t bytes, const Wei& pricePerMiB)
{
    const boost::multiprecision::uint512_t num = boost::multiprecision::uint512_t(bytes) * boost::multiprecision::uint512_t(pricePerMiB.value());
    const boost::multiprecision::uint512_t w = (num + (mib - 1)) / mib;
    return Wei(U256(w)); // bytes < 2^64 and price < 2^256 keep w below 2^256 for any real price
}

// One connection that speaks the extension, and the channel on it.
struct PaymentEngine::Peer {
    ext::PeerInfo info;
    std::string torrent; // hex
    bool weSell = false;
    Wei price;           // the seller's price per MiB on this connection

    enum class Phase { waiting, proposed, funding, open, closing, closed, failed } phase = Phase::waiting;
    std::optional<nitro::ChannelTerms> terms;
    std::optional<nitro::SignedState> proposedInitial; // buyer: turn 0 signed by us
    std::optional<nitro::ChannelView> view;            // latest doubly signed state
    // Seller side.
    bool funded = false;
    bool fundingCheck = false;        // a check of the deposit (or the wait before the next) is under way
    int fundingChecksDone = 0;        // checks that found too little
    std::vector<std::pair<nitro::SignedState, bool>> waitingForFunds; // payments before the deposit is seen
    std::uint64_t granted = 0;
    // Buyer side.
    std::deque<nitro::Proposal> inflight; // sent, not yet countersigned, oldest first
    // Signed ahead of the bytes that make them due, stored, then armed in info.payments; the
    // connection sends each when it falls due (onPaymentReleased moves it to inflight).
    struct Prepared {
        nitro::Proposal proposal;
        std::uint64_t dueAt = 0; // payload bytes received that make it due
    };
    std::deque<Prepared> prepared;
    std::uint64_t armedTurn = 0;     // the last prepared turn armed
    std::uint64_t preparedEpoch = 0; // counts withdrawals: a commit from before one arms nothing
    bool stopped = false;                 // STOP(payment_needed) received, no START since
    std::uint64_t stops = 0;              // STOP(payment_needed) received in all
    bool wantFinal = false;
    std::uint64_t received = 0;
    // Our proposal's deposit counts in its torrent's `allocated` and no deposit transaction
    // has been sent: a seller that refuses or leaves before then gives it back.
    bool allocationPending = false;
    std::string error;
};

struct PaymentEngine::Torrent {
    BuyTerms terms;
    Wei allocated; // sum of deposits of its channels
    // closeChannels() was called: no new channel is opened. A seller that joins after the
    // close would otherwise be paid a window ahead for a finished download, and its channel
    // (never asked to close) would hold the close up until its deadline.
    bool closing = false;
    // Every channel that has paid for this torrent (this run), with what our latest signed
    // state pays its seller, at that seller's price. Kept after the connection leaves: what
    // was signed is spent either way.
    struct Paying {
        Wei paid;
        Wei price;
    };
    std::map<nitro::ChannelId, Paying> paying;
};

struct PaymentEngine::Closing {
    std::string torrent;
    std::chrono::steady_clock::time_point deadline;
    std::function<void(std::vector<ChannelSummary>)> done;
};

PaymentEngine::PaymentEngine(EngineConfig config, PrivateKey key, store::Store& store, ChainPort& chain)
    : config_(std::move(config)), key_(std::move(key)), store_(store), chain_(chain), closingTimer_(ctx_), flushTimer_(ctx_)
{
    if (auto wal = store_.walSync())
        syncer_ = std::make_unique<DeferredSync>([wal] { return wal->sync(); },
                                                 [this](std::function<void()> fn) { boost::asio::post(ctx_, std::move(fn)); });
    thread_ = std::thread([this] {
        auto guard = boost::asio::make_work_guard(ctx_);
        ctx_.run();
    });
}

PaymentEngine::~PaymentEngine()
{
    // Commit what waits for a batch (a buyer's countersigned states, the removal of payments
    // signed ahead and never sent): the syncer below makes it durable. Its continuations
    // have nobody to run them.
    if (thread_.joinable()) sync([this] { flush(); });
    ctx_.stop();
    if (thread_.joinable()) thread_.join();
    syncer_.reset(); // syncs the last commits; their continuations have nobody to run them
}

void PaymentEngine::attach(std::shared_ptr<ext::PeerControl> control)
{
    sync([this, c = std::move(control)]() mutable { control_ = std::move(c); });
}

void PaymentEngine::sync(std::function<void()> fn)
{
    if (std::this_thread::get_id() == thread_.get_id()) {
        fn();
        return;
    }
    if (syncer_) syncer_->waitIdle();
    std::promise<void> done;
    boost::asio::post(ctx_, [&] {
        fn();
        done.set_value();
    });
    done.get_future().wait();
}

void PaymentEngine::buy(const std::string& infoHash, BuyTerms terms)
{
    boost::asio::post(ctx_, [this, infoHash, terms] {
        auto& t = torrents_[infoHash];
        if (!t) t = std::make_unique<Torrent>();
        t->terms = terms;
        t->closing = false;
        // The budget bounds what is locked: deposits of this torrent's channels not yet
        // closed, from this run or an earlier one (a node restarted mid-download), and the
        // proposals now waiting for an answer.
        Wei locked = lockedDeposits(infoHash);
        for (const auto& [key, p] : peers_)
            if (p->torrent == infoHash && p->allocationPending && p->terms) locked = locked + p->terms->deposit;
        t->allocated = locked;
    });
}

// "torrent.deposits.<info-hash>": "<channel id hex>=<deposit wei>;" for each channel this
// node funded (or was about to) for the torrent, written with the channel's record.
namespace {
std::string depositsKey(const std::string& infoHash) { return "torrent.deposits." + infoHash; }
} // namespace

Status PaymentEngine::recordDeposit(const std::string& infoHash, const nitro::ChannelId& id, const Wei& deposit)
{
    auto old = store_.getSetting(depositsKey(infoHash));
    if (!old) return old.error();
    std::string list = *old ? std::string((*old)->begin(), (*old)->end()) : std::string{};
    list += id.hex() + "=" + deposit.toDecimal() + ";";
    return store_.putSetting(depositsKey(infoHash), ByteView(reinterpret_cast<const std::uint8_t*>(list.data()), list.size()));
}

Wei PaymentEngine::lockedDeposits(const std::string& infoHash)
{
    auto stored = store_.getSetting(depositsKey(infoHash));
    if (!stored || !*stored) return Wei{};
    const std::string list((*stored)->begin(), (*stored)->end());
    Wei locked;
    for (std::size_t at = 0; at < list.size();) {
        const std::size_t end = std::min(list.find(';', at), list.size());
        const std::string entry = list.substr(at, end - at);
        at = end + 1;
        const std::size_t eq = entry.find('=');
        if (eq == std::string::npos) continue;
        auto id = nitro::ChannelId::fromHex(entry.substr(0, eq));
        auto amount = Wei::parse(entry.substr(eq + 1));
        if (!id || !amount) continue; // not ours to make sense of: counted as nothing
        auto rec = store_.getChannel(*id);
        // Unknown or closed: nothing locked any more. Unreadable: assume it still is.
        if (rec && (!*rec || (*rec)->status == store::ChannelStatus::closed)) continue;
        locked = locked + *amount;
    }
    return locked;
}

void PaymentEngine::setTorrentBytes(const std::string& infoHash, std::uint64_t bytes)
{
    boost::asio::post(ctx_, [this, infoHash, bytes] {
        auto it = torrents_.find(infoHash);
        if (it == torrents_.end()) return;
        it->second->terms.torrentBytes = bytes;
        for (auto& [k, p] : peers_)
            if (p->torrent == infoHash && !p->weSell && p->phase == Peer::Phase::waiting) proposeChannel(*p);
    });
}

void PaymentEngine::onPayment(std::function<void(const ChannelSummary&, const Wei&)> handler)
{
    sync([this, h = std::move(handler)]() mutable { paymentHandler_ = std::move(h); });
}

std::vector<ChannelSummary> PaymentEngine::channels() const
{
    std::lock_guard lock(summaryMutex_);
    std::vector<ChannelSummary> out;
    for (const auto& [id, s] : summaries_) out.push_back(s);
    return out;
}

// --- PeerEvents: hop onto the engine thread -----------------------------------------------

void PaymentEngine::onPeerJoined(const ext::PeerInfo& peer)
{
    boost::asio::post(ctx_, [this, peer] { joined(peer); });
}

void PaymentEngine::onMessage(ext::PeerKey peer, ext::Message msg)
{
    boost::asio::post(ctx_, [this, peer, m = std::move(msg)]() mutable { message(peer, std::move(m)); });
}

void PaymentEngine::onCreditExhausted(ext::PeerKey, std::uint64_t)
{
    // The extension has choked the peer and told it to pay; the buyer's pay-ahead answers.
}

void PaymentEngine::onPayloadReceived(ext::PeerKey peer, std::uint64_t totalBytes)
{
    boost::asio::post(ctx_, [this, peer, totalBytes] {
        if (Peer* p = find(peer)) {
            p->received = std::max(p->received, totalBytes);
            publish(*p);
            maybePay(*p);
        }
    });
}

void PaymentEngine::onPaymentReleased(ext::PeerKey peer, std::uint64_t turn)
{
    boost::asio::post(ctx_, [this, peer, turn] {
        Peer* p = find(peer);
        if (!p) return;
        movePreparedToInflight(*p, turn);
        maybePay(*p);
    });
}

void PaymentEngine::onPeerError(ext::PeerKey peer, const Error& error)
{
    boost::asio::post(ctx_, [this, peer, error] {
        if (Peer* p = find(peer)) {
            // The extension names the peer in the message; a peer with no channel yet has no
            // summary to carry the error, so the log is where it is seen.
            spdlog::warn("{}", error.describe());
            p->error = error.describe();
            publish(*p);
        }
    });
}

void PaymentEngine::onPeerLeft(ext::PeerKey peer, const ext::PeerCountersSnapshot& final)
{
    boost::asio::post(ctx_, [this, peer, final] {
        auto it = peers_.find(peer);
        if (it == peers_.end()) return;
        Peer& p = *it->second;
        if (!p.weSell) p.received = std::max(p.received, final.payloadReceived);
        withdrawPrepared(p); // what never left is forgotten
        releaseAllocation(p);
        if (p.phase != Peer::Phase::closed && p.phase != Peer::Phase::failed && p.error.empty())
            p.error = "peer disconnected";
        publish(p);
        peers_.erase(it);
        checkClosings();
    });
}

PaymentEngine::Peer* PaymentEngine::find(ext::PeerKey key)
{
    auto it = peers_.find(key);
    return it == peers_.end() ? nullptr : it->second.get();
}

// One unit's writes in a transaction of their own, committed without waiting for the disk
// when the store defers its fsync (afterSync then waits for it).
Status PaymentEngine::persist(const std::function<Status()>& writes)
{
    auto tx = store_.begin();
    if (!tx) return tx.error();
    if (auto s = writes(); !s) return s;
    return tx->commitDeferred();
}

// Runs `done` once what was committed so far is durable: at once when commits fsync on this
// thread; else after the syncer's next fsync, back on this thread.
void PaymentEngine::afterSync(std::function<void(const Status&)> done, std::function<void()> whenDurable)
{
    if (syncer_) return syncer_->submit(std::move(done), std::move(whenDurable));
    if (whenDurable) whenDurable();
    done(Status{});
}

// Group commit: the writes of every event handled since the last flush go into one
// transaction, so one fsync covers them all; each unit's `then` (its sends, grants and
// chain calls) runs only after that commit is durable. When the engine is busy, more events
// queue up during a commit, and the next flush covers them all: the cost per payment falls
// as the load grows. If the batch fails, each unit is retried in a transaction of its own,
// so one unit's failure is its own. With a deferred-sync store the fsync runs on the
// syncer's thread: this thread validates the next payment meanwhile, and one fsync covers
// every batch committed while the last one ran.
void PaymentEngine::commitLater(std::function<Status()> writes, std::function<void(const Status&)> then, bool urgent,
                                std::function<void()> whenDurable)
{
    pending_.push_back({std::move(writes), std::move(then), std::move(whenDurable)});
    if (flushPosted_) return;
    if (!urgent) {
        // Nothing waits on it: it rides along with the next urgent commit, or goes on its own
        // after lazy_commit_delay.
        if (flushTimerArmed_) return;
        flushTimerArmed_ = true;
        flushTimer_.expires_after(lazy_commit_delay);
        flushTimer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return; // cancelled by a flush, which already cleared the flag
            flushTimerArmed_ = false;
            flush();
        });
        return;
    }
    flushPosted_ = true;
    boost::asio::post(ctx_, [this] { flush(); });
}

void PaymentEngine::flush()
{
    flushPosted_ = false;
    // The batch takes the lazy units along. The flag is cleared here, not in the cancelled
    // wait's handler: a lazy unit added before that handler runs must arm a new wait.
    if (flushTimerArmed_) {
        flushTimerArmed_ = false;
        flushTimer_.cancel();
    }
    std::vector<PendingCommit> batch = std::move(pending_);
    pending_.clear();
    if (batch.empty()) return;
    std::vector<Status> results(batch.size());
    bool committed = false;
    if (auto tx = store_.begin()) {
        bool written = true;
        for (auto& unit : batch)
            if (!unit.writes()) {
                written = false;
                break;
            }
        committed = written && tx->commitDeferred();
    } // not committed: the transaction rolls back here
    if (!committed)
        for (std::size_t i = 0; i < batch.size(); ++i) results[i] = persist(batch[i].writes);
    std::vector<std::function<void()>> actions;
    for (std::size_t i = 0; i < batch.size(); ++i)
        if (results[i] && batch[i].whenDurable) actions.push_back(std::move(batch[i].whenDurable));
    std::function<void()> whenDurable;
    if (!actions.empty())
        whenDurable = [actions = std::move(actions)] {
            for (const auto& a : actions) a();
        };
    afterSync(
        [batch = std::move(batch), results = std::move(results)](const Status& synced) {
            for (std::size_t i = 0; i < batch.size(); ++i) batch[i].then(results[i] ? synced : results[i]);
        },
        std::move(whenDurable));
}

// The writes for a state both sides signed: the state (the seller stores it whole; the buyer
// stored its own signed proposal before sending it and adds the countersignature), the
// ledger entry, and the closing status for a final state.
std::function<Status()> PaymentEngine::agreedWrites(const Peer& p, const nitro::SignedState& agreed, const Wei& amount,
                                                    store::PaymentDirection direction, bool isFinal)
{
    // The channel's view was made from the same fixed part and keeps its id: no need to
    // encode and hash it again for every payment.
    const nitro::ChannelId id = p.view ? p.view->id() : nitro::channelId(agreed.state.fixed);
    store::PaymentRecord rec;
    rec.channelId = id;
    rec.turnNum = agreed.state.turnNum;
    rec.amount = amount;
    rec.direction = direction;
    rec.torrent = p.torrent;
    rec.peer = p.info.endpoint;
    rec.timeMs = nowMs();
    if (p.info.counters)
        rec.bytes = p.weSell ? p.info.counters->payloadSent.load() : std::max(p.received, p.info.counters->payloadReceived.load());
    return [this, id, agreed, rec, isFinal]() -> Status {
        auto stored = rec.direction == store::PaymentDirection::received ? store_.appendSignedState(id, agreed)
                                                                         : store_.addSignatures(id, agreed);
        if (!stored) return stored;
        // A final state that moves no money still records the bytes the channel carried.
        if (rec.amount.value() > 0 || isFinal)
            if (auto r = store_.recordPayment(rec); !r) return r;
        if (isFinal) return store_.setChannelStatus(id, store::ChannelStatus::closing);
        return Status{};
    };
}

void PaymentEngine::releaseAllocation(Peer& p)
{
    if (!p.allocationPending) return;
    p.allocationPending = false;
    auto t = torrents_.find(p.torrent);
    if (t == torrents_.end() || !p.terms) return;
    t->second->allocated = t->second->allocated.checkedSub(p.terms->deposit).value_or(Wei{});
}

void PaymentEngine::fail(Peer& p, ext::PeerErrorCode code, const Error& why, spdlog::level::level_enum level)
{
    releaseAllocation(p);
    spdlog::log(level, "peer {}: {} (disconnected)", p.info.endpoint, why.describe());
    p.phase = Peer::Phase::failed;
    p.error = why.describe();
    publish(p);
    if (control_) control_->disconnect(p.info.key, code, why);
}

void PaymentEngine::publish(const Peer& p)
{
    if (!p.view && !p.terms) return;
    const nitro::ChannelId id = p.view ? p.view->id() : nitro::channelId(nitro::makeInitialState(*p.terms)->fixed);
    ChannelSummary s;
    s.id = id;
    s.torrent = p.torrent;
    s.peer = p.info.endpoint;
    s.weSell = p.weSell;
    const auto counters = p.info.counters ? p.info.counters->snapshot() : ext::PeerCountersSnapshot{};
    s.bytes = p.weSell ? counters.payloadSent : std::max(p.received, counters.payloadReceived);
    if (p.view) s.paid = p.view->paid();
    if (p.terms) s.deposit = p.terms->deposit;
    switch (p.phase) {
    case Peer::Phase::waiting:
    case Peer::Phase::proposed:
    case Peer::Phase::funding: s.status = "proposed"; break;
    case Peer::Phase::open: s.status = "open"; break;
    case Peer::Phase::closing: s.status = "closing"; break;
    case Peer::Phase::closed: s.status = "closed"; break;
    case Peer::Phase::failed: s.status = "failed"; break;
    }
    s.error = p.error;
    s.stops = p.stops;
    if (!p.weSell) s.paymentAnswer = counters.paymentAnswer;
    std::lock_guard lock(summaryMutex_);
    summaries_[id] = s;
}

// --- joining and channel set-up -----------------------------------------------------------

void PaymentEngine::joined(const ext::PeerInfo& info)
{
    auto p = std::make_unique<Peer>();
    p->info = info;
    p->torrent = hexOf(info.infoHash);
    Peer& peer = *p;
    peers_[info.key] = std::move(p);
    if (info.localPrice) {
        // We sell: wait for the buyer's proposal.
        peer.weSell = true;
        peer.price = *info.localPrice;
        return;
    }
    if (!info.remote.pricePerMiB) return; // neither side sells on this connection
    peer.price = *info.remote.pricePerMiB;
    proposeChannel(peer);
}

void PaymentEngine::proposeChannel(Peer& p)
{
    if (!p.info.remote.pricePerMiB) return; // it does not sell this torrent: nothing to pay
    auto t = torrents_.find(p.torrent);
    if (t == torrents_.end()) return; // not buying this torrent
    Torrent& torrent = *t->second;
    if (torrent.closing) return; // finished: this seller is not needed
    if (p.price > torrent.terms.maxPricePerMiB) {
        fail(p, ext::PeerErrorCode::unacceptable_terms,
             protocolError("price " + p.price.value().str() + " wei/MiB is above our maximum " +
                           torrent.terms.maxPricePerMiB.value().str()));
        return;
    }
    if (p.info.remote.chainId != config_.chainId || Address(p.info.remote.adjudicator) != config_.adjudicator) {
        fail(p, ext::PeerErrorCode::unacceptable_terms, protocolError("the seller uses another chain or adjudicator"));
        return;
    }
    if (torrent.terms.torrentBytes == 0) return; // wait for the metadata (setTorrentBytes)
    // One channel per seller: a second connection to the same signer (both sides dialled
    // each other, or it reconnected before the old connection timed out) would let it hold
    // a second window of our money. Nothing is wrong with the peer, so no warning.
    const Address seller(p.info.remote.signer);
    for (const auto& [key, other] : peers_)
        if (other.get() != &p && !other->weSell && other->torrent == p.torrent && other->terms &&
            (other->phase == Peer::Phase::proposed || other->phase == Peer::Phase::funding ||
             other->phase == Peer::Phase::open) &&
            other->terms->beneficiary == seller)
            return fail(p, ext::PeerErrorCode::unacceptable_terms,
                        protocolError("already buying from " + seller.toChecksum() + " on another connection"),
                        spdlog::level::debug);
    p.phase = Peer::Phase::proposed;

    // Enough for the whole torrent plus one window, within what is left of the budget.
    const Wei want = weiForBytes(torrent.terms.torrentBytes + config_.creditWindow, p.price);
    const Wei left = torrent.terms.budget.checkedSub(torrent.allocated).value_or(Wei{});
    const Wei deposit = std::min(want, left);
    if (deposit.value() == 0 || bytesForWei(deposit, p.price) < config_.paymentIncrement) {
        fail(p, ext::PeerErrorCode::unacceptable_terms, protocolError("the budget is spent: no deposit for another seller"));
        return;
    }

    std::random_device rd;
    nitro::ChannelTerms terms;
    terms.chainId = config_.chainId;
    terms.beneficiary = Address(p.info.remote.signer);
    terms.payer = key_.address();
    terms.channelNonce = ((std::uint64_t{rd()} << 32) | rd()) & nitro::max_uint48;
    terms.appDefinition = config_.appDefinition;
    terms.challengeDuration = config_.challengeDuration;
    terms.deposit = deposit;
    auto initial = nitro::makeInitialState(terms);
    if (!initial) return fail(p, ext::PeerErrorCode::internal, initial.error());
    nitro::SignedState signedInitial{*initial, {std::nullopt, std::nullopt}};
    auto mine = nitro::addSignature(signedInitial, key_);
    if (!mine) return fail(p, ext::PeerErrorCode::internal, mine.error());

    torrent.allocated = torrent.allocated + deposit;
    p.allocationPending = true;
    p.terms = terms;
    p.proposedInitial = *mine;
    const nitro::ChannelId id = nitro::channelId(initial->fixed);
    ext::ChannelProposal msg;
    msg.channel = idBytes(id);
    msg.state = encodeWireState(*initial);
    msg.signature = sigBytes(*mine->signatures[nitro::payer_index]);
    publish(p);
    if (auto s = control_->send(p.info.key, msg); !s) fail(p, ext::PeerErrorCode::internal, s.error());
}

void PaymentEngine::message(ext::PeerKey key, ext::Message msg)
{
    Peer* p = find(key);
    // A failed peer is being disconnected: what it sent before the close took effect (a
    // proposal, a payment) is not acted on, or a refused peer could still open a channel.
    if (!p || p->phase == Peer::Phase::failed) return;
    std::visit(
        [&](auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, ext::ChannelProposal>) handleProposal(*p, m);
            else if constexpr (std::is_same_v<M, ext::ChannelAccept>) handleAccept(*p, m);
            else if constexpr (std::is_same_v<M, ext::Payment>) handlePayment(*p, m, false);
            else if constexpr (std::is_same_v<M, ext::FinalState>) handlePayment(*p, ext::Payment{m.channel, m.state, m.signature}, true);
            else if constexpr (std::is_same_v<M, ext::Countersignature>) handleCountersignature(*p, m.turn, m.signature, false);
            else if constexpr (std::is_same_v<M, ext::FinalCountersignature>) handleCountersignature(*p, m.turn, m.signature, true);
            else if constexpr (std::is_same_v<M, ext::ErrorMessage>) {
                p->error = "peer reported: " + m.text;
                publish(*p);
            }
            else if constexpr (std::is_same_v<M, ext::Stop>) {
                // The seller ran out of credit before our pay-ahead caught up: top up to the
                // full window at once (not waiting for a whole increment), and keep doing so
                // until START, or nothing might arrive to trigger the next payment.
                spdlog::debug("engine: STOP({}) from {}", ext::toString(m.reason), p->info.endpoint);
                if (m.reason == ext::StopReason::payment_needed) {
                    p->stopped = true;
                    ++p->stops;
                    maybePay(*p);
                }
            }
            else if constexpr (std::is_same_v<M, ext::Start>) {
                // The extension requests again on its own.
                p->stopped = false;
            }
        },
        msg);
}

// Seller: a buyer proposes a channel. Accept it when it is exactly the channel our terms
// allow: us as beneficiary, the peer's advertised signer as payer, our chain, a challenge
// window no shorter than ours, turn 0 with nothing paid (openChannel checks the state).
void PaymentEngine::handleProposal(Peer& p, const ext::ChannelProposal& m)
{
    if (!p.weSell) return fail(p, ext::PeerErrorCode::protocol_violation, protocolError("a proposal to a buyer"));
    if (p.terms) return fail(p, ext::PeerErrorCode::protocol_violation, protocolError("a second channel on one connection"));
    auto state = decodeWireState(m.state);
    if (!state) return fail(p, ext::PeerErrorCode::malformed_message, state.error());
    const auto& f = state->fixed;
    if (f.participants.size() != 2 || f.participants[0] != key_.address() ||
        f.participants[1] != Address(p.info.remote.signer) || f.chainId != config_.chainId ||
        f.appDefinition != config_.appDefinition || f.challengeDuration < config_.challengeDuration ||
        f.challengeDuration > max_challenge_duration ||
        state->outcome.size() != 1 || state->outcome[0].allocationItems.size() != 2)
        return fail(p, ext::PeerErrorCode::unacceptable_terms, protocolError("the proposed channel is not on our terms"));
    nitro::ChannelTerms terms;
    terms.chainId = f.chainId;
    terms.beneficiary = f.participants[0];
    terms.payer = f.participants[1];
    terms.channelNonce = f.channelNonce;
    terms.appDefinition = f.appDefinition;
    terms.challengeDuration = f.challengeDuration;
    terms.deposit = state->outcome[0].allocationItems[nitro::payer_index].amount;
    const nitro::ChannelId id = nitro::channelId(f);
    if (id.bytes != m.channel.bytes) return fail(p, ext::PeerErrorCode::unknown_channel, protocolError("channel id does not match the state"));
    if (auto known = store_.getChannel(id); !known || *known)
        return fail(p, ext::PeerErrorCode::stale_state, protocolError("this channel was proposed before"));

    auto theirSig = Signature::fromBytes65(m.signature.view());
    if (!theirSig) return fail(p, ext::PeerErrorCode::invalid_signature, theirSig.error());
    nitro::SignedState s{*state, {std::nullopt, *theirSig}};
    auto both = nitro::addSignature(s, key_);
    if (!both) return fail(p, ext::PeerErrorCode::internal, both.error());
    auto view = nitro::openChannel(terms, *both);
    if (!view) return fail(p, peerCodeFor(view.error()), view.error());

    store::ChannelRecord rec;
    rec.id = id;
    rec.fixed = f;
    rec.role = store::ChannelRole::beneficiary;
    rec.counterparty = terms.payer;
    rec.status = store::ChannelStatus::proposed;
    if (auto ok = persist([&]() -> Status {
            if (auto r = store_.putChannel(rec); !r) return r;
            return store_.appendSignedState(id, view->latest());
        });
        !ok)
        return fail(p, ext::PeerErrorCode::internal, ok.error());

    p.terms = terms;
    p.view = *view;
    p.phase = Peer::Phase::funding;
    publish(p);
    ext::ChannelAccept accept;
    accept.channel = m.channel;
    accept.signature = sigBytes(*view->latest().signatures[nitro::beneficiary_index]);
    if (auto sent = control_->send(p.info.key, accept); !sent) fail(p, ext::PeerErrorCode::internal, sent.error());
}

// Buyer: the seller countersigned turn 0. Store the channel, then, once that is durable,
// deposit: a crash after the deposit must find the channel (its nonce above all) to get the
// funds back.
void PaymentEngine::handleAccept(Peer& p, const ext::ChannelAccept& m)
{
    if (p.weSell || p.phase != Peer::Phase::proposed || !p.proposedInitial)
        return fail(p, ext::PeerErrorCode::protocol_violation, protocolError("an acceptance nobody asked for"));
    const nitro::ChannelId id = nitro::channelId(p.proposedInitial->state.fixed);
    if (id.bytes != m.channel.bytes) return fail(p, ext::PeerErrorCode::unknown_channel, protocolError("acceptance of another channel"));
    auto sig = Signature::fromBytes65(m.signature.view());
    if (!sig) return fail(p, ext::PeerErrorCode::invalid_signature, sig.error());
    nitro::SignedState both = *p.proposedInitial;
    both.signatures[nitro::beneficiary_index] = *sig;
    auto view = nitro::openChannel(*p.terms, both);
    if (!view) return fail(p, peerCodeFor(view.error()), view.error());

    store::ChannelRecord rec;
    rec.id = id;
    rec.fixed = both.state.fixed;
    rec.role = store::ChannelRole::payer;
    rec.counterparty = p.terms->beneficiary;
    rec.status = store::ChannelStatus::proposed;
    if (auto ok = persist([&]() -> Status {
            if (auto r = store_.putChannel(rec); !r) return r;
            if (auto r = recordDeposit(p.torrent, id, p.terms->deposit); !r) return r;
            return store_.appendSignedState(id, view->latest());
        });
        !ok)
        return fail(p, ext::PeerErrorCode::internal, ok.error());
    p.view = *view;
    p.phase = Peer::Phase::funding;
    publish(p);

    const ext::PeerKey key = p.info.key;
    afterSync(
        [this, key, id](const Status& synced) {
            Peer* peer = find(key);
            if (!peer || peer->phase != Peer::Phase::funding) {
                // Left or failed before its deposit: the channel never holds anything, and
                // its deposit no longer counts against the budget (lockedDeposits).
                (void)store_.setChannelStatus(id, store::ChannelStatus::closed);
                return;
            }
            if (!synced) return fail(*peer, ext::PeerErrorCode::internal, synced.error());
            deposit(*peer, id);
        },
        {});
}

void PaymentEngine::deposit(Peer& p, const nitro::ChannelId& id)
{
    p.allocationPending = false; // from here the funds may be on chain
    const ext::PeerKey key = p.info.key;
    chain_.deposit(id, Wei{}, p.terms->deposit, [this, key, id](Status result) {
        boost::asio::post(ctx_, [this, key, id, result] {
            Peer* peer = find(key);
            if (!result) {
                if (peer) fail(*peer, ext::PeerErrorCode::internal, result.error());
                return;
            }
            (void)store_.setChannelStatus(id, store::ChannelStatus::open);
            // The channel is funded either way; a peer that failed meanwhile is not paid.
            if (!peer || peer->phase == Peer::Phase::failed) return;
            peer->phase = Peer::Phase::open;
            publish(*peer);
            maybePay(*peer);
        });
    });
}

// --- payments -----------------------------------------------------------------------------

void PaymentEngine::handlePayment(Peer& p, const ext::Payment& m, bool isFinal)
{
    if (!p.weSell || !p.view) return fail(p, ext::PeerErrorCode::unknown_channel, protocolError("a payment for no channel"));
    if (p.view->id().bytes != m.channel.bytes)
        return fail(p, ext::PeerErrorCode::unknown_channel, protocolError("a payment for another channel"));
    auto state = decodeWireState(m.state);
    if (!state) return fail(p, ext::PeerErrorCode::malformed_message, state.error());
    if (state->isFinal != isFinal) return fail(p, ext::PeerErrorCode::protocol_violation, protocolError("isFinal does not match the message"));
    auto sig = Signature::fromBytes65(m.signature.view());
    if (!sig) return fail(p, ext::PeerErrorCode::invalid_signature, sig.error());
    nitro::SignedState proposed{*state, {std::nullopt, *sig}};
    if (p.funded) return acceptPayment(p, proposed, isFinal);

    // The first payment: the deposit must be on chain before any byte is granted.
    if (p.waitingForFunds.size() >= max_payments_before_funding)
        return fail(p, ext::PeerErrorCode::protocol_violation,
                    protocolError("more than " + std::to_string(max_payments_before_funding) +
                                  " payments before the deposit is confirmed"));
    p.waitingForFunds.emplace_back(std::move(proposed), isFinal);
    if (p.fundingCheck) return;
    checkFunding(p);
}

// Seller: is the channel's deposit on chain? Then the payments waiting for it are taken. If
// not, the chain is asked again (config_.fundingChecks times in all) before the buyer is
// told it pays with money that is not there.
void PaymentEngine::checkFunding(Peer& p)
{
    p.fundingCheck = true;
    const ext::PeerKey key = p.info.key;
    chain_.holdings(p.view->id(), [this, key](Result<Wei> held) {
        boost::asio::post(ctx_, [this, key, held] {
            Peer* peer = find(key);
            if (!peer) return;
            // Failed while the chain answered (fail() has disconnected it): the deposit
            // does not revive it, and its waiting payments are dropped unanswered.
            if (peer->phase == Peer::Phase::failed) {
                peer->fundingCheck = false;
                peer->waitingForFunds.clear();
                return;
            }
            if (!held) {
                peer->fundingCheck = false;
                return fail(*peer, ext::PeerErrorCode::internal, held.error());
            }
            if (*held < peer->terms->deposit) {
                if (++peer->fundingChecksDone < config_.fundingChecks) {
                    auto timer = std::make_shared<boost::asio::steady_timer>(ctx_, config_.fundingRecheckDelay);
                    timer->async_wait([this, key, timer](const boost::system::error_code& ec) {
                        if (Peer* again = find(key); !ec && again) checkFunding(*again); // failed meanwhile: see above
                    });
                    return; // the payments keep waiting
                }
                peer->fundingCheck = false;
                return fail(*peer, ext::PeerErrorCode::overspend,
                            protocolError("the channel holds " + held->value().str() + " wei, less than its deposit, after " +
                                          std::to_string(config_.fundingChecks) + " checks"));
            }
            peer->fundingCheck = false;
            peer->funded = true;
            peer->phase = Peer::Phase::open;
            (void)store_.setChannelStatus(peer->view->id(), store::ChannelStatus::open);
            auto waiting = std::move(peer->waitingForFunds);
            for (auto& [s, fin] : waiting) {
                if (!find(key)) return;
                acceptPayment(*peer, s, fin);
            }
        });
    });
}

// Seller: validate, countersign, store, and only then answer and grant the bytes paid for.
// The view moves on at once, so a payment already behind this one validates against it;
// nothing leaves before the commit.
void PaymentEngine::acceptPayment(Peer& p, const nitro::SignedState& proposed, bool isFinal)
{
    if (p.phase == Peer::Phase::failed) return;
    auto valid = nitro::validatePayment(*p.view, proposed);
    if (!valid) return fail(p, peerCodeFor(valid.error()), valid.error());
    auto next = nitro::countersign(*valid, key_);
    if (!next) return fail(p, ext::PeerErrorCode::internal, next.error());
    const Wei amount = valid->paid();
    // The answer, sent once the state is durable: the countersignature, then the credit the
    // payment adds. Built now, so that it can leave from the syncer's thread the moment the
    // fsync returns (commitLater's whenDurable), one thread hop sooner than `then`.
    const nitro::ChannelId id = next->id();
    const auto mySig = sigBytes(*next->latest().signatures[nitro::beneficiary_index]);
    ext::Message reply = ext::Countersignature{idBytes(id), next->turnNum(), mySig};
    if (isFinal) reply = ext::FinalCountersignature{idBytes(id), next->turnNum(), mySig};
    const std::uint64_t covered = bytesForWei(next->paid(), p.price);
    const std::uint64_t grant = covered > p.granted ? covered - p.granted : 0;
    p.granted = std::max(p.granted, covered);
    p.view = *next;
    if (isFinal) p.phase = Peer::Phase::closing;
    const ext::PeerKey key = p.info.key;
    commitLater(
        agreedWrites(p, next->latest(), amount, store::PaymentDirection::received, isFinal),
        [this, key, agreed = *next, amount, covered](const Status& stored) {
            Peer* peer = find(key);
            if (!peer || peer->phase == Peer::Phase::failed) return; // durable; answered if still connected
            if (!stored) return fail(*peer, ext::PeerErrorCode::internal, stored.error());
            countersigned(*peer, agreed, amount, covered);
        },
        true,
        // A peer that failed meanwhile is closing, and its connection drops both. A reply
        // that does not encode (sent nothing) fails the peer on the engine thread instead.
        [this, control = control_, key, reply = std::move(reply), grant] {
            if (auto sent = control->send(key, reply); !sent) {
                boost::asio::post(ctx_, [this, key, why = sent.error()] {
                    if (Peer* peer = find(key)) fail(*peer, ext::PeerErrorCode::internal, why);
                });
                return;
            }
            control->grantCredit(key, grant); // even 0: the connection learns the payment is answered
        });
}

// Seller, once the countersigned state is durable and answered (whenDurable above): the
// ledger's view of it.
void PaymentEngine::countersigned(Peer& p, const nitro::ChannelView& agreed, const Wei& amount, std::uint64_t covered)
{
    const nitro::ChannelId id = agreed.id();
    if (spdlog::should_log(spdlog::level::debug)) {
        const auto c = p.info.counters ? p.info.counters->snapshot() : ext::PeerCountersSnapshot{};
        spdlog::debug("engine: seller turn {} covers {} bytes; granted {} charged {} sent {} held {} refused {}",
                      agreed.turnNum(), covered, c.creditGranted, c.creditCharged, c.payloadSent, c.requestsHeld,
                      c.requestsRefused);
    }
    publish(p);
    reportPayment(id, agreed.paid(), amount);
}

// The payment handler hears of one payment with the channel's total as of that payment:
// the channel's summary may already show a later one (the engine validates the next payment
// while this one's fsync runs), and its handler would then see two payments in one.
void PaymentEngine::reportPayment(const nitro::ChannelId& id, const Wei& total, const Wei& amount)
{
    if (!paymentHandler_ || amount.value() == 0) return;
    std::lock_guard lock(summaryMutex_);
    ChannelSummary s = summaries_[id];
    s.paid = total;
    paymentHandler_(s, amount);
}

// Buyer: the most the channel `self` may pay in total so that, with what the torrent's other
// channels have signed, the torrent costs at most price x size + window x channels
// (docs/protocol.md, section 5). Each channel keeps at most one window ahead of what it
// received, but bytes can arrive twice (libtorrent's end game asks several sellers for the
// last blocks): without this cap they would be paid on top of the bound.
Wei PaymentEngine::paymentLimit(const Torrent& t, const nitro::ChannelId& self, const Wei& price) const
{
    if (t.terms.torrentBytes == 0) return Wei{};
    const std::uint64_t maxBytes = std::numeric_limits<std::uint64_t>::max();
    // The sellers paid: every channel that has paid something, and this one.
    std::uint64_t channels = 1;
    for (const auto& [id, c] : t.paying)
        if (id != self && c.paid.value() > 0) ++channels;
    const std::uint64_t windows = config_.creditWindow > maxBytes / channels ? maxBytes : config_.creditWindow * channels;
    const std::uint64_t bytes = windows > maxBytes - t.terms.torrentBytes ? maxBytes : t.terms.torrentBytes + windows;
    Wei limit = weiForBytes(bytes, price);
    for (const auto& [id, c] : t.paying) {
        if (id == self) continue;
        // At another price, what that channel paid counts as the bytes it bought (rounded
        // up) priced at ours.
        const Wei theirs = c.price == price ? c.paid : weiForBytes(bytesForWei(c.paid, c.price) + 1, price);
        if (theirs >= limit) return Wei{};
        limit = limit - theirs;
    }
    return limit;
}

// Buyer: keep the credit window ahead of what has arrived. Each payment is signed and stored
// before it is due and armed in the connection's PaymentTrigger with the byte count that makes
// it due: the network thread sends it on the block that gets there, with no commit, signature
// or thread hop left between the data and the payment (docs/protocol.md, section 5). A
// payment covers the whole shortfall in multiples of the increment, at least one, and is due
// when the credit it brings is no more than received + window: that bound is the buyer's
// whole exposure to this seller. Payments do not wait for each other's countersignatures (up
// to maxPaymentsInFlight signed and not countersigned). While the seller has us stopped and
// nothing of ours is on its way (what is would bring START), the shortfall is paid at once
// even if it is less than an increment, taking back armed payments that are not yet due.
void PaymentEngine::maybePay(Peer& p)
{
    if (p.weSell || p.phase != Peer::Phase::open) return;
    if (p.wantFinal) return maybeFinalize(p);
    // The live counter, not the last notification: exposure is computed on what has arrived.
    if (p.info.counters) p.received = std::max(p.received, p.info.counters->payloadReceived.load());
    if (p.stopped && p.inflight.empty() && !p.prepared.empty() && p.prepared.front().dueAt > p.received &&
        bytesForWei(p.view->paid(), p.price) < p.received + config_.creditWindow)
        withdrawPrepared(p);
    while (p.phase == Peer::Phase::open && p.inflight.size() + p.prepared.size() < std::max<std::size_t>(config_.maxPaymentsInFlight, 1) &&
           preparePayment(p)) {
    }
}

// Buyer: signs the next payment on top of the last one signed, stores it, and arms it.
// False when there is nothing left to pay with.
bool PaymentEngine::preparePayment(Peer& p)
{
    const nitro::Proposal* last = !p.prepared.empty() ? &p.prepared.back().proposal : !p.inflight.empty() ? &p.inflight.back() : nullptr;
    const Wei& signedPaid = last ? last->paid() : p.view->paid();
    const Wei& signedLeft = last ? last->remaining() : p.view->remaining();
    const std::uint64_t credit = bytesForWei(signedPaid, p.price);
    const std::uint64_t target = p.received + config_.creditWindow;
    const std::uint64_t shortfall = target > credit ? target - credit : 0;
    // At least window / payments_per_window, in whole increments (payment_engine.hpp).
    const std::uint64_t inc = std::max<std::uint64_t>(config_.paymentIncrement, 1);
    const std::uint64_t least = std::max(inc, (config_.creditWindow / payments_per_window + inc - 1) / inc * inc);
    const bool topUp = p.stopped && p.inflight.empty() && p.prepared.empty() && shortfall > 0 && shortfall < least;
    const std::uint64_t buy = topUp ? shortfall : std::max(least, shortfall / inc * inc);
    Wei newPaid = weiForBytes(credit + buy, p.price);
    if (newPaid > signedPaid + signedLeft) newPaid = signedPaid + signedLeft; // the deposit is the limit
    const nitro::ChannelId id = p.view->id();
    auto torrent = torrents_.find(p.torrent);
    if (torrent != torrents_.end()) {
        Wei limit = paymentLimit(*torrent->second, id, p.price);
        // The torrent's limit counts every channel's prepared payments as spent. A payment due
        // now is not kept waiting by other channels' payments that are not: those are taken
        // back (and prepared again within what is left).
        const bool dueNow = topUp || credit + buy <= p.received + config_.creditWindow;
        if (limit < newPaid && dueNow) {
            for (auto& [k, other] : peers_)
                if (other.get() != &p && other->torrent == p.torrent && !other->weSell && !other->prepared.empty() &&
                    other->prepared.front().dueAt > other->received)
                    withdrawPrepared(*other);
            limit = paymentLimit(*torrent->second, id, p.price);
        }
        newPaid = std::min(newPaid, limit);
    }
    if (newPaid <= signedPaid) return false; // nothing left to pay with
    // Due once the credit it brings is within a window of what has arrived.
    const std::uint64_t brings = std::min(credit + buy, bytesForWei(newPaid, p.price));
    const std::uint64_t dueAt = topUp || brings <= config_.creditWindow ? 0 : brings - config_.creditWindow;
    const Wei amount = newPaid - signedPaid;
    if (spdlog::should_log(spdlog::level::debug)) {
        const auto c = p.info.counters ? p.info.counters->snapshot() : ext::PeerCountersSnapshot{};
        spdlog::debug("engine: buyer signs {} for {} bytes, due at {} (received {}, credit {}, stopped {}, in flight {}, armed {}; requested {} rejected {})",
                      amount.toDecimal(), buy, dueAt, p.received, credit, p.stopped, p.inflight.size(), p.prepared.size(),
                      c.bytesRequested, c.bytesRejected);
    }
    auto proposal = last ? nitro::makePayment(*last, amount, key_) : nitro::makePayment(*p.view, amount, key_);
    if (!proposal) {
        fail(p, ext::PeerErrorCode::internal, proposal.error());
        return false;
    }
    // What we signed counts as spent, whether or not it leaves (until it is taken back).
    if (torrent != torrents_.end()) torrent->second->paying[id] = {newPaid, p.price};
    p.prepared.push_back({*proposal, dueAt});
    const ext::PeerKey key = p.info.key;
    commitLater([this, id, state = proposal->signedState()] { return store_.appendSignedState(id, state); },
                [this, key, id, epoch = p.preparedEpoch, dueAt, state = proposal->signedState()](const Status& stored) {
                    Peer* peer = find(key);
                    if (!peer || peer->phase == Peer::Phase::failed || peer->preparedEpoch != epoch) return;
                    if (!stored) return fail(*peer, ext::PeerErrorCode::internal, stored.error());
                    if (!peer->info.payments)
                        return fail(*peer, ext::PeerErrorCode::internal, protocolError("the connection takes no payments"));
                    const auto sig = sigBytes(*state.signatures[nitro::payer_index]);
                    const Status armed =
                        peer->info.payments->arm(state.state.turnNum, dueAt, ext::Payment{idBytes(id), encodeWireState(state.state), sig});
                    if (!armed) return fail(*peer, ext::PeerErrorCode::internal, armed.error());
                    peer->armedTurn = state.state.turnNum;
                    // It may be due already; else the block that makes it due sends it.
                    control_->releaseDuePayments(key);
                });
    return true;
}

// Buyer: the prepared payments up to `turn` have left: they are in flight now.
void PaymentEngine::movePreparedToInflight(Peer& p, std::uint64_t turn)
{
    while (!p.prepared.empty() && p.prepared.front().proposal.turnNum() <= turn) {
        p.inflight.push_back(std::move(p.prepared.front().proposal));
        p.prepared.pop_front();
    }
}

// Buyer: takes back the prepared payments the connection has not sent; those it has sent
// join the payments in flight. What was taken back is removed from the store (it never left)
// and no longer counts as spent.
void PaymentEngine::withdrawPrepared(Peer& p)
{
    if (p.prepared.empty()) return;
    const std::vector<std::uint64_t> armed = p.info.payments ? p.info.payments->withdraw() : std::vector<std::uint64_t>{};
    // Those before the first taken back had been sent (all armed ones, if none was taken).
    movePreparedToInflight(p, armed.empty() ? p.armedTurn : armed.front() - 1);
    ++p.preparedEpoch;
    // Turns are used again after a withdrawal: what counts as armed starts afresh.
    p.armedTurn = p.inflight.empty() ? 0 : p.inflight.back().turnNum();
    if (p.prepared.empty()) return;
    const std::uint64_t from = p.prepared.front().proposal.turnNum();
    p.prepared.clear();
    const nitro::ChannelId id = p.view->id();
    if (auto torrent = torrents_.find(p.torrent); torrent != torrents_.end())
        torrent->second->paying[id] = {p.inflight.empty() ? p.view->paid() : p.inflight.back().paid(), p.price};
    const ext::PeerKey key = p.info.key;
    commitLater([this, id, from]() -> Status {
                    auto discarded = store_.discardUnsharedStates(id, from);
                    if (!discarded) return discarded.error();
                    return Status{};
                },
                [this, key](const Status& done) {
                    Peer* peer = find(key);
                    if (!done && peer && peer->phase != Peer::Phase::failed) fail(*peer, ext::PeerErrorCode::internal, done.error());
                });
}

// Buyer: our own signed state is stored before it leaves, so the ledger knows all we signed.
void PaymentEngine::sendProposal(Peer& p, const nitro::Proposal& proposal)
{
    const nitro::ChannelId id = proposal.channelId();
    const ext::PeerKey key = p.info.key;
    commitLater([this, id, state = proposal.signedState()] { return store_.appendSignedState(id, state); },
                [this, key, id, state = proposal.signedState()](const Status& stored) {
                    Peer* peer = find(key);
                    if (!peer || peer->phase == Peer::Phase::failed) return;
                    if (!stored) return fail(*peer, ext::PeerErrorCode::internal, stored.error());
                    const auto sig = sigBytes(*state.signatures[nitro::payer_index]);
                    const Status sent = state.state.isFinal
                                            ? control_->send(key, ext::FinalState{idBytes(id), encodeWireState(state.state), sig})
                                            : control_->send(key, ext::Payment{idBytes(id), encodeWireState(state.state), sig});
                    if (!sent) fail(*peer, ext::PeerErrorCode::internal, sent.error());
                });
}

void PaymentEngine::handleCountersignature(Peer& p, std::uint64_t turn, const ext::SignatureBytes& sigb, bool isFinal)
{
    if (p.weSell || p.inflight.empty() || !p.view)
        return fail(p, ext::PeerErrorCode::protocol_violation, protocolError("a countersignature for nothing we sent"));
    const auto& sent = p.inflight.front().signedState();
    if (turn != sent.state.turnNum || sent.state.isFinal != isFinal)
        return fail(p, ext::PeerErrorCode::stale_state, protocolError("a countersignature for another turn"));
    auto sig = Signature::fromBytes65(sigb.view());
    if (!sig) return fail(p, ext::PeerErrorCode::invalid_signature, sig.error());
    nitro::SignedState reply = sent;
    reply.signatures[nitro::beneficiary_index] = *sig;
    auto next = nitro::verifyCountersigned(p.inflight.front(), reply);
    if (!next) return fail(p, peerCodeFor(next.error()), next.error());
    const Wei amount = p.inflight.front().amount();
    p.view = *next;
    p.inflight.pop_front();
    if (isFinal) p.phase = Peer::Phase::closing;
    const ext::PeerKey key = p.info.key;
    // Nothing is sent on a countersignature (the next payment builds on our own signed state,
    // which is stored before it leaves): unless it closes the channel, its commit may wait
    // for the next one instead of costing an fsync of its own.
    commitLater(agreedWrites(p, next->latest(), amount, store::PaymentDirection::sent, isFinal),
                [this, key, finalState = next->latest(), id = next->id(), total = next->paid(), amount,
                 isFinal](const Status& stored) {
                    Peer* peer = find(key);
                    if (!stored) {
                        if (peer) fail(*peer, ext::PeerErrorCode::internal, stored.error());
                        return;
                    }
                    if (peer) publish(*peer);
                    reportPayment(id, total, amount);
                    if (!isFinal) {
                        if (peer) maybePay(*peer);
                        return;
                    }
                    conclude(key, id, finalState);
                },
                isFinal);
    // The next payment need not wait for this commit: it is stored before it leaves.
    if (!isFinal) maybePay(p);
}

// Buyer: the final state is signed by both and stored: conclude on chain.
void PaymentEngine::conclude(ext::PeerKey key, const nitro::ChannelId& id, const nitro::SignedState& finalState)
{
    if (Peer* peer = find(key)) publish(*peer);
    chain_.concludeAndTransfer(finalState, [this, key, id](Status result) {
        boost::asio::post(ctx_, [this, key, id, result] {
            if (result) (void)store_.setChannelStatus(id, store::ChannelStatus::closed);
            if (Peer* peer = find(key)) peer->phase = result ? Peer::Phase::closed : Peer::Phase::failed;
            {
                std::lock_guard lock(summaryMutex_);
                auto& s = summaries_[id];
                s.status = result ? "closed" : "failed";
                if (!result) s.error = result.error().describe();
            }
            checkClosings();
        });
    });
}

void PaymentEngine::maybeFinalize(Peer& p)
{
    if (p.phase != Peer::Phase::open) return;
    withdrawPrepared(p); // the final state takes the next turn
    if (!p.inflight.empty()) return;
    auto proposal = nitro::makeFinal(*p.view, key_);
    if (!proposal) return fail(p, ext::PeerErrorCode::internal, proposal.error());
    p.inflight.push_back(*proposal);
    sendProposal(p, *proposal);
}

void PaymentEngine::closeChannels(const std::string& infoHash, std::chrono::milliseconds timeout,
                                  std::function<void(std::vector<ChannelSummary>)> done)
{
    boost::asio::post(ctx_, [this, infoHash, timeout, done = std::move(done)]() mutable {
        if (auto t = torrents_.find(infoHash); t != torrents_.end()) t->second->closing = true;
        for (auto& [k, p] : peers_) {
            if (p->torrent != infoHash || p->weSell) continue;
            p->wantFinal = true;
            maybePay(*p);
        }
        auto c = std::make_unique<Closing>();
        c->torrent = infoHash;
        c->deadline = std::chrono::steady_clock::now() + timeout;
        c->done = std::move(done);
        closings_.push_back(std::move(c));
        checkClosings();
    });
}

// Completes the closings whose channels have all closed or failed, or whose time is up.
void PaymentEngine::checkClosings()
{
    const auto now = std::chrono::steady_clock::now();
    for (auto it = closings_.begin(); it != closings_.end();) {
        std::vector<ChannelSummary> mine;
        bool pending = false;
        {
            std::lock_guard lock(summaryMutex_);
            for (const auto& [id, s] : summaries_) {
                if (s.torrent != (*it)->torrent || s.weSell) continue;
                mine.push_back(s);
                if (s.status == "proposed" || s.status == "open" || s.status == "closing") pending = true;
            }
        }
        // A channel whose peer left without closing stays open (challenge it later); it does
        // not hold the closing up.
        if (pending) {
            pending = false;
            for (const auto& s : mine)
                if ((s.status == "open" || s.status == "closing" || s.status == "proposed") && s.error != "peer disconnected")
                    pending = true;
        }
        if (!pending || now >= (*it)->deadline) {
            auto done = std::move((*it)->done);
            it = closings_.erase(it);
            if (done) done(std::move(mine));
        } else {
            ++it;
        }
    }
    if (!closings_.empty() && !closingTimerArmed_) {
        // Re-check for the deadline while anything is still closing.
        closingTimerArmed_ = true;
        closingTimer_.expires_after(std::chrono::milliseconds(200));
        closingTimer_.async_wait([this](const boost::system::error_code& ec) {
            closingTimerArmed_ = false;
            if (!ec) checkClosings();
        });
    }
}

} // namespace paytorrent::core
