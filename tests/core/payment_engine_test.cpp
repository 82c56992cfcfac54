// The payment engine as a seller, against hostile and honest buyers, at the engine level:
// a real store on a temporary file, real keys and Nitro states built by a test buyer with the
// wallet's payment channel functions and sent in their wire encoding, a chain answered in
// memory (what is under test is the engine's validation, not the chain), and a PeerControl
// that records what the engine asks of the extension.
#include "src/payment_engine.hpp"
#include "extension/wire_error.hpp"
#include "src/wire_state.hpp"

#include "support/log_capture.hpp"
#include "support/temp_dir.hpp"
#include "wallet/nitro/payment_channel.hpp"
#include "wallet/store/store.hpp"

#include <gtest/gtest.h>

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

using namespace paytorrent::core;
using namespace pt;
namespace ext = pt::ext;
using pt::test::TempDir;

namespace {

constexpr std::uint64_t chain_id = 31337;
constexpr std::uint64_t challenge_duration = 60;
// A price that divides nothing evenly, so that the floor in the credit rule matters.
const Wei price(U256("1000000007"));
// The buyers' deposit: 10 MiB and a bit, at that price.
const Wei deposit(U256("10000000123"));

template <class T>
T must(Result<T> r)
{
    if (!r) throw std::runtime_error(r.error().describe());
    return std::move(*r);
}

PrivateKey newKey() { return must(PrivateKey::generate()); }

// The credit rule of docs/protocol.md, section 4: floor(P * 2^20 / price) bytes for P wei.
std::uint64_t bytesCovered(const Wei& paid)
{
    using boost::multiprecision::uint512_t;
    return static_cast<std::uint64_t>(uint512_t(paid.value()) * (uint512_t(1) << 20) / uint512_t(price.value()));
}

// What `bytes` cost at the price, rounded up (the buyer's side of the rule).
Wei cost(std::uint64_t bytes)
{
    using boost::multiprecision::uint512_t;
    return Wei(U256((uint512_t(bytes) * uint512_t(price.value()) + ((1 << 20) - 1)) >> 20));
}

ext::ChannelIdBytes idBytes(const nitro::ChannelId& id)
{
    ext::ChannelIdBytes b;
    b.bytes = id.bytes;
    return b;
}

ext::SignatureBytes sigBytes(const Signature& s)
{
    ext::SignatureBytes b;
    b.bytes = s.toBytes65().bytes;
    return b;
}

// --- the chain, in memory ---------------------------------------------------------------

class MemoryChain final : public ChainPort {
public:
    void deposit(const nitro::ChannelId& channel, const Wei&, const Wei& amount, std::function<void(Status)> done) override
    {
        if (onDeposit) onDeposit();
        fund(channel, amount);
        done(Status{});
    }
    void holdings(const nitro::ChannelId& channel, std::function<void(Result<Wei>)> done) override
    {
        std::unique_lock lock(mutex_);
        ++holdingsQueries_;
        if (deferHoldings_) {
            deferred_.push_back([this, channel, done = std::move(done)] { done(held(channel)); });
            return;
        }
        const Wei h = held_[channel];
        lock.unlock();
        done(h);
    }
    void concludeAndTransfer(const nitro::SignedState&, std::function<void(Status)> done) override { done(Status{}); }

    void fund(const nitro::ChannelId& channel, const Wei& amount)
    {
        std::lock_guard lock(mutex_);
        held_[channel] = held_[channel] + amount;
    }
    Wei held(const nitro::ChannelId& channel)
    {
        std::lock_guard lock(mutex_);
        return held_[channel];
    }
    // Holds back the answers to holdings() until releaseHoldings().
    void deferHoldings()
    {
        std::lock_guard lock(mutex_);
        deferHoldings_ = true;
    }
    void releaseHoldings()
    {
        std::vector<std::function<void()>> answers;
        {
            std::lock_guard lock(mutex_);
            deferHoldings_ = false;
            answers.swap(deferred_);
        }
        for (auto& a : answers) a();
    }
    std::function<void()> onDeposit; // called on the engine's thread as a deposit is sent

    int holdingsQueries()
    {
        std::lock_guard lock(mutex_);
        return holdingsQueries_;
    }

private:
    std::mutex mutex_;
    std::map<nitro::ChannelId, Wei> held_;
    bool deferHoldings_ = false;
    std::vector<std::function<void()>> deferred_;
    int holdingsQueries_ = 0;
};

// --- the extension, recorded ------------------------------------------------------------

class RecordingControl final : public ext::PeerControl {
public:
    struct Sent {
        ext::PeerKey peer;
        ext::Message message;
    };
    struct Grant {
        ext::PeerKey peer;
        std::uint64_t bytes;
    };
    struct Disconnect {
        ext::PeerKey peer;
        ext::PeerErrorCode code;
        std::string reason;
    };

    void grantCredit(ext::PeerKey peer, std::uint64_t bytes) override
    {
        // Runs on the engine thread, like the real extension's call: the hook may read the
        // engine's store.
        if (onGrant) onGrant(peer, bytes);
        std::lock_guard lock(mutex_);
        grants_.push_back({peer, bytes});
    }
    Status send(ext::PeerKey peer, const ext::Message& message) override
    {
        std::lock_guard lock(mutex_);
        sent_.push_back({peer, message});
        return {};
    }
    // What the connection does on each block (PeerGate::releaseDuePayments): the payments
    // the received count makes due are sent, and the engine is told.
    void releaseDuePayments(ext::PeerKey peer) override
    {
        std::shared_ptr<ext::PaymentTrigger> trigger;
        std::shared_ptr<const ext::PeerCounters> counters;
        {
            std::lock_guard lock(mutex_);
            auto it = connections_.find(peer);
            if (it == connections_.end()) return;
            std::tie(trigger, counters) = it->second;
        }
        for (auto& released : trigger->takeDue(counters->payloadReceived.load())) {
            {
                std::lock_guard lock(mutex_);
                sent_.push_back({peer, released.message});
            }
            if (onReleased) onReleased(peer, released.turn);
        }
    }
    // A selling peer's connection, for releaseDuePayments.
    void connect(const ext::PeerInfo& info)
    {
        std::lock_guard lock(mutex_);
        connections_[info.key] = {info.payments, info.counters};
    }
    void disconnect(ext::PeerKey peer, ext::PeerErrorCode code, const Error& reason) override
    {
        std::lock_guard lock(mutex_);
        disconnects_.push_back({peer, code, reason.describe()});
    }

    std::uint64_t granted(ext::PeerKey peer)
    {
        std::lock_guard lock(mutex_);
        std::uint64_t total = 0;
        for (const auto& g : grants_)
            if (g.peer == peer) total += g.bytes;
        return total;
    }
    std::vector<Disconnect> disconnects(ext::PeerKey peer)
    {
        std::lock_guard lock(mutex_);
        std::vector<Disconnect> out;
        for (const auto& d : disconnects_)
            if (d.peer == peer) out.push_back(d);
        return out;
    }
    template <class T>
    std::vector<T> sentTo(ext::PeerKey peer)
    {
        std::lock_guard lock(mutex_);
        std::vector<T> out;
        for (const auto& s : sent_)
            if (s.peer == peer)
                if (const T* m = std::get_if<T>(&s.message)) out.push_back(*m);
        return out;
    }

