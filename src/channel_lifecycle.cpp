#include "channel_lifecycle.hpp"

#include "wallet/crypto/keccak.hpp"
#include "wallet/store/store.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <future>
#include <map>

namespace paytorrent::core {

using namespace pt;
using chain::ChannelMode;
using nitro::ChannelId;

namespace {

class LifecycleErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "channel lifecycle"; }
    std::string message(int ev) const override
    {
        switch (static_cast<LifecycleError>(ev)) {
        case LifecycleError::unknown_channel: return "unknown channel";
        case LifecycleError::no_signed_state: return "no state signed by both participants";
        case LifecycleError::final_state: return "the latest state is final";
        case LifecycleError::already_finalized: return "channel already finalized on chain";
        case LifecycleError::challenge_running: return "a challenge is running";
        case LifecycleError::channel_open: return "channel open on chain";
        case LifecycleError::nothing_held: return "the adjudicator holds nothing for the channel";
        case LifecycleError::unknown_outcome: return "the finalized state is not known";
        case LifecycleError::wrong_chain: return "channels of another chain";
        case LifecycleError::not_participant: return "not a participant";
        case LifecycleError::stopped: return "stopped";
        }
        return "unknown lifecycle error";
    }
};

// Scan steps (of maxBlocksPerScan blocks each) in one poll: a node far behind catches up over
// several polls rather than blocking challenge() and withdraw() for long.
constexpr int max_scan_steps_per_poll = 20;
// Channel ids in one eth_getLogs topic filter; more and the watchtower reads all the
// adjudicator's logs instead (node implementations cap topic lists).
constexpr std::size_t max_topic_filter = 64;
// The challenge record kept for withdraw: {"turn", "finalizesAt", "stateHash", "outcome"},
// a few hundred bytes for a two-party channel; larger text is not ours.
constexpr std::size_t max_challenge_record_bytes = 64 * 1024;

std::shared_ptr<spdlog::logger> logger()
{
    // Not registered globally: stderr only, so --json output on stdout stays clean.
    static const auto log =
        std::make_shared<spdlog::logger>("watchtower", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    return log;
}

bool doublySigned(const nitro::SignedState& s)
{
    if (s.signatures.size() != s.state.fixed.participants.size()) return false;
    for (const auto& sig : s.signatures)
        if (!sig) return false;
    return true;
}

// The highest-turn stored state that both participants signed. A payer's store may hold
// several states after it that only the payer signed (payments signed ahead and sent, or
// not yet discarded after a crash).
Result<std::optional<nitro::SignedState>> latestSupported(store::Store& store, const ChannelId& id)
{
    auto latest = store.latestSupportedState(id);
    if (!latest) return latest.error();
    if (*latest && !doublySigned(**latest)) return std::optional<nitro::SignedState>{};
    return latest;
}

std::string shortId(const ChannelId& id) { return id.hex().substr(0, 10) + "..."; }

std::string settingText(store::Store& s, const std::string& key)
{
    auto v = s.getSetting(key);
    if (!v || !*v) return {};
    return std::string((*v)->begin(), (*v)->end());
}

Status putText(store::Store& s, const std::string& key, const std::string& text)
{
    return s.putSetting(key, ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::string challengeKey(const ChannelId& id) { return "lifecycle.challenge." + id.hex(false); }

// What transferAllAssets needs for a finalized channel: the outcome bytes and state hash
// whose fingerprint the adjudicator stores.
struct Finalized {
    Bytes outcome;
    Hash32 stateHash;
};

Status saveChallenge(store::Store& s, const ChannelId& id, std::uint64_t turn, std::uint64_t finalizesAt,
                     const Hash32& stateHash, const Bytes& outcome)
{
    const nlohmann::json j{{"turn", turn},
                           {"finalizesAt", finalizesAt},
                           {"stateHash", stateHash.hex()},
                           {"outcome", toHex(outcome)}};
    return putText(s, challengeKey(id), j.dump());
}

std::optional<Finalized> loadChallenge(store::Store& s, const ChannelId& id)
{
    const std::string text = settingText(s, challengeKey(id));
    if (text.empty() || text.size() > max_challenge_record_bytes) return std::nullopt;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("stateHash") || !j.contains("outcome") ||
        !j["stateHash"].is_string() || !j["outcome"].is_string())
        return std::nullopt;
    auto hash = Hash32::fromHex(j["stateHash"].get<std::string>());
    auto outcome = fromHex(j["outcome"].get<std::string>());
    if (!hash || !outcome) return std::nullopt;
    return Finalized{*outcome, *hash};
}

bool matches(const chain::ChannelStatus& st, const Finalized& f)
{
    return chain::ChannelStatus::fingerprintOf(f.stateHash, keccak256(ByteView(f.outcome))) == st.fingerprint;
}

// What transferAllAssets leaves in the fingerprint once it has paid every allocation of
// `f` in full: the same destinations, every amount zero (nitro-protocol 0.17.3,
// MultiAssetHolder._computeNewAllocation). That fingerprint on chain means the channel was
// concluded (or finalized) and its assets transferred, typically by the buyer's
// concludeAndTransferAllAssets, even when holdings remain (deposits beyond the outcome,
// which no outcome of this channel can pay out).
std::optional<Finalized> paidOut(const Finalized& f)
{
    auto outcome = nitro::decodeOutcome(f.outcome);
    if (!outcome) return std::nullopt;
    for (auto& asset : *outcome)
        for (auto& item : asset.allocationItems) item.amount = Wei();
    return Finalized{nitro::encodeOutcome(*outcome), f.stateHash};
}

// Our allocation in an outcome (ETH, destination our address).
Wei shareOf(ByteView outcomeBytes, const Address& us)
{
    auto outcome = nitro::decodeOutcome(outcomeBytes);
    if (!outcome) return Wei();
    const Bytes32 dest = us.toBytes32();
    Wei sum;
    for (const auto& asset : *outcome) {
        if (asset.asset != Address{}) continue; // ETH only
        for (const auto& item : asset.allocationItems)
            if (item.destination == dest) sum = sum + item.amount;
    }
    return sum;
}

std::string inSeconds(std::uint64_t at, std::uint64_t now)
{
    if (at <= now) return "now";
    return "in " + std::to_string(at - now) + " s";
}

} // namespace

const std::error_category& lifecycleErrorCategory() noexcept
{
    static const LifecycleErrorCategory category;
    return category;
}

std::string_view toString(ChainAction::Kind kind) noexcept
{
    switch (kind) {
    case ChainAction::Kind::challenge: return "challenge";
    case ChainAction::Kind::checkpoint: return "checkpoint";
    case ChainAction::Kind::conclude: return "conclude";
    case ChainAction::Kind::transfer: return "transfer";
    }
    return "?";
}

std::string_view toString(WithdrawOutcome::Action action) noexcept
{
    switch (action) {
    case WithdrawOutcome::Action::transferred: return "transferred";
    case WithdrawOutcome::Action::concluded: return "concluded";
    case WithdrawOutcome::Action::already_paid_out: return "already_paid_out";
    }
    return "?";
}

std::string watchtowerCursorKey(const U256& chainId, const Address& adjudicator)
{
    return "watchtower.cursor." + chainId.str() + "." + adjudicator.toChecksum();
}

Result<std::unique_ptr<ChannelLifecycle>> ChannelLifecycle::open(LifecycleConfig config, PrivateKey key,
                                                                 std::shared_ptr<chain::TransactionSender> sender,
                                                                 Address adjudicator)
{
    if (config.pollInterval.count() <= 0 || config.maxBlocksPerScan == 0)
        return makeError(chain::ChainError::invalid_argument, "the watchtower needs a positive poll interval and scan range");
    auto st = store::Store::open(config.database);
    if (!st) return st.error();
    auto store = std::make_unique<store::Store>(std::move(*st));

    // Channels are bound to one chain id; a data directory whose channels are still open on
    // another chain must not be pointed at this one (it would neither watch nor close them).
    auto all = store->listChannels();
    if (!all) return all.error();
    for (const auto& rec : *all) {
        if (rec.status == store::ChannelStatus::closed || rec.fixed.chainId == sender->chainId()) continue;
        return makeError(LifecycleError::wrong_chain,
                         "wrong chain id: channel " + rec.id.hex() + " in " + config.database.string() +
                             " is on chain " + rec.fixed.chainId.str() + " and not closed, but the endpoint serves chain " +
                             sender->chainId().str() + "; connect to the channel's chain");
    }
    return std::unique_ptr<ChannelLifecycle>(
        new ChannelLifecycle(std::move(config), std::move(key), std::move(sender), adjudicator, std::move(store)));
}

ChannelLifecycle::ChannelLifecycle(LifecycleConfig config, PrivateKey key,
                                   std::shared_ptr<chain::TransactionSender> sender, Address adjudicator,
                                   std::unique_ptr<store::Store> store)
    : config_(std::move(config)),
      key_(std::move(key)),
      sender_(std::move(sender)),
      adjudicator_(sender_->rpcPtr(), adjudicator),
      store_(std::move(store)),
      cursorKey_(watchtowerCursorKey(sender_->chainId(), adjudicator)),
      timer_(ctx_)
{
    thread_ = std::thread([this] {
        auto guard = boost::asio::make_work_guard(ctx_);
        ctx_.run();
    });
}

ChannelLifecycle::~ChannelLifecycle() { stop(); }

void ChannelLifecycle::stop()
{
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return;
        stopped_ = true;
    }
    ctx_.stop();
    if (thread_.joinable()) thread_.join();
    // The store belonged to the thread; it is ours again after the join.
    store_.reset();
}