    // Set before the engine runs; called on the engine thread.
    std::function<void(ext::PeerKey, std::uint64_t)> onGrant;
    std::function<void(ext::PeerKey, std::uint64_t)> onReleased;

private:
    std::mutex mutex_;
    std::vector<Sent> sent_;
    std::vector<Grant> grants_;
    std::vector<Disconnect> disconnects_;
    std::map<ext::PeerKey, std::pair<std::shared_ptr<ext::PaymentTrigger>, std::shared_ptr<const ext::PeerCounters>>> connections_;
};

// --- a buyer, driven by the test ----------------------------------------------------------

struct TestBuyer {
    TestBuyer(ext::PeerKey k, const Address& seller) : peer(k), key(newKey())
    {
        terms.chainId = chain_id;
        terms.beneficiary = seller;
        terms.payer = key.address();
        terms.channelNonce = nextNonce++;
        terms.challengeDuration = challenge_duration;
        terms.deposit = deposit;
    }

    ext::PeerInfo info() const
    {
        ext::PeerInfo i;
        i.key = peer;
        i.infoHash.bytes.fill(0xab);
        i.endpoint = "192.0.2.1:" + std::to_string(static_cast<std::uint64_t>(peer));
        i.localPrice = price;
        i.remote.signer.bytes = key.address().bytes;
        i.remote.chainId = chain_id;
        i.remote.pricePerMiB = std::nullopt; // it buys
        i.counters = counters;
        return i;
    }

    nitro::ChannelId channelId() const { return nitro::channelId(must(nitro::makeInitialState(terms)).fixed); }

    // CHANNEL_PROPOSAL for `t`, signed with `signer` (the buyer's own key unless forging).
    ext::ChannelProposal proposal(const nitro::ChannelTerms& t, const PrivateKey& signer) const
    {
        const nitro::State initial = must(nitro::makeInitialState(t));
        return ext::ChannelProposal{idBytes(nitro::channelId(initial.fixed)), encodeWireState(initial),
                                    sigBytes(nitro::signState(initial, signer))};
    }
    ext::ChannelProposal proposal() const { return proposal(terms, key); }

    // The seller's CHANNEL_ACCEPT: turn 0 signed by both opens the channel on our side.
    void accepted(const ext::ChannelAccept& accept)
    {
        const nitro::State initial = must(nitro::makeInitialState(terms));
        nitro::SignedState both{initial,
                                {must(Signature::fromBytes65(accept.signature.view())), nitro::signState(initial, key)}};
        view.emplace(must(nitro::openChannel(terms, both)));
    }

    // The next honest payment of `amount` more.
    nitro::Proposal pay(const Wei& amount) const { return must(nitro::makePayment(*view, amount, key)); }

    static ext::Payment message(const nitro::SignedState& s)
    {
        return ext::Payment{idBytes(nitro::channelId(s.state.fixed)), encodeWireState(s.state),
                            sigBytes(*s.signatures[nitro::payer_index])};
    }
    // A state of our own making (any outcome), signed by `signer`.
    static ext::Payment message(const nitro::State& s, const PrivateKey& signer)
    {
        return ext::Payment{idBytes(nitro::channelId(s.fixed)), encodeWireState(s), sigBytes(nitro::signState(s, signer))};
    }

    void countersigned(const nitro::Proposal& sent, const ext::Countersignature& reply)
    {
        nitro::SignedState r = sent.signedState();
        r.signatures[nitro::beneficiary_index] = must(Signature::fromBytes65(reply.signature.view()));
        view.emplace(must(nitro::verifyCountersigned(sent, r)));
    }

    ext::PeerKey peer;
    PrivateKey key;
    nitro::ChannelTerms terms;
    std::optional<nitro::ChannelView> view;
    std::shared_ptr<ext::PeerCounters> counters = std::make_shared<ext::PeerCounters>();
    static inline std::uint64_t nextNonce = 1;
};

class SellerEngine : public ::testing::Test {
protected:
    SellerEngine() : nodeKey(newKey())
    {
        store::Store::Options options;
        options.deferredSync = true; // as the node opens it: commits fsync on the syncer thread
        store.emplace(must(store::Store::open(dir / "wallet.db", options)));
        config.chainId = chain_id;
        config.adjudicator = adjudicator;
        config.challengeDuration = challenge_duration;
        config.fundingChecks = 3;
        config.fundingRecheckDelay = std::chrono::milliseconds(20);
        control = std::make_shared<RecordingControl>();
        control->onReleased = [this](ext::PeerKey peer, std::uint64_t turn) { engine->onPaymentReleased(peer, turn); };
        engine = std::make_unique<PaymentEngine>(config, nodeKey, *store, chain);
        engine->attach(control);
    }
    // As a node restarted on the same store does.
    void restartEngine()
    {
        engine.reset();
        engine = std::make_unique<PaymentEngine>(config, nodeKey, *store, chain);
        engine->attach(control);
    }
    ~SellerEngine() override
    {
        engine.reset();
    }

    // Lets the engine finish what it was given: each chain answer, commit and released
    // payment is one more hop.
    void settle()
    {
        for (int i = 0; i < 12; ++i) engine->sync([] {});
    }
    void join(const TestBuyer& b)
    {
        engine->onPeerJoined(b.info());
        settle();
    }
    void deliver(ext::PeerKey peer, ext::Message m)
    {
        engine->onMessage(peer, std::move(m));
        settle();
    }

    // Joins, proposes, and (unless told otherwise) funds the channel on chain.
    TestBuyer openChannel(std::uint64_t key, bool fund = true)
    {
        TestBuyer b(ext::PeerKey{key}, nodeKey.address());
        join(b);
        deliver(b.peer, b.proposal());
        const auto accepts = control->sentTo<ext::ChannelAccept>(b.peer);
        if (accepts.size() != 1) throw std::runtime_error("the seller did not accept an honest proposal");
        b.accepted(accepts.back());
        if (fund) chain.fund(b.channelId(), deposit);
        return b;
    }

    // One honest payment, answered by a countersignature that the buyer checks.
    void payHonestly(TestBuyer& b, const Wei& amount)
    {
        const auto p = b.pay(amount);
        deliver(b.peer, TestBuyer::message(p.signedState()));
        const auto replies = control->sentTo<ext::Countersignature>(b.peer);
        ASSERT_FALSE(replies.empty()) << "no countersignature";
        ASSERT_EQ(replies.back().turn, p.signedState().state.turnNum);
        b.countersigned(p, replies.back());
    }

    std::optional<nitro::SignedState> latest(const nitro::ChannelId& id)
    {
        std::optional<nitro::SignedState> out;
        engine->sync([&] { out = must(store->latestState(id)); });
        return out;
    }
    std::optional<store::ChannelRecord> channelRecord(const nitro::ChannelId& id)
    {
        std::optional<store::ChannelRecord> out;
        engine->sync([&] { out = must(store->getChannel(id)); });
        return out;
    }
    std::size_t channelCount()
    {
        std::size_t n = 0;
        engine->sync([&] { n = must(store->listChannels()).size(); });
        return n;
    }

    // The peer was disconnected once, for `code`, and the log says which peer and why.
    void expectDisconnected(ext::PeerKey peer, ext::PeerErrorCode code)
    {
        // Some refusals come after the chain was asked again (fundingChecks).
        for (int i = 0; i < 200 && control->disconnects(peer).empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            settle();
        }
        const auto d = control->disconnects(peer);
        ASSERT_EQ(d.size(), 1u) << "disconnects of the hostile peer";
        EXPECT_EQ(d[0].code, code) << d[0].reason;
        EXPECT_FALSE(d[0].reason.empty());
        const std::string who = ":" + std::to_string(static_cast<std::uint64_t>(peer)) + ": ";
        const auto lines = log->lines();
        EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
            return l.find("peer 192.0.2.") != std::string::npos && l.find(who) != std::string::npos &&
                   l.find(d[0].reason) != std::string::npos;
        })) << "no log line names the peer and the reason: " << d[0].reason;
    }

    // The honest buyer is still served after the hostile one was thrown out.
    void expectHonestStillServed(TestBuyer& honest)
    {
        const Wei before = honest.view->paid();
        const Wei more(U256(300'000'000));
        payHonestly(honest, more);
        EXPECT_TRUE(control->disconnects(honest.peer).empty());
        EXPECT_EQ(control->granted(honest.peer), bytesCovered(before + more));
        EXPECT_EQ(latest(honest.view->id())->state.turnNum, honest.view->turnNum());
    }

    pt::test::LogCapture capture; // expectDisconnected reads every level's lines
    const std::shared_ptr<pt::test::CapturingSink> log = capture.sink;
    TempDir dir;
    EngineConfig config;
    const Address adjudicator = must(Address::fromHex("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
    PrivateKey nodeKey; // the engine's own key
    std::optional<store::Store> store;
    MemoryChain chain;
    std::shared_ptr<RecordingControl> control;
    std::unique_ptr<PaymentEngine> engine;
};

// --- the honest path ----------------------------------------------------------------------

TEST_F(SellerEngine, GrantsExactlyWhatEachPaymentCoversOnceTheStateIsDurable)
{
    // In the grant hook (the syncer thread, at the moment the extension is told): the stored
    // latest state must already be the countersigned one that pays for everything granted.
    struct Seen {
        std::uint64_t bytes;
        std::uint64_t storedTurn;
        Wei storedPaid;
        bool storedBothSigned;
    };
    std::vector<Seen> seen;
    std::optional<nitro::ChannelId> channel;
    control->onGrant = [&](ext::PeerKey, std::uint64_t bytes) {
        Seen s{bytes, 0, {}, false};
        if (channel) {
            // A fresh connection to the file: what is on disk, not what a cache says.
            auto reader = must(store::Store::open(dir / "wallet.db"));
            if (auto l = must(reader.latestState(*channel))) {
                s.storedTurn = l->state.turnNum;
                s.storedPaid = l->state.outcome[0].allocationItems[nitro::beneficiary_index].amount;
                s.storedBothSigned = l->signatures.size() == 2 && l->signatures[0] && l->signatures[1];
            }
        }
        seen.push_back(s);
    };

    TestBuyer b = openChannel(1);
    channel = b.channelId();
    const auto rec = channelRecord(*channel);
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->role, store::ChannelRole::beneficiary);
    EXPECT_EQ(rec->counterparty, b.key.address());
    EXPECT_EQ(control->granted(b.peer), 0u) << "no credit for a channel that is only proposed";

    // Amounts that land between byte boundaries, one too small to buy a byte, and the rest
    // of the deposit at the end.
    const std::vector<Wei> amounts{Wei(U256(1)), Wei(U256(262'144'001)), Wei(U256(123'456'789)),
                                   Wei(U256(999'999'999)), Wei(U256(5))};
    Wei paid;
    std::uint64_t grantsBefore = 0;
    for (const Wei& a : amounts) {
        payHonestly(b, a);
        paid = paid + a;
        EXPECT_EQ(control->granted(b.peer), bytesCovered(paid)) << "after paying " << paid.toDecimal();
        const auto l = latest(b.view->id());
        ASSERT_TRUE(l);
        EXPECT_EQ(l->state.turnNum, b.view->turnNum());
        EXPECT_EQ(l->state.outcome[0].allocationItems[0].amount, paid);
        ASSERT_EQ(l->signatures.size(), 2u);
        EXPECT_TRUE(l->signatures[0] && l->signatures[1]);
        // Each grant was made after the state that pays for it was on disk.
        for (std::size_t i = grantsBefore; i < seen.size(); ++i) {
            EXPECT_EQ(seen[i].storedTurn, b.view->turnNum());
            EXPECT_TRUE(seen[i].storedBothSigned);
            EXPECT_EQ(seen[i].storedPaid, paid);
        }
        grantsBefore = seen.size();
    }
    EXPECT_EQ(chain.holdingsQueries(), 1) << "the deposit is checked once, before the first grant";
    // One grant per payment, after its answer: of 0 bytes for a payment that raised nothing
    // (the first, 1 wei, covers no byte; the last, 5 wei, only adds to the fraction of a
    // byte left over), which tells the connection that nothing more is coming for it.
    ASSERT_EQ(seen.size(), amounts.size());
    Wei cumulative;
    std::size_t raises = 0;
    for (std::size_t i = 0; i < amounts.size(); ++i) {
        const std::uint64_t more = bytesCovered(cumulative + amounts[i]) - bytesCovered(cumulative);
        EXPECT_EQ(seen[i].bytes, more) << "payment " << i;
        if (more > 0) ++raises;
        cumulative = cumulative + amounts[i];
    }
    EXPECT_EQ(raises, amounts.size() - 2);

    // Paying the rest of the deposit, then the final state: the seller countersigns it.
    payHonestly(b, b.view->remaining());
    EXPECT_EQ(control->granted(b.peer), bytesCovered(deposit));
    const auto fin = must(nitro::makeFinal(*b.view, b.key));
    const auto m = TestBuyer::message(fin.signedState());
    deliver(b.peer, ext::FinalState{m.channel, m.state, m.signature});
    const auto finals = control->sentTo<ext::FinalCountersignature>(b.peer);
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].turn, fin.signedState().state.turnNum);
    EXPECT_TRUE(latest(b.view->id())->state.isFinal);
    EXPECT_EQ(channelRecord(b.view->id())->status, store::ChannelStatus::closing);
    EXPECT_TRUE(control->disconnects(b.peer).empty());
}

// The countersignature and the grant wait for the fsync, which runs on the syncer's thread:
// when it fails, the payment is not acted upon at all.
TEST_F(SellerEngine, ActsOnNoPaymentWhoseFsyncFailed)
{
    const std::shared_ptr<store::WalSync> wal = store->walSync();
    ASSERT_NE(wal, nullptr);
    TestBuyer b = openChannel(1);
    std::uint64_t syncsAtGrant = 0;
    control->onGrant = [&](ext::PeerKey, std::uint64_t) { syncsAtGrant = wal->syncs(); };
    const std::uint64_t before = wal->syncs();
    payHonestly(b, Wei(U256(400'000'000)));
    EXPECT_GT(syncsAtGrant, before) << "granted only after a sync that followed the commit";

    // Take the log's name away: SQLite goes on writing the file it has open, but no sync
    // can reach it by name.
    std::filesystem::remove(dir / "wallet.db-wal");
    const auto granted = control->granted(b.peer);
    const auto countersigned = control->sentTo<ext::Countersignature>(b.peer).size();
    const auto p = b.pay(Wei(U256(300'000'000)));
    deliver(b.peer, TestBuyer::message(p.signedState()));
    expectDisconnected(b.peer, ext::PeerErrorCode::internal);
    EXPECT_EQ(control->granted(b.peer), granted) << "no credit for a state that may not survive";
    EXPECT_EQ(control->sentTo<ext::Countersignature>(b.peer).size(), countersigned) << "no countersignature either";
}

// --- hostile buyers -----------------------------------------------------------------------