template <class R>
R ChannelLifecycle::onThread(std::function<R()> job)
{
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return makeError(LifecycleError::stopped, "the node is shutting down");
    }
    if (std::this_thread::get_id() == thread_.get_id()) return job();
    auto done = std::make_shared<std::promise<R>>();
    auto result = done->get_future();
    boost::asio::post(ctx_, [done, job = std::move(job)] { done->set_value(job()); });
    try {
        return result.get();
    } catch (const std::future_error&) {
        // The thread stopped before it ran the job (shutdown raced the call).
        return makeError(LifecycleError::stopped, "the node is shutting down");
    }
}

std::vector<ChainAction> ChannelLifecycle::actions() const
{
    std::lock_guard lock(mutex_);
    return actions_;
}

void ChannelLifecycle::onAction(std::function<void(const ChainAction&)> handler)
{
    std::lock_guard lock(mutex_);
    actionHandler_ = std::move(handler);
}

void ChannelLifecycle::record(ChainAction::Kind kind, const ChannelId& channel, const chain::Receipt& receipt)
{
    ChainAction a{kind, channel, receipt};
    std::function<void(const ChainAction&)> handler;
    {
        std::lock_guard lock(mutex_);
        actions_.push_back(a);
        handler = actionHandler_;
    }
    logger()->info("{} of channel {} in block {} ({} gas, tx {})", toString(kind), shortId(channel), receipt.blockNumber,
                   receipt.gasUsed, receipt.transactionHash.hex());
    if (handler) handler(a);
}

void ChannelLifecycle::warn(const std::string& what, const Error& error)
{
    const std::string line = what + ": " + error.describe();
    // A failure repeated every poll (the chain is down) is said once, until a poll succeeds.
    if (!warned_.insert(line).second) return;
    logger()->warn("{}", line);
}

// --- public operations --------------------------------------------------------------------

Result<ChallengeOutcome> ChannelLifecycle::challenge(const ChannelId& channel)
{
    return onThread<Result<ChallengeOutcome>>([this, channel] { return doChallenge(channel); });
}

Result<WithdrawOutcome> ChannelLifecycle::withdraw(const ChannelId& channel)
{
    return onThread<Result<WithdrawOutcome>>([this, channel] { return doWithdraw(channel); });
}

void ChannelLifecycle::startWatchtower()
{
    {
        std::lock_guard lock(mutex_);
        if (stopped_ || watching_) return;
        watching_ = true;
    }
    boost::asio::post(ctx_, [this] {
        (void)poll(); // the first poll also runs the start-up check
        schedule();
    });
}

void ChannelLifecycle::schedule()
{
    timer_.expires_after(config_.pollInterval);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        (void)poll(); // failures are logged (once) and retried next time
        schedule();
    });
}

// --- lifecycle thread ---------------------------------------------------------------------