// What the extension finds wrong with a peer (a malformed message, say) reaches the log even
// when the peer has no channel yet, so no summary to show it in.
TEST_F(SellerEngine, LogsTheErrorsTheExtensionReports)
{
    TestBuyer b(ext::PeerKey{7}, nodeKey.address());
    join(b);
    engine->onPeerError(b.peer, makeError(ext::WireError::not_bencoded, "peer 192.0.2.1:7: a message that is not bencode"));
    settle();
    const auto lines = log->lines();
    EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("peer 192.0.2.1:7: a message that is not bencode") != std::string::npos;
    })) << lines.size() << " lines logged";
}

TEST_F(SellerEngine, RefusesAPaymentSignedByAnotherKey)
{
    TestBuyer honest = openChannel(1);
    TestBuyer evil = openChannel(2);
    payHonestly(honest, Wei(U256(400'000'000)));

    const PrivateKey forger = newKey();
    const auto p = evil.pay(Wei(U256(500'000'000)));
    deliver(evil.peer, TestBuyer::message(p.signedState().state, forger));

    expectDisconnected(evil.peer, ext::PeerErrorCode::invalid_signature);
    EXPECT_EQ(control->granted(evil.peer), 0u);
    EXPECT_TRUE(control->sentTo<ext::Countersignature>(evil.peer).empty());
    EXPECT_EQ(latest(evil.channelId())->state.turnNum, 0u);
    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesAProposalSignedByAnotherKey)
{
    TestBuyer honest = openChannel(1);
    TestBuyer evil(ext::PeerKey{2}, nodeKey.address());
    join(evil);
    deliver(evil.peer, evil.proposal(evil.terms, newKey()));

    expectDisconnected(evil.peer, ext::PeerErrorCode::invalid_signature);
    EXPECT_TRUE(control->sentTo<ext::ChannelAccept>(evil.peer).empty());
    EXPECT_FALSE(channelRecord(evil.channelId()));
    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesAReplayedState)
{
    TestBuyer honest = openChannel(1);
    TestBuyer evil = openChannel(2);
    const auto p = evil.pay(Wei(U256(700'000'000)));
    deliver(evil.peer, TestBuyer::message(p.signedState()));
    const std::uint64_t granted = control->granted(evil.peer);
    EXPECT_EQ(granted, bytesCovered(Wei(U256(700'000'000))));

    deliver(evil.peer, TestBuyer::message(p.signedState())); // the same turn again

    expectDisconnected(evil.peer, ext::PeerErrorCode::stale_state);
    EXPECT_EQ(control->granted(evil.peer), granted) << "no credit for the replay";
    EXPECT_EQ(control->sentTo<ext::Countersignature>(evil.peer).size(), 1u);
    EXPECT_EQ(latest(evil.channelId())->state.turnNum, 1u);
    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesADecreasingPayment)
{
    TestBuyer honest = openChannel(1);
    TestBuyer evil = openChannel(2);
    payHonestly(evil, Wei(U256(800'000'000)));
    const std::uint64_t granted = control->granted(evil.peer);

    // Turn 2 takes back half of what turn 1 paid (the amounts still add up to the deposit).
    nitro::State s = evil.view->state();
    s.turnNum += 1;
    auto& items = s.outcome[0].allocationItems;
    items[0].amount = Wei(U256(400'000'000));
    items[1].amount = deposit - items[0].amount;
    deliver(evil.peer, TestBuyer::message(s, evil.key));

    expectDisconnected(evil.peer, ext::PeerErrorCode::decreasing_payment);
    EXPECT_EQ(control->granted(evil.peer), granted);
    const auto l = latest(evil.channelId());
    EXPECT_EQ(l->state.turnNum, 1u);
    EXPECT_EQ(l->state.outcome[0].allocationItems[0].amount, Wei(U256(800'000'000)));
    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesPayingMoreThanTheDeposit)
{
    TestBuyer honest = openChannel(1);

    // More to the seller than the channel holds, the payer's share at zero.
    TestBuyer over = openChannel(2);
    nitro::State s = over.view->state();
    s.turnNum += 1;
    s.outcome[0].allocationItems[0].amount = deposit + Wei(U256(1));
    s.outcome[0].allocationItems[1].amount = Wei{};
    deliver(over.peer, TestBuyer::message(s, over.key));
    expectDisconnected(over.peer, ext::PeerErrorCode::overspend);
    EXPECT_EQ(control->granted(over.peer), 0u);
    EXPECT_EQ(latest(over.channelId())->state.turnNum, 0u);

    // Paying without taking it from its own share: the outcome adds up to more than the deposit.
    TestBuyer inflate = openChannel(3);
    nitro::State t = inflate.view->state();
    t.turnNum += 1;
    t.outcome[0].allocationItems[0].amount = Wei(U256(1'000'000'000));
    deliver(inflate.peer, TestBuyer::message(t, inflate.key));
    expectDisconnected(inflate.peer, ext::PeerErrorCode::overspend);
    EXPECT_EQ(control->granted(inflate.peer), 0u);
    EXPECT_EQ(latest(inflate.channelId())->state.turnNum, 0u);

    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesAPaymentForAnUnknownChannel)
{
    TestBuyer honest = openChannel(1);
    const std::size_t channels = channelCount();

    // A payment on a connection that never proposed: a channel of the buyer's own making.
    TestBuyer stranger(ext::PeerKey{2}, nodeKey.address());
    join(stranger);
    nitro::State s = must(nitro::makeInitialState(stranger.terms));
    s.turnNum = 1;
    s.outcome[0].allocationItems[0].amount = Wei(U256(500'000'000));
    s.outcome[0].allocationItems[1].amount = deposit - Wei(U256(500'000'000));
    deliver(stranger.peer, TestBuyer::message(s, stranger.key));
    expectDisconnected(stranger.peer, ext::PeerErrorCode::unknown_channel);
    EXPECT_EQ(control->granted(stranger.peer), 0u);
    EXPECT_FALSE(channelRecord(stranger.channelId()));

    // A payment for another connection's channel (the honest buyer's, copied).
    TestBuyer other = openChannel(3);
    const auto copied = honest.pay(Wei(U256(100'000'000)));
    deliver(other.peer, TestBuyer::message(copied.signedState()));
    expectDisconnected(other.peer, ext::PeerErrorCode::unknown_channel);
    EXPECT_EQ(control->granted(other.peer), 0u);
    EXPECT_EQ(latest(honest.channelId())->state.turnNum, 0u);
    EXPECT_EQ(latest(other.channelId())->state.turnNum, 0u);
    EXPECT_EQ(channelCount(), channels + 1); // only `other`'s own channel was added

    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesPaymentsUntilTheDepositIsHeldOnChain)
{
    TestBuyer honest = openChannel(1);

    TestBuyer unfunded = openChannel(2, false);
    payHonestly(honest, Wei(U256(1'000)));
    deliver(unfunded.peer, TestBuyer::message(unfunded.pay(Wei(U256(200'000'000))).signedState()));
    expectDisconnected(unfunded.peer, ext::PeerErrorCode::overspend);
    EXPECT_EQ(control->granted(unfunded.peer), 0u);
    EXPECT_TRUE(control->sentTo<ext::Countersignature>(unfunded.peer).empty());
    EXPECT_EQ(latest(unfunded.channelId())->state.turnNum, 0u);

    // One wei short of the deposit is not funded either.
    TestBuyer shortOne = openChannel(3, false);
    chain.fund(shortOne.channelId(), deposit - Wei(U256(1)));
    deliver(shortOne.peer, TestBuyer::message(shortOne.pay(Wei(U256(200'000'000))).signedState()));
    expectDisconnected(shortOne.peer, ext::PeerErrorCode::overspend);
    EXPECT_EQ(control->granted(shortOne.peer), 0u);
    EXPECT_EQ(latest(shortOne.channelId())->state.turnNum, 0u);

    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesProposalsNotOnItsTerms)
{
    TestBuyer honest = openChannel(1);
    std::uint64_t key = 10;
    auto refused = [&](const char* what, const std::function<void(nitro::ChannelTerms&)>& change) {
        SCOPED_TRACE(what);
        TestBuyer evil(ext::PeerKey{key++}, nodeKey.address());
        change(evil.terms);
        join(evil);
        deliver(evil.peer, evil.proposal());
        expectDisconnected(evil.peer, ext::PeerErrorCode::unacceptable_terms);
        EXPECT_TRUE(control->sentTo<ext::ChannelAccept>(evil.peer).empty());
        EXPECT_FALSE(channelRecord(evil.channelId()));

        // A proposal already on its way when the connection failed is not taken up.
        TestBuyer fixedUp(evil.peer, nodeKey.address());
        fixedUp.key = evil.key;
        fixedUp.terms.payer = evil.key.address();
        deliver(evil.peer, fixedUp.proposal());
        EXPECT_TRUE(control->sentTo<ext::ChannelAccept>(evil.peer).empty());
        EXPECT_FALSE(channelRecord(fixedUp.channelId()));
        EXPECT_EQ(control->disconnects(evil.peer).size(), 1u);
    };
    refused("another beneficiary", [](nitro::ChannelTerms& t) { t.beneficiary = newKey().address(); });
    refused("another chain", [](nitro::ChannelTerms& t) { t.chainId = chain_id + 1; });
    refused("a challenge window shorter than ours",
            [](nitro::ChannelTerms& t) { t.challengeDuration = challenge_duration - 1; });
    refused("a payer other than the peer's signer", [](nitro::ChannelTerms& t) { t.payer = newKey().address(); });
    refused("an app definition", [](nitro::ChannelTerms& t) { t.appDefinition = newKey().address(); });
    EXPECT_EQ(channelCount(), 1u);
    expectHonestStillServed(honest);
}

TEST_F(SellerEngine, RefusesASecondProposalOnOneConnection)
{
    TestBuyer honest = openChannel(1);
    TestBuyer evil = openChannel(2);
    payHonestly(evil, Wei(U256(300'000'000)));
    const std::uint64_t granted = control->granted(evil.peer);

    TestBuyer second(evil.peer, nodeKey.address());
    second.key = evil.key;
    second.terms.payer = evil.key.address();
    deliver(evil.peer, second.proposal());

    expectDisconnected(evil.peer, ext::PeerErrorCode::protocol_violation);
    EXPECT_EQ(control->sentTo<ext::ChannelAccept>(evil.peer).size(), 1u);
    EXPECT_FALSE(channelRecord(second.channelId()));
    EXPECT_EQ(control->granted(evil.peer), granted);
    EXPECT_EQ(latest(evil.channelId())->state.turnNum, 1u);
    expectHonestStillServed(honest);
}

// A payment waits for the chain to confirm the deposit; if the connection fails meanwhile
// (here: a second proposal), the answer from the chain must not revive it.
TEST_F(SellerEngine, GrantsNothingToAPeerThatFailedWhileItsDepositWasChecked)
{
    TestBuyer honest = openChannel(1);
    payHonestly(honest, Wei(U256(1'000)));
    TestBuyer evil = openChannel(2);

    chain.deferHoldings();
    deliver(evil.peer, TestBuyer::message(evil.pay(Wei(U256(600'000'000))).signedState()));
    TestBuyer second(evil.peer, nodeKey.address());
    second.key = evil.key;
    second.terms.payer = evil.key.address();
    deliver(evil.peer, second.proposal());
    expectDisconnected(evil.peer, ext::PeerErrorCode::protocol_violation);

    chain.releaseHoldings();
    settle();
    EXPECT_EQ(control->granted(evil.peer), 0u);
    EXPECT_TRUE(control->sentTo<ext::Countersignature>(evil.peer).empty());
    EXPECT_EQ(latest(evil.channelId())->state.turnNum, 0u);
    EXPECT_EQ(control->disconnects(evil.peer).size(), 1u);
    expectHonestStillServed(honest);
}

// Before the deposit is confirmed an honest buyer has at most one payment in flight; a
// peer that piles up payments meanwhile is cut off instead of queued without bound.
// The buyer's node may see its deposit before ours does: a first payment that finds too
// little on chain waits for the chain to be asked again, and is taken once the deposit shows.
TEST_F(SellerEngine, AsksTheChainAgainForADepositItHasNotSeenYet)
{
    TestBuyer b = openChannel(1, false);
    chain.deferHoldings();
    const auto p = b.pay(Wei(U256(200'000'000)));
    deliver(b.peer, TestBuyer::message(p.signedState()));
    ASSERT_EQ(chain.holdingsQueries(), 1);
    chain.releaseHoldings(); // nothing there yet
    settle();
    EXPECT_TRUE(control->sentTo<ext::Countersignature>(b.peer).empty());
    chain.fund(b.channelId(), deposit);
    for (int i = 0; i < 200 && control->sentTo<ext::Countersignature>(b.peer).empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        settle();
    }
    const auto replies = control->sentTo<ext::Countersignature>(b.peer);
    ASSERT_EQ(replies.size(), 1u) << "the payment is taken once the deposit shows";
    EXPECT_GE(chain.holdingsQueries(), 2);
    EXPECT_GT(control->granted(b.peer), 0u);
    EXPECT_TRUE(control->disconnects(b.peer).empty());
}

TEST_F(SellerEngine, BoundsThePaymentsWaitingForTheDeposit)
{
    TestBuyer honest = openChannel(1);
    payHonestly(honest, Wei(U256(1'000)));
    TestBuyer evil = openChannel(2);

    chain.deferHoldings();
    const auto p = evil.pay(Wei(U256(600'000'000)));
    for (int i = 0; i < 1000 && control->disconnects(evil.peer).empty(); ++i)
        engine->onMessage(evil.peer, TestBuyer::message(p.signedState()));
    settle();
    expectDisconnected(evil.peer, ext::PeerErrorCode::protocol_violation);

    chain.releaseHoldings();
    settle();
    EXPECT_EQ(control->granted(evil.peer), 0u);
    EXPECT_EQ(latest(evil.channelId())->state.turnNum, 0u);
    expectHonestStillServed(honest);
}

// --- the engine as a buyer -----------------------------------------------------------------

// A seller driven by the test: accepts the engine's proposal and countersigns its payments
// with the wallet's payment channel rules.
struct TestSeller {
    explicit TestSeller(ext::PeerKey k) : peer(k), key(newKey()) {}
    TestSeller(ext::PeerKey k, const PrivateKey& sameSigner) : peer(k), key(sameSigner) {} // another connection

    ext::PeerInfo info(const Address& adjudicator) const
    {
        ext::PeerInfo i;
        i.key = peer;
        i.infoHash.bytes.fill(0xcd);
        i.endpoint = "192.0.2.2:" + std::to_string(static_cast<std::uint64_t>(peer));
        i.outgoing = true;
        i.remote.signer.bytes = key.address().bytes;
        i.remote.chainId = chain_id;
        i.remote.adjudicator.bytes = adjudicator.bytes;
        i.remote.pricePerMiB = price; // it sells
        i.counters = counters;
        i.payments = payments;
        return i;
    }

    ext::ChannelAccept accept(const ext::ChannelProposal& m)
    {
        const nitro::State s = must(decodeWireState(m.state));
        nitro::ChannelTerms t;
        t.chainId = s.fixed.chainId;
        t.beneficiary = s.fixed.participants.at(nitro::beneficiary_index);
        t.payer = s.fixed.participants.at(nitro::payer_index);
        t.channelNonce = s.fixed.channelNonce;
        t.appDefinition = s.fixed.appDefinition;
        t.challengeDuration = s.fixed.challengeDuration;
        t.deposit = s.outcome.at(0).allocationItems.at(nitro::payer_index).amount;
        const Signature mine = nitro::signState(s, key);
        view.emplace(must(nitro::openChannel(t, {s, {mine, must(Signature::fromBytes65(m.signature.view()))}})));
        return {m.channel, sigBytes(mine)};
    }

    ext::Countersignature countersign(const ext::Payment& m)
    {
        const nitro::SignedState s{must(decodeWireState(m.state)), {std::nullopt, must(Signature::fromBytes65(m.signature.view()))}};
        view.emplace(must(nitro::countersign(must(nitro::validatePayment(*view, s)), key)));
        return {m.channel, view->turnNum(), sigBytes(*view->latest().signatures[nitro::beneficiary_index])};
    }

    Wei paid() const { return view ? view->paid() : Wei{}; }

    ext::PeerKey peer;
    PrivateKey key;
    std::optional<nitro::ChannelView> view;
    std::shared_ptr<ext::PeerCounters> counters = std::make_shared<ext::PeerCounters>();
    std::shared_ptr<ext::PaymentTrigger> payments = std::make_shared<ext::PaymentTrigger>();
    std::size_t proposalsSeen = 0;
    std::size_t paymentsSeen = 0;
};

class BuyerEngine : public SellerEngine {
protected:
    const std::string torrent = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"; // TestSeller's info-hash, in hex

    // Answers what the engine sent each seller since the last call, until it sends nothing new.
    void serve(std::vector<TestSeller*> sellers)
    {
        for (bool progress = true; progress;) {
            progress = false;
            for (TestSeller* s : sellers) {
                const auto proposals = control->sentTo<ext::ChannelProposal>(s->peer);
                for (; s->proposalsSeen < proposals.size(); ++s->proposalsSeen, progress = true)
                    deliver(s->peer, s->accept(proposals[s->proposalsSeen]));
                const auto payments = control->sentTo<ext::Payment>(s->peer);
                for (; s->paymentsSeen < payments.size(); ++s->paymentsSeen, progress = true)
                    deliver(s->peer, s->countersign(payments[s->paymentsSeen]));
            }
        }
    }

    void join(const TestSeller& s)
    {
        const ext::PeerInfo info = s.info(adjudicator);
        control->connect(info);
        engine->onPeerJoined(info);
        settle();
    }
    // Buys a 64 MiB torrent with an ample budget and opens a channel with `s`.
    void buyFrom(TestSeller& s)
    {
        engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), 64 << 20});
        join(s);
        serve({&s});
        ASSERT_TRUE(s.view);
    }
    // As the connection does: the block releases what it makes due, then the engine hears
    // of the bytes.
    void received(TestSeller& s, std::uint64_t bytes)
    {
        s.counters->payloadReceived.store(bytes);
        control->releaseDuePayments(s.peer);
        engine->onPayloadReceived(s.peer, bytes);
        settle();
    }
};

// With bytes that arrive twice (libtorrent's end game asks several sellers for the last
// blocks), paying each seller a window ahead of what it delivered would pay for the
// duplicates on top: the whole torrent still costs at most price x size + window x sellers.
TEST_F(BuyerEngine, PaysAtMostTheFileAndOneWindowPerSellerEvenForBytesReceivedTwice)
{
    const std::uint64_t size = 4 << 20;
    const std::uint64_t window = 1 << 20; // EngineConfig's default credit window
    engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), size});
    TestSeller a(ext::PeerKey{1});
    TestSeller b(ext::PeerKey{2});
    join(a);
    join(b);
    serve({&a, &b});
    ASSERT_TRUE(a.view && b.view) << "both channels open";
    EXPECT_EQ(a.paid(), cost(window)) << "a window ahead of nothing received";
    EXPECT_EQ(b.paid(), cost(window));

    // `a` delivers three quarters of the file, `b` the rest and a quarter MiB that `a` had
    // already delivered.
    received(a, 3 << 20);
    serve({&a, &b});
    EXPECT_EQ(a.paid(), cost((3 << 20) + window)) << "a window ahead of what it delivered";
    received(b, (1 << 20) + (1 << 18));
    serve({&a, &b});

    EXPECT_LE(a.paid() + b.paid(), cost(size) + cost(window) + cost(window));
    EXPECT_GE(b.paid(), cost(size - (3 << 20))) << "what b delivered of the file is paid for";
    EXPECT_TRUE(control->disconnects(a.peer).empty());
    EXPECT_TRUE(control->disconnects(b.peer).empty());
}

// The deposit goes on chain only once the channel it funds is durable in the store: after
// a crash the node must know the channel (its nonce above all) to get the funds back. A
// channel whose commit cannot be synced is never funded.
TEST_F(BuyerEngine, DepositsOnlyOnceTheChannelIsDurable)
{
    const std::shared_ptr<store::WalSync> wal = store->walSync();
    ASSERT_NE(wal, nullptr);
    int deposits = 0;
    std::uint64_t syncsAtDeposit = 0;
    chain.onDeposit = [&] {
        ++deposits;
        syncsAtDeposit = wal->syncs();
    };
    engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), 64 << 20});
    TestSeller a(ext::PeerKey{1});
    join(a);
    const std::uint64_t before = wal->syncs();
    serve({&a});
    ASSERT_TRUE(a.view);
    EXPECT_EQ(deposits, 1);
    EXPECT_GT(syncsAtDeposit, before) << "deposited only after a sync that followed the channel's commit";
    EXPECT_GT(chain.held(a.view->id()).value(), 0);

    // Take the log's name away: no sync can reach it, so the next channel is never durable.
    std::filesystem::remove(dir / "wallet.db-wal");
    TestSeller b(ext::PeerKey{2});
    join(b);
    serve({&b});
    ASSERT_TRUE(b.view) << "b accepted";
    EXPECT_EQ(deposits, 1) << "no deposit for a channel that may not survive";
    EXPECT_EQ(chain.held(b.view->id()).value(), 0);
    expectDisconnected(b.peer, ext::PeerErrorCode::internal);
}

// A seller that leaves, or is refused, before its channel is funded gives its deposit's share
// of the budget back: with a budget for one channel, the next seller is still proposed one
// (it used to be told the budget was spent, and the download stalled for that run).
TEST_F(BuyerEngine, ASellerDroppedBeforeItsDepositGivesItsBudgetBack)
{
    const std::uint64_t size = 4 << 20;
    const std::uint64_t window = 1 << 20; // EngineConfig's default credit window
    engine->buy(torrent, BuyTerms{price, cost(size + window), size});

    TestSeller leaves(ext::PeerKey{1});
    join(leaves);
    ASSERT_EQ(control->sentTo<ext::ChannelProposal>(leaves.peer).size(), 1u);
    engine->onPeerLeft(leaves.peer, {});
    settle();

    TestSeller refused(ext::PeerKey{2});
    join(refused);
    const auto proposals = control->sentTo<ext::ChannelProposal>(refused.peer);
    ASSERT_EQ(proposals.size(), 1u) << "the budget of a seller that left is free again";
    ext::ChannelAccept wrong = refused.accept(proposals[0]);
    wrong.channel.bytes[0] ^= 1; // an acceptance of another channel
    deliver(refused.peer, wrong);
    expectDisconnected(refused.peer, ext::PeerErrorCode::unknown_channel);

    TestSeller honest(ext::PeerKey{3});
    join(honest);
    ASSERT_EQ(control->sentTo<ext::ChannelProposal>(honest.peer).size(), 1u) << "nor is a refused seller's";
    serve({&honest});
    ASSERT_TRUE(honest.view);
    EXPECT_EQ(chain.held(honest.view->id()), cost(size + window));
    EXPECT_TRUE(control->disconnects(honest.peer).empty());
}

// A seller on two connections at once (both sides dialled each other) gets one channel: a
// second would hold a second window of the buyer's money. The second connection is closed
// and its budget share never taken.
TEST_F(BuyerEngine, OneChannelPerSellerWhateverItsConnections)
{
    const std::uint64_t size = 4 << 20;
    const std::uint64_t window = 1 << 20; // EngineConfig's default credit window
    engine->buy(torrent, BuyTerms{price, cost(2 * (size + window)), size});
    TestSeller first(ext::PeerKey{1});
    join(first);
    serve({&first});
    ASSERT_TRUE(first.view);

    TestSeller second(ext::PeerKey{2}, first.key);
    join(second);
    EXPECT_TRUE(control->sentTo<ext::ChannelProposal>(second.peer).empty());
    expectDisconnected(second.peer, ext::PeerErrorCode::unacceptable_terms);
    EXPECT_NE(control->disconnects(second.peer)[0].reason.find("another connection"), std::string::npos);

    // Another seller still gets its channel, and the first one goes on being paid.
    TestSeller other(ext::PeerKey{3});
    join(other);
    serve({&other});
    ASSERT_TRUE(other.view);
    received(first, 1 << 20);
    serve({&first});
    EXPECT_EQ(first.paid(), cost((1 << 20) + window));
    EXPECT_TRUE(control->disconnects(first.peer).empty());
}

// A magnet link: the torrent's size comes with its metadata, after the peers joined. A peer
// that serves the torrent free is left alone then, as when it joined (it used to be proposed
// a channel at price 0 and disconnected for a spent budget, which cost every free magnet
// download a reconnection).
TEST_F(BuyerEngine, AFreeSellerIsLeftAloneWhenTheMetadataArrives)
{
    engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), 0});
    TestSeller free(ext::PeerKey{1});
    ext::PeerInfo info = free.info(adjudicator);
    info.remote.pricePerMiB.reset();
    control->connect(info);
    engine->onPeerJoined(info);
    settle();
    engine->setTorrentBytes(torrent, 4 << 20);
    settle();
    EXPECT_TRUE(control->sentTo<ext::ChannelProposal>(free.peer).empty());
    EXPECT_TRUE(control->disconnects(free.peer).empty());

    // A seller that joined meanwhile is proposed its channel with the metadata.
    engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), 0});
    TestSeller paid(ext::PeerKey{2});
    join(paid);
    EXPECT_TRUE(control->sentTo<ext::ChannelProposal>(paid.peer).empty()) << "no size yet";
    engine->setTorrentBytes(torrent, 4 << 20);
    settle();
    EXPECT_EQ(control->sentTo<ext::ChannelProposal>(paid.peer).size(), 1u);
}

// A buyer commits a countersigned state with the next batch (nothing waits on it). A node
// that stops meanwhile still has it: the engine commits what is pending as it stops.
TEST_F(BuyerEngine, KeepsTheLastCountersignedStateWhenItStops)
{
    TestSeller s(ext::PeerKey{1});
    ASSERT_NO_FATAL_FAILURE(buyFrom(s));
    received(s, 64 << 20); // all of it: the last countersignature is followed by no payment
    serve({&s});
    const std::uint64_t turn = s.view->turnNum();
    ASSERT_GT(turn, 1u);
    const nitro::ChannelId id = s.view->id();
    engine.reset();
    auto latest = must(store->latestSupportedState(id));
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->state.turnNum, turn);
}

// The budget bounds what is locked in deposits across restarts: a node restarted in the middle
// of a download (its channel still open on chain) does not lock a second budget; once that
// channel is closed its deposit no longer counts.
TEST_F(BuyerEngine, TheBudgetCountsDepositsOfAnEarlierRunStillLocked)
{
    const std::uint64_t size = 4 << 20;
    const std::uint64_t window = 1 << 20; // EngineConfig's default credit window
    const BuyTerms terms{price, cost(size + window), size};
    engine->buy(torrent, terms);
    TestSeller first(ext::PeerKey{1});
    join(first);
    serve({&first});
    ASSERT_TRUE(first.view);
    EXPECT_EQ(chain.held(first.view->id()), cost(size + window));

    restartEngine();
    engine->buy(torrent, terms);
    TestSeller second(ext::PeerKey{2});
    join(second);
    EXPECT_TRUE(control->sentTo<ext::ChannelProposal>(second.peer).empty()) << "the budget is locked in the first channel";
    expectDisconnected(second.peer, ext::PeerErrorCode::unacceptable_terms);

    Status closed;
    engine->sync([&] { closed = store->setChannelStatus(first.view->id(), store::ChannelStatus::closed); });
    ASSERT_TRUE(closed) << closed.error().describe();
    restartEngine();
    engine->buy(torrent, terms);
    // A seller that accepts and leaves before the deposit is sent: its channel is stored,
    // never funded, and locks nothing after a restart either.
    TestSeller leaves(ext::PeerKey{3});
    join(leaves);
    const auto proposals = control->sentTo<ext::ChannelProposal>(leaves.peer);
    ASSERT_EQ(proposals.size(), 1u) << "a closed channel locks nothing";
    engine->onMessage(leaves.peer, leaves.accept(proposals[0]));
    engine->onPeerLeft(leaves.peer, {});
    settle();
    ASSERT_TRUE(leaves.view);
    EXPECT_EQ(chain.held(leaves.view->id()).value(), 0);
    EXPECT_EQ(channelRecord(leaves.view->id())->status, store::ChannelStatus::closed);

    restartEngine();
    engine->buy(torrent, terms);
    TestSeller third(ext::PeerKey{4});
    join(third);
    serve({&third});
    ASSERT_TRUE(third.view) << "nor does one that was never funded";
    EXPECT_EQ(chain.held(third.view->id()), cost(size + window));
}