Result<ChallengeOutcome> ChannelLifecycle::doChallenge(const ChannelId& channel)
{
    auto rec = store_->getChannel(channel);
    if (!rec) return rec.error();
    if (!*rec) return makeError(LifecycleError::unknown_channel, "channel " + channel.hex() + " is not in this node's store");
    auto latest = latestSupported(*store_, channel);
    if (!latest) return latest.error();
    if (!*latest)
        return makeError(LifecycleError::no_signed_state,
                         "channel " + channel.hex() + " has no state signed by both participants to challenge with");
    const nitro::SignedState& s = **latest;
    const auto ourIndex = static_cast<std::size_t>((*rec)->role);
    if (s.state.fixed.participants.at(ourIndex) != key_.address())
        return makeError(LifecycleError::not_participant, "this node's key is not a participant of channel " + channel.hex());
    if (s.state.isFinal)
        return makeError(LifecycleError::final_state, "the latest state of channel " + channel.hex() +
                                                          " is final: withdraw concludes it at once, no challenge needed");

    auto st = adjudicator_.status(channel);
    if (!st) return st.error();
    auto block = sender_->rpc().getBlock(chain::BlockTag::latest());
    if (!block) return block.error();
    switch (st->modeAt(block->timestamp)) {
    case ChannelMode::finalized:
        return makeError(LifecycleError::already_finalized,
                         "channel " + channel.hex() + " is already finalized on chain (at unix time " +
                             std::to_string(st->finalizesAt) + "): nothing to challenge; use withdraw");
    case ChannelMode::challenge:
        if (st->turnNumRecord >= s.state.turnNum)
            return makeError(LifecycleError::challenge_running,
                             "channel " + channel.hex() + " is already challenged with turn " +
                                 std::to_string(st->turnNumRecord) + "; the window ends at unix time " +
                                 std::to_string(st->finalizesAt) + " (" + inSeconds(st->finalizesAt, block->timestamp) + ")");
        break; // a challenge of an older turn: ours replaces it
    case ChannelMode::open: break;
    }

    auto proof = chain::SupportProof::fromSignedState(s);
    if (!proof) return proof.error();
    auto receipt = adjudicator_.challenge(*sender_, *proof, nitro::signChallenge(s.state, key_));
    if (!receipt) return receipt.error();
    record(ChainAction::Kind::challenge, channel, *receipt);

    ChallengeOutcome out;
    out.channel = channel;
    out.turnNum = s.state.turnNum;
    out.receipt = *receipt;
    for (const auto& log : receipt->logs) {
        auto ev = chain::decodeAdjudicatorEvent(log);
        if (!ev || !*ev) continue;
        if (const auto* reg = std::get_if<chain::ChallengeRegisteredEvent>(&(*ev)->body); reg && reg->channelId == channel)
            out.finalizesAt = reg->finalizesAt;
    }
    if (out.finalizesAt == 0) {
        auto now = adjudicator_.status(channel);
        if (!now) return now.error();
        out.finalizesAt = now->finalizesAt;
    }
    const Bytes outcomeBytes = nitro::encodeOutcome(s.state.outcome);
    if (auto r = saveChallenge(*store_, channel, out.turnNum, out.finalizesAt, nitro::stateHash(s.state), outcomeBytes); !r)
        warn("cannot record the challenge of " + shortId(channel), r.error());
    if (auto r = store_->setChannelStatus(channel, store::ChannelStatus::challenged); !r)
        warn("cannot mark " + shortId(channel) + " challenged", r.error());
    attention_.insert(channel);
    return out;
}

Result<WithdrawOutcome> ChannelLifecycle::doWithdraw(const ChannelId& channel)
{
    auto rec = store_->getChannel(channel);
    if (!rec) return rec.error();
    if (!*rec) return makeError(LifecycleError::unknown_channel, "channel " + channel.hex() + " is not in this node's store");
    auto held = adjudicator_.holdings(channel);
    if (!held) return held.error();
    auto st = adjudicator_.status(channel);
    if (!st) return st.error();
    auto block = sender_->rpc().getBlock(chain::BlockTag::latest());
    if (!block) return block.error();

    WithdrawOutcome out;
    out.channel = channel;
    auto markClosed = [&] {
        if (auto r = store_->setChannelStatus(channel, store::ChannelStatus::closed); !r)
            warn("cannot mark " + shortId(channel) + " closed", r.error());
    };

    switch (st->modeAt(block->timestamp)) {
    case ChannelMode::challenge:
        return makeError(LifecycleError::challenge_running,
                         "channel " + channel.hex() + " is being challenged (turn " + std::to_string(st->turnNumRecord) +
                             "); it can be withdrawn from after unix time " + std::to_string(st->finalizesAt) + " (" +
                             inSeconds(st->finalizesAt, block->timestamp) + ")");
    case ChannelMode::open: {
        if (held->value() == 0)
            return makeError(LifecycleError::nothing_held, "the adjudicator holds nothing for channel " + channel.hex());
        auto latest = latestSupported(*store_, channel);
        if (!latest) return latest.error();
        if (!*latest || !(*latest)->state.isFinal)
            return makeError(LifecycleError::channel_open,
                             "channel " + channel.hex() +
                                 " is open on chain and has no final state: close it cooperatively or challenge it first");
        auto proof = chain::SupportProof::fromSignedState(**latest);
        if (!proof) return proof.error();
        auto receipt = adjudicator_.concludeAndTransferAllAssets(*sender_, *proof);
        if (!receipt) return receipt.error();
        record(ChainAction::Kind::conclude, channel, *receipt);
        out.action = WithdrawOutcome::Action::concluded;
        out.toUs = shareOf(nitro::encodeOutcome((*latest)->state.outcome), key_.address());
        out.receipt = *receipt;
        markClosed();
        return out;
    }
    case ChannelMode::finalized: break;
    }

    if (held->value() == 0) {
        markClosed();
        return out; // already_paid_out
    }

    // Which state finalized: the challenge we recorded, a stored state (challenged, or the
    // final one a conclude used, whose state hash the adjudicator then stores as zero), or
    // the ChallengeRegistered event as a last resort.
    std::vector<Finalized> candidates;
    if (auto r = loadChallenge(*store_, channel)) candidates.push_back(*r);
    auto addState = [&](const Result<std::optional<nitro::SignedState>>& s) {
        if (!s || !*s) return;
        const Bytes bytes = nitro::encodeOutcome((*s)->state.outcome);
        candidates.push_back({bytes, nitro::stateHash((*s)->state)});
        candidates.push_back({bytes, Hash32{}});
    };
    addState(store_->stateAt(channel, st->turnNumRecord));
    addState(store_->latestState(channel));
    addState(latestSupported(*store_, channel));
    std::optional<Finalized> found;
    bool transferred = false; // the fingerprint is that of a candidate already paid out
    auto consider = [&](const Finalized& c) {
        if (matches(*st, c)) {
            found = c;
        } else if (auto done = paidOut(c); done && matches(*st, *done)) {
            transferred = true;
        }
        return found || transferred;
    };
    for (const auto& c : candidates)
        if (consider(c)) break;
    if (!found && !transferred) {
        auto evs = adjudicator_.events(0, std::nullopt, {channel});
        if (!evs) return evs.error();
        for (auto it = evs->rbegin(); it != evs->rend(); ++it) {
            if (const auto* reg = std::get_if<chain::ChallengeRegisteredEvent>(&it->body))
                if (consider(Finalized{reg->challengedOutcome(), reg->challengedStateHash()})) break;
        }
    }
    if (transferred) {
        // Concluded and transferred by someone else (the buyer, usually): our share is paid.
        logger()->info("channel {} was finalized and paid out on chain by the other side", shortId(channel));
        markClosed();
        return out; // already_paid_out
    }
    if (!found)
        return makeError(LifecycleError::unknown_outcome, "channel " + channel.hex() +
                                                              " finalized with a state this node does not know; "
                                                              "it cannot build the transfer");

    auto receipt = adjudicator_.transferAllAssets(*sender_, channel, found->outcome, found->stateHash);
    if (!receipt) {
        // Someone else (the counterparty's node) may have paid the channel out meanwhile.
        if (auto again = adjudicator_.holdings(channel); again && again->value() == 0) {
            markClosed();
            return out;
        }
        return receipt.error();
    }
    record(ChainAction::Kind::transfer, channel, *receipt);
    out.action = WithdrawOutcome::Action::transferred;
    out.toUs = shareOf(found->outcome, key_.address());
    out.receipt = *receipt;
    markClosed();
    return out;
}