// Payments wait for no notice of what has arrived: the node asks for one per MiB only
// (core::received_notify_bytes), for its ledger. Each payment is armed with its due point,
// and the block that reaches it sends it; the countersignature lets the engine arm the next.
TEST_F(BuyerEngine, KeepsTheWindowPaidAheadWithoutNoticesOfWhatArrived)
{
    const std::uint64_t window = 1 << 20; // EngineConfig's defaults
    const std::uint64_t increment = 1 << 18;
    TestSeller s(ext::PeerKey{1});
    ASSERT_NO_FATAL_FAILURE(buyFrom(s));
    ASSERT_EQ(s.paid(), cost(window));
    for (std::uint64_t i = 1; i <= 12; ++i) {
        // As the connection does on a block, without engine->onPayloadReceived.
        s.counters->payloadReceived.store(i * increment);
        control->releaseDuePayments(s.peer);
        settle();
        serve({&s});
        EXPECT_EQ(s.paid(), cost(window + i * increment)) << "a window ahead of " << i << " increments";
        EXPECT_EQ(control->sentTo<ext::Payment>(s.peer).size(), 1 + i);
    }
    EXPECT_TRUE(control->disconnects(s.peer).empty());
}

// The buyer does not wait for each countersignature, nor for a commit when a payment falls
// due: it signs and stores payments ahead (up to EngineConfig's maxPaymentsInFlight, 8,
// signed and not countersigned), and the connection sends each on the block that makes it
// due, never more than a window ahead of what arrived. The seller countersigns them in
// order, and the buyer then pays for what arrived meanwhile.
TEST_F(BuyerEngine, PaysAgainBeforeThePreviousPaymentIsCountersigned)
{
    const std::uint64_t window = 1 << 20;     // EngineConfig's defaults
    const std::uint64_t increment = 1 << 18;
    const std::size_t cap = EngineConfig{}.maxPaymentsInFlight;
    ASSERT_EQ(cap, 8u);
    const std::uint64_t increments = cap + 4;
    engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), 64 << 20});
    TestSeller s(ext::PeerKey{1});
    join(s);
    serve({&s});
    ASSERT_TRUE(s.view);
    ASSERT_EQ(s.paid(), cost(window));

    // The first payment is countersigned: `cap` more may be signed and not countersigned.
    for (std::uint64_t i = 1; i <= increments; ++i) { // the seller answers nothing
        received(s, i * increment - 1);
        EXPECT_EQ(control->sentTo<ext::Payment>(s.peer).size(), 1 + std::min<std::size_t>(i - 1, cap))
            << "one byte short of " << i << " increments: not due yet";
        received(s, i * increment);
        EXPECT_EQ(control->sentTo<ext::Payment>(s.peer).size(), 1 + std::min<std::size_t>(i, cap))
            << "due on the byte that completes increment " << i << ", up to " << cap << " in flight";
    }
    const auto payments = control->sentTo<ext::Payment>(s.peer);
    for (std::size_t k = 1; k < payments.size(); ++k) {
        const nitro::State state = must(decodeWireState(payments[k].state));
        EXPECT_EQ(state.turnNum, k + 1);
        EXPECT_EQ(state.outcome[0].allocationItems[nitro::beneficiary_index].amount, cost(window + k * increment))
            << "one increment more than the payment before, a window ahead of " << k << " increments received";
    }

    serve({&s}); // countersigned in order; the buyer catches up with the increments waiting, at once
    EXPECT_EQ(s.paid(), cost(window + increments * increment));
    EXPECT_EQ(control->sentTo<ext::Payment>(s.peer).size(), 1 + cap + 1);
    EXPECT_TRUE(control->disconnects(s.peer).empty());
    // The countersignatures are committed lazily, but committed: with no payment left to
    // take the last one along, it is stored on its own within the lazy delay. (The latest
    // stored turns are the payments signed ahead.)
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    bool stored = false;
    while (!stored && std::chrono::steady_clock::now() < deadline) {
        std::optional<nitro::SignedState> st;
        engine->sync([&] { st = must(store->stateAt(s.view->id(), s.view->turnNum())); });
        stored = st && st->signatures[nitro::beneficiary_index].has_value();
        if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(stored) << "the last countersigned state never reached the store";
}

// Payments signed ahead that never left are forgotten when the seller goes: the store's
// latest state is again the last one the seller could hold.
TEST_F(BuyerEngine, ForgetsPaymentsSignedAheadWhenTheSellerLeaves)
{
    engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), 64 << 20});
    TestSeller s(ext::PeerKey{1});
    join(s);
    serve({&s});
    ASSERT_TRUE(s.view);
    const std::uint64_t countersigned = s.view->turnNum();
    ASSERT_GT(latest(s.view->id())->state.turnNum, countersigned) << "payments are signed and stored ahead";
    ASSERT_EQ(control->sentTo<ext::Payment>(s.peer).size(), 1u) << "none of them is due yet";

    engine->onPeerLeft(s.peer, ext::PeerCountersSnapshot{});
    settle();
    EXPECT_EQ(latest(s.view->id())->state.turnNum, countersigned);
    EXPECT_TRUE(s.payments->takeDue(std::numeric_limits<std::uint64_t>::max()).empty()) << "and none stays armed";
}

// After STOP(payment_needed) the buyer pays what it lacks to a full window at once, even less
// than an increment, and keeps doing so until START: the seller may be waiting for credit
// that no whole increment would bring.
TEST_F(BuyerEngine, PaysLessThanAnIncrementWhileStopped)
{
    const std::uint64_t window = 1 << 20;
    const std::uint64_t kib = 1 << 10;
    TestSeller s(ext::PeerKey{1});
    ASSERT_NO_FATAL_FAILURE(buyFrom(s));

    received(s, 100 * kib);
    EXPECT_EQ(control->sentTo<ext::Payment>(s.peer).size(), 1u) << "less than an increment short: no payment";
    deliver(s.peer, ext::Stop{ext::StopReason::payment_needed});
    serve({&s});
    EXPECT_EQ(s.paid(), cost(window + 100 * kib));
    received(s, 150 * kib);
    serve({&s});
    EXPECT_EQ(s.paid(), cost(window + 150 * kib)) << "still stopped: the shortfall is paid";

    deliver(s.peer, ext::Start{1 << 20});
    received(s, 200 * kib);
    serve({&s});
    EXPECT_EQ(s.paid(), cost(window + 150 * kib)) << "started: back to whole increments";
    EXPECT_EQ(control->sentTo<ext::Payment>(s.peer).size(), 3u);
}