// Answers a challenge of an older turn than `latest`: checkpoint, or conclude when our latest
// state is final (that also pays out at once).
Result<chain::Receipt> ChannelLifecycle::answer(const ChannelId& channel, const nitro::SignedState& latest)
{
    auto proof = chain::SupportProof::fromSignedState(latest);
    if (!proof) return proof.error();
    if (latest.state.isFinal) {
        auto r = adjudicator_.concludeAndTransferAllAssets(*sender_, *proof);
        if (!r) return r.error();
        record(ChainAction::Kind::conclude, channel, *r);
        (void)store_->setChannelStatus(channel, store::ChannelStatus::closed);
        return r;
    }
    auto r = adjudicator_.checkpoint(*sender_, *proof);
    if (!r) return r.error();
    record(ChainAction::Kind::checkpoint, channel, *r);
    return r;
}

// Looks at one channel's on-chain status and does what it calls for. True when the channel
// needs no more attention.
Result<bool> ChannelLifecycle::attend(const ChannelId& channel)
{
    auto rec = store_->getChannel(channel);
    if (!rec) return rec.error();
    if (!*rec || (*rec)->status == store::ChannelStatus::closed) return true;
    auto st = adjudicator_.status(channel);
    if (!st) return st.error();
    auto block = sender_->rpc().getBlock(chain::BlockTag::latest());
    if (!block) return block.error();

    switch (st->modeAt(block->timestamp)) {
    case ChannelMode::open:
        // No challenge (any more): cleared by a checkpoint, ours or theirs.
        if ((*rec)->status == store::ChannelStatus::challenged)
            if (auto r = store_->setChannelStatus(channel, store::ChannelStatus::open); !r) return r.error();
        // A channel we were closing: with a final state signed by both, conclude it now (the
        // engine's conclusion failed, or the node stopped before sending it). Without one,
        // the close never completed: the user may challenge.
        if ((*rec)->status == store::ChannelStatus::closing && (*rec)->role == store::ChannelRole::payer) {
            auto latest = latestSupported(*store_, channel);
            if (!latest) return latest.error();
            if (*latest && (*latest)->state.isFinal) {
                auto w = doWithdraw(channel);
                if (!w) return w.error(); // retried at the next poll
                logger()->info("channel {} concluded on chain with its final state (turn {})", shortId(channel),
                               (*latest)->state.turnNum);
            }
        }
        return true;
    case ChannelMode::challenge: {
        auto latest = latestSupported(*store_, channel);
        if (!latest) return latest.error();
        if ((*rec)->status != store::ChannelStatus::challenged)
            if (auto r = store_->setChannelStatus(channel, store::ChannelStatus::challenged); !r) return r.error();
        if (*latest && (*latest)->state.turnNum > st->turnNumRecord) {
            logger()->warn("channel {} challenged with turn {}, older than our turn {}: answering", shortId(channel),
                           st->turnNumRecord, (*latest)->state.turnNum);
            auto r = answer(channel, **latest);
            if (!r) return r.error();
            return false; // the next poll sees the channel open (or closed) and lets go
        }
        return false; // a challenge with our latest state: wait for it to finalize
    }
    case ChannelMode::finalized: {
        auto w = doWithdraw(channel);
        if (!w) {
            // Retrying cannot make an unknown state known: say so once and let go (the user
            // can still withdraw by hand once the state is found).
            if (w.error().code == LifecycleError::unknown_outcome) {
                warn("channel " + shortId(channel), w.error());
                return true;
            }
            return w.error();
        }
        return true;
    }
    }
    return false;
}