// A seller that joins once the download is being closed gets no channel (and no payment
// ahead for a finished file), and does not hold the close up.
TEST_F(BuyerEngine, OpensNoChannelOnceTheDownloadIsClosing)
{
    engine->buy(torrent, BuyTerms{price, Wei(U256("1000000000000000")), 4 << 20});
    TestSeller early(ext::PeerKey{1});
    join(early);
    serve({&early});
    ASSERT_TRUE(early.view);

    std::promise<std::vector<ChannelSummary>> closed;
    engine->closeChannels(torrent, std::chrono::seconds(10), [&](std::vector<ChannelSummary> s) { closed.set_value(std::move(s)); });
    TestSeller late(ext::PeerKey{2});
    join(late);
    EXPECT_TRUE(control->sentTo<ext::ChannelProposal>(late.peer).empty());
    EXPECT_TRUE(control->sentTo<ext::Payment>(late.peer).empty());

    // The early seller countersigns the final state; the buyer concludes (in memory) and
    // the close completes well before its deadline.
    const auto finals = control->sentTo<ext::FinalState>(early.peer);
    ASSERT_EQ(finals.size(), 1u);
    const auto cs = early.countersign(ext::Payment{finals[0].channel, finals[0].state, finals[0].signature});
    EXPECT_TRUE(early.view->isFinal());
    deliver(early.peer, ext::FinalCountersignature{cs.channel, cs.turn, cs.signature});
    auto result = closed.get_future();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(3)), std::future_status::ready);
    const auto summaries = result.get();
    ASSERT_EQ(summaries.size(), 1u);
    EXPECT_EQ(summaries[0].status, "closed") << summaries[0].error;
}

} // namespace