Status ChannelLifecycle::scanEvents()
{
    if (!cursorLoaded_) {
        const std::string text = settingText(*store_, cursorKey_);
        auto saved = parseU256(text);
        auto head = sender_->rpc().blockNumber();
        if (!head) return head.error();
        if (!text.empty() && saved && *saved <= U256(*head) + 1) {
            cursor_ = static_cast<std::uint64_t>(*saved);
        } else {
            // First watch on this chain (or a chain that was reset below the cursor): history
            // before now is covered by the start-up status check, so start at the head.
            cursor_ = *head;
        }
        cursorLoaded_ = true;
    }

    auto channels = store_->listChannels();
    if (!channels) return channels.error();
    std::map<ChannelId, store::ChannelStatus> ours;
    for (const auto& rec : *channels)
        if (rec.status != store::ChannelStatus::closed) ours.emplace(rec.id, rec.status);

    // The logs of our channels only (topic filter) while they are few; above that, all the
    // adjudicator's logs, filtered here (nodes limit the length of a topic list).
    std::vector<ChannelId> filter;
    if (ours.size() <= max_topic_filter)
        for (const auto& [id, status] : ours) filter.push_back(id);

    for (int step = 0; step < max_scan_steps_per_poll; ++step) {
        const std::uint64_t from = cursor_.load();
        if (ours.empty()) {
            // Nothing to watch: move the cursor along without reading logs.
            auto head = sender_->rpc().blockNumber();
            if (!head) return head.error();
            const std::uint64_t next = *head >= config_.confirmations ? *head - config_.confirmations + 1 : from;
            if (next > from) {
                if (auto r = putText(*store_, cursorKey_, std::to_string(next)); !r) return r;
                cursor_ = next;
            }
            break;
        }
        auto scan = adjudicator_.scan(from, filter, config_.maxBlocksPerScan, config_.confirmations);
        if (!scan) return scan.error();
        for (const auto& ev : scan->events) {
            const ChannelId id = ev.channelId();
            if (!ours.count(id)) continue;
            if (const auto* reg = std::get_if<chain::ChallengeRegisteredEvent>(&ev.body)) {
                // Kept for withdraw: the exact bytes the challenge registered.
                if (auto r = saveChallenge(*store_, id, reg->turnNumRecord, reg->finalizesAt, reg->challengedStateHash(),
                                           reg->challengedOutcome());
                    !r)
                    return r;
                attention_.insert(id);
            } else if (std::holds_alternative<chain::ChallengeClearedEvent>(ev.body) ||
                       std::holds_alternative<chain::ConcludedEvent>(ev.body) ||
                       std::holds_alternative<chain::AllocationUpdatedEvent>(ev.body)) {
                attention_.insert(id);
            }
        }
        if (scan->nextBlock != from) {
            if (auto r = putText(*store_, cursorKey_, std::to_string(scan->nextBlock)); !r) return r;
            cursor_ = scan->nextBlock;
        }
        if (scan->caughtUp) break;
    }
    return {};
}

Status ChannelLifecycle::poll()
{
    Status first;
    auto note = [&](const std::string& what, const Error& e) {
        warn(what, e);
        if (first) first = e;
    };
    // Until it has succeeded once (the chain may be down when the node starts).
    if (!swept_) {
        if (auto s = sweep(); !s)
            note("start-up check of the channels", s.error());
        else
            swept_ = true;
    }
    if (auto s = scanEvents(); !s) note("adjudicator events", s.error());
    for (auto it = attention_.begin(); it != attention_.end();) {
        auto done = attend(*it);
        if (!done) {
            note("channel " + shortId(*it), done.error());
            ++it;
        } else if (*done) {
            it = attention_.erase(it);
        } else {
            ++it;
        }
    }
    if (first) warned_.clear();
    return first;
}

Status ChannelLifecycle::sweep()
{
    auto channels = store_->listChannels();
    if (!channels) return channels.error();
    Status first;
    for (const auto& rec : *channels) {
        if (rec.status == store::ChannelStatus::closed) continue;
        auto st = adjudicator_.status(rec.id);
        if (!st) {
            if (first) first = st.error();
            continue;
        }
        // Anything but "open and never challenged" needs a look: a challenge running (maybe
        // stale), a finalized channel to withdraw from, a concluded one to mark closed; and a
        // channel we pay into that an earlier run was closing (its conclusion may have
        // failed, or never been sent): concluding is the payer's part.
        if (st->finalizesAt != 0 || rec.status == store::ChannelStatus::challenged ||
            (rec.status == store::ChannelStatus::closing && rec.role == store::ChannelRole::payer))
            attention_.insert(rec.id);
    }
    return first;
}

} // namespace paytorrent::core
