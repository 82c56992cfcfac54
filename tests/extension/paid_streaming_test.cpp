// Two real libtorrent sessions on loopback (TCP only), one seller and one buyer, with the
// paid-streaming plugin between them and a small test engine standing in for the payment
// engine: it "pays" with opaque blobs and grants credit in fixed increments. These tests
// exercise the gate, not the wallet.
#include "extension/paid_streaming.hpp"
#include "extension/protocol.hpp"
#include "extension/wire.hpp"
#include "support/temp_dir.hpp"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

using namespace pt;
using namespace pt::ext;
namespace lt = libtorrent;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kIncrement = 256 * 1024;
constexpr std::uint64_t kWindow = 1024 * 1024;
constexpr std::size_t kFileBytes = 4 * 1024 * 1024 + 12345; // a short last piece and block
constexpr int kPieceBytes = 256 * 1024;

template <std::size_t N>
FixedBytes<N> filled(std::uint8_t v)
{
    FixedBytes<N> out;
    out.bytes.fill(v);
    return out;
}

Terms nodeTerms(std::uint8_t who)
{
    Terms t;
    t.signer = filled<20>(who);
    t.chainId = 31337;
    t.adjudicator = filled<20>(0xad);
    t.paymentIncrement = kIncrement;
    t.creditWindow = kWindow;
    return t;
}

template <class F>
bool waitFor(F condition, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

// The engine's own thread: PeerEvents calls only enqueue work here.
class Worker {
public:
    Worker() : thread_([this] { run(); }) {}
    ~Worker() { stop(); }

    void post(std::function<void()> fn)
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        queue_.push_back(std::move(fn));
        cv_.notify_one();
    }
    void stop()
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            cv_.notify_one();
        }
        if (thread_.joinable()) thread_.join();
    }

private:
    void run()
    {
        for (;;) {
            std::function<void()> fn;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (stopping_) return;
                fn = std::move(queue_.front());
                queue_.pop_front();
            }
            fn();
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

// Stands in for the payment engine. As a seller it grants `increment` bytes per PAYMENT
// (or never, when told so) and countersigns; as a buyer it pays when stopped and, if asked,
// ahead of what it received to keep `window` of credit.
class TestEngine final : public PeerEvents {
public:
    struct Policy {
        bool grants = true;   // seller: grant on each payment
        bool payAhead = false; // buyer: keep the window paid ahead, not only pay when stopped
        bool rejectPayments = false; // seller: treat every payment as forged and disconnect
        std::chrono::milliseconds answerDelay{0}; // seller: time to "store" each payment before answering
    };

    explicit TestEngine(Policy policy) : policy_(policy) {}
    ~TestEngine() override { worker_.stop(); }

    void setControl(std::shared_ptr<PeerControl> control) { control_ = std::move(control); }
    void stop() { worker_.stop(); }

    void onPeerJoined(const PeerInfo& peer) override
    {
        {
            std::lock_guard lock(mutex_);
            counters_[peer.key] = peer.counters;
            ++joined_;
        }
        worker_.post([this, peer] {
            peers_[peer.key] = peer;
            if (peer.remote.pricePerMiB && policy_.payAhead) payAhead(peer.key);
        });
    }

    void onMessage(PeerKey key, Message message) override
    {
        worker_.post([this, key, message = std::move(message)] {
            if (const auto* payment = std::get_if<Payment>(&message)) {
                ++paymentsReceived_;
                if (policy_.rejectPayments) {
                    control_->disconnect(key, PeerErrorCode::invalid_signature,
                                         makeError(WireError::rejected, "payment signature does not recover to the payer"));
                    return;
                }
                if (!policy_.grants) return;
                if (policy_.answerDelay.count() > 0) std::this_thread::sleep_for(policy_.answerDelay);
                granted_ += kIncrement; // counted before the grant is even queued
                control_->grantCredit(key, kIncrement);
                (void)control_->send(key, Countersignature{payment->channel, turnOf(payment->state), {}});
            } else if (const auto* stop = std::get_if<Stop>(&message)) {
                ++stopsReceived_;
                if (stop->reason == StopReason::payment_needed) pay(key);
            } else if (std::holds_alternative<Start>(message)) {
                ++startsReceived_;
            } else if (const auto* error = std::get_if<ErrorMessage>(&message)) {
                lastErrorCode_ = error->code;
                ++errorsReceived_;
            } else if (std::holds_alternative<Countersignature>(message)) {
                ++countersignaturesReceived_;
                if (policy_.payAhead) payAhead(key);
            }
        });
    }

    void onCreditExhausted(PeerKey, std::uint64_t) override { ++exhausted_; }

    void onPayloadReceived(PeerKey key, std::uint64_t totalBytes) override
    {
        std::uint64_t none = 0;
        firstNotice_.compare_exchange_strong(none, totalBytes);
        ++notices_;
        if (policy_.payAhead) worker_.post([this, key] { payAhead(key); });
    }

    void onPaymentReleased(PeerKey, std::uint64_t) override { ++released_; }

    void onPeerError(PeerKey, const Error& error) override
    {
        std::lock_guard lock(mutex_);
        errors_.push_back(error);
    }

    void onPeerLeft(PeerKey, const PeerCountersSnapshot&) override { ++left_; }

    // Test thread.
    std::vector<std::shared_ptr<const PeerCounters>> counters() const
    {
        std::lock_guard lock(mutex_);
        std::vector<std::shared_ptr<const PeerCounters>> out;
        for (const auto& [key, c] : counters_) out.push_back(c);
        return out;
    }
    std::vector<Error> errors() const
    {
        std::lock_guard lock(mutex_);
        return errors_;
    }
    int joined() const
    {
        std::lock_guard lock(mutex_);
        return joined_;
    }

    std::atomic<std::uint64_t> granted_{0};
    std::atomic<int> paymentsReceived_{0};
    std::atomic<int> paymentsSent_{0};
    std::atomic<int> stopsReceived_{0};
    std::atomic<int> startsReceived_{0};
    std::atomic<int> countersignaturesReceived_{0};
    std::atomic<int> exhausted_{0};
    std::atomic<int> left_{0};
    std::atomic<int> released_{0};
    std::atomic<std::uint64_t> firstNotice_{0}; // totalBytes of the first onPayloadReceived
    std::atomic<int> notices_{0};
    std::atomic<int> errorsReceived_{0};
    std::atomic<std::uint32_t> lastErrorCode_{0};

private:
    static std::uint64_t turnOf(const Bytes& state) { return state.empty() ? 0 : state.back(); }

    // Worker thread only.
    void pay(PeerKey key)
    {
        const std::uint64_t turn = ++turns_[key];
        Bytes state = {'p', 'a', 'y', static_cast<std::uint8_t>(turn & 0xff)};
        paid_[key] += kIncrement;
        ++paymentsSent_;
        (void)control_->send(key, Payment{filled<32>(0xcc), state, {}});
    }
    void payAhead(PeerKey key)
    {
        auto it = peers_.find(key);
        if (it == peers_.end()) return;
        const std::uint64_t received = it->second.counters->payloadReceived.load();
        while (paid_[key] < received + kWindow) pay(key);
    }

    const Policy policy_;
    std::shared_ptr<PeerControl> control_;
    Worker worker_;
    std::map<PeerKey, PeerInfo> peers_;       // worker thread
    std::map<PeerKey, std::uint64_t> paid_;   // worker thread
    std::map<PeerKey, std::uint64_t> turns_;  // worker thread

    mutable std::mutex mutex_;
    std::map<PeerKey, std::shared_ptr<const PeerCounters>> counters_;
    std::vector<Error> errors_;
    int joined_ = 0;
};

lt::settings_pack loopbackSettings()
{
    lt::settings_pack s;
    s.set_str(lt::settings_pack::listen_interfaces, "127.0.0.1:0");
    s.set_bool(lt::settings_pack::enable_dht, false);
    s.set_bool(lt::settings_pack::enable_lsd, false);
    s.set_bool(lt::settings_pack::enable_upnp, false);
    s.set_bool(lt::settings_pack::enable_natpmp, false);
    s.set_bool(lt::settings_pack::enable_outgoing_utp, false);
    s.set_bool(lt::settings_pack::enable_incoming_utp, false);
    s.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
    s.set_int(lt::settings_pack::alert_mask, lt::alert_category::error);
    return s;
}

// A node: a session, optionally with the extension and a test engine.
struct Node {
    std::shared_ptr<TestEngine> engine;
    std::shared_ptr<PaidStreaming> extension;
    std::unique_ptr<lt::session> session;

    Node(bool withExtension, bool seller, TestEngine::Policy policy, std::uint8_t who)
    {
        lt::settings_pack settings = loopbackSettings();
        if (seller) applyPaidSellerSettings(settings);
        lt::session_params params(std::move(settings));
        if (withExtension) {
            engine = std::make_shared<TestEngine>(policy);
            auto created = PaidStreaming::create(nodeTerms(who), engine);
            EXPECT_TRUE(created) << created.error().describe();
            extension = *created;
            engine->setControl(extension);
            params.extensions.push_back(extension->sessionPlugin());
        }
        session = std::make_unique<lt::session>(std::move(params));
    }
    ~Node()
    {
        // The engine first, so it does not act while the session shuts down.
        if (engine) engine->stop();
        session.reset();
    }

    int port() const
    {
        waitFor([&] { return session->listen_port() != 0; }, 5s);
        return session->listen_port();
    }
};

class PaidStreamingLoopback : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::mt19937 rng(99);
        std::vector<char> data(kFileBytes);
        for (auto& c : data) c = static_cast<char>(rng());
        std::filesystem::create_directories(seedDir());
        std::ofstream(seedDir() / "payload.bin", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));

        lt::file_storage fs;
        lt::add_files(fs, (seedDir() / "payload.bin").string());
        lt::create_torrent ct(fs, kPieceBytes, lt::create_torrent::v1_only);
        lt::set_piece_hashes(ct, seedDir().string());
        std::vector<char> encoded;
        lt::bencode(std::back_inserter(encoded), ct.generate());
        info_ = std::make_shared<lt::torrent_info>(encoded, lt::from_span);
        key_ = infoHashKey(info_->info_hashes());
    }

    std::filesystem::path seedDir() const { return dir_.path() / "seed"; }
    std::filesystem::path leechDir() const { return dir_.path() / "leech"; }

    lt::torrent_handle addSeed(Node& node)
    {
        lt::add_torrent_params p;
        p.ti = std::make_shared<lt::torrent_info>(*info_);
        p.save_path = seedDir().string();
        lt::torrent_handle h = node.session->add_torrent(std::move(p));
        EXPECT_TRUE(waitFor([&] { return h.status().state == lt::torrent_status::seeding; }, 10s));
        return h;
    }

    // The seller sells the torrent at 1000 wei per MiB, the buyer buys it, and the buyer
    // dials the seller: {seed, leech}.
    std::pair<lt::torrent_handle, lt::torrent_handle> startPaidTorrent(Node& seller, Node& buyer)
    {
        seller.extension->setTorrent(key_, Wei(std::uint64_t{1000}));
        buyer.extension->setTorrent(key_, std::nullopt);
        auto seed = addSeed(seller);
        return {seed, addLeech(buyer, seller.port())};
    }

    // The torrent on a buying node, taking incoming peers at once; returns the node's port.
    int addIncomingLeech(Node& node)
    {
        node.extension->setTorrent(key_, std::nullopt);
        lt::add_torrent_params p;
        p.ti = std::make_shared<lt::torrent_info>(*info_);
        p.save_path = leechDir().string();
        p.flags &= ~(lt::torrent_flags::paused | lt::torrent_flags::auto_managed);
        lt::torrent_handle h = node.session->add_torrent(std::move(p));
        EXPECT_TRUE(waitFor([&] { return h.status().state == lt::torrent_status::downloading; }, 10s));
        return node.port();
    }

    lt::torrent_handle addLeech(Node& node, int seedPort)
    {
        lt::add_torrent_params p;
        p.ti = std::make_shared<lt::torrent_info>(*info_);
        p.save_path = leechDir().string();
        lt::torrent_handle h = node.session->add_torrent(std::move(p));
        EXPECT_TRUE(waitFor([&] { return h.status().state == lt::torrent_status::downloading; }, 10s));
        h.connect_peer(lt::tcp::endpoint(lt::make_address("127.0.0.1"), static_cast<std::uint16_t>(seedPort)));
        return h;
    }

    bool sameFiles() const
    {
        std::ifstream a(seedDir() / "payload.bin", std::ios::binary), b(leechDir() / "payload.bin", std::ios::binary);
        const std::string x((std::istreambuf_iterator<char>(a)), {}), y((std::istreambuf_iterator<char>(b)), {});
        return x.size() == kFileBytes && x == y;
    }

    pt::test::TempDir dir_{"pt-ext-loopback"};
    std::shared_ptr<lt::torrent_info> info_;
    InfoHashBytes key_;
};

// The seller never sends a byte that is not covered by granted credit: checked at every
// sample during the transfer against the plugin's counters, and at the end against
// libtorrent's own upload count and the test engine's total of grants.
//
// The seller advertises a request queue ("reqq") that its credit window covers; libtorrent
// keeps that many requests outstanding and no more (it would otherwise keep 2,000, and each
// STOP would refuse them all). Checked at every sample on the buyer's counters.
void runPaidDownload(Node& seller, Node& buyer, lt::torrent_handle seed, lt::torrent_handle leech)
{
    bool invariantHeld = true;
    std::uint64_t mostOutstanding = 0;
    const bool finished = waitFor(
        [&] {
            for (const auto& c : buyer.engine->counters()) {
                const std::uint64_t requested = c->bytesRequested.load();
                const std::uint64_t done = c->payloadReceived.load() + c->bytesRejected.load();
                if (requested > done) mostOutstanding = std::max(mostOutstanding, requested - done);
            }
            for (const auto& c : seller.engine->counters())
                if (c->payloadSent.load() > c->creditGranted.load()) invariantHeld = false;
            if (static_cast<std::uint64_t>(seed.status().total_payload_upload) > seller.engine->granted_.load())
                invariantHeld = false;
            return leech.status().is_seeding;
        },
        20s);
    EXPECT_TRUE(finished) << "downloaded " << leech.status().total_wanted_done << " of " << kFileBytes;
    EXPECT_TRUE(invariantHeld);
    EXPECT_GT(mostOutstanding, 0u);
    EXPECT_LE(mostOutstanding, paidRequestQueue(kWindow, kIncrement) * 16 * 1024);
    EXPECT_LE(static_cast<std::uint64_t>(seed.status().total_payload_upload), seller.engine->granted_.load());
    EXPECT_GE(seller.engine->granted_.load(), kFileBytes);
    // Every charged request was either sent or refunded: no credit leaks either way.
    for (const auto& c : seller.engine->counters())
        EXPECT_TRUE(waitFor([&] { return c->creditCharged.load() == c->payloadSent.load(); }, 2s))
            << "charged " << c->creditCharged.load() << ", sent " << c->payloadSent.load();
    EXPECT_GT(seller.engine->paymentsReceived_.load(), 0);
    // Not every payment arrives: one sent as the last block arrived can find the connection
    // already closed (two seeds disconnect), and a send to a gone peer is dropped.
    EXPECT_LE(seller.engine->paymentsReceived_.load(), buyer.engine->paymentsSent_.load());
    EXPECT_TRUE(seller.engine->errors().empty());
    EXPECT_TRUE(buyer.engine->errors().empty());
}

TEST_F(PaidStreamingLoopback, PaidDownloadCompletesWhenPayingOnStop)
{
    Node seller(true, true, {.grants = true}, 0x51);
    Node buyer(true, false, {.payAhead = false}, 0xb1);
    auto [seed, leech] = startPaidTorrent(seller, buyer);

    runPaidDownload(seller, buyer, seed, leech);
    EXPECT_TRUE(sameFiles());
    // Paying only when stopped: each increment ran out, so the buyer saw STOPs and STARTs.
    EXPECT_GT(buyer.engine->stopsReceived_.load(), 1);
    EXPECT_GT(buyer.engine->startsReceived_.load(), 0);
    EXPECT_GT(seller.engine->exhausted_.load(), 0);
    // Each STOP refuses at most the advertised queue (what the buyer had outstanding), not
    // the thousands a buyer without the limit re-requests after every START.
    const auto counters = seller.engine->counters();
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_LE(counters[0]->requestsRefused.load(),
              static_cast<std::uint64_t>(buyer.engine->stopsReceived_.load()) * paidRequestQueue(kWindow, kIncrement));
    // A request that finds no credit while paid blocks are still going out is held until the
    // payment lands, not refused with a choke: some were, and the download still completed
    // with every charged request served or refunded (runPaidDownload checked both).
    EXPECT_GT(counters[0]->requestsHeld.load(), 0u);
}

// The seller's engine takes 60 ms to answer each payment (a slow disk), so the paid blocks
// always run out first. A buyer paying ahead has a payment waiting for its answer then: the
// requests the credit does not cover are held until the grant, not refused with a choke
// (which would make the buyer's libtorrent drop its queue and wait for an unchoke), and
// without a STOP: the buyer has paid already.
TEST_F(PaidStreamingLoopback, RequestsWaitForAPaymentBeingStoredWithoutAChoke)
{
    Node seller(true, true, {.grants = true, .answerDelay = 60ms}, 0x59);
    Node buyer(true, false, {.payAhead = true}, 0xb9);
    auto [seed, leech] = startPaidTorrent(seller, buyer);
    // Requests that came before any payment are refused (there was nothing to wait for).
    ASSERT_TRUE(waitFor([&] { return seller.engine->granted_.load() > 0; }, 10s));
    const auto counters = seller.engine->counters();
    ASSERT_EQ(counters.size(), 1u);
    const std::uint64_t refusedBeforeFirstGrant = counters[0]->requestsRefused.load();

    runPaidDownload(seller, buyer, seed, leech);
    EXPECT_TRUE(sameFiles());
    EXPECT_GT(counters[0]->requestsHeld.load(), 0u) << "the credit ran out while payments were being stored";
    EXPECT_EQ(counters[0]->requestsRefused.load(), refusedBeforeFirstGrant) << "held requests refused with a choke";
    // A payment was always on its way when requests were held, so the buyer was not told to
    // pay: the only STOP is the one on joining, with no credit (and one START ended it).
    EXPECT_EQ(buyer.engine->stopsReceived_.load(), 1);
    EXPECT_EQ(buyer.engine->startsReceived_.load(), 1);
}

TEST_F(PaidStreamingLoopback, PaidDownloadCompletesWhenPayingAhead)
{
    Node seller(true, true, {.grants = true}, 0x52);
    Node buyer(true, false, {.payAhead = true}, 0xb2);
    auto [seed, leech] = startPaidTorrent(seller, buyer);

    runPaidDownload(seller, buyer, seed, leech);
    EXPECT_TRUE(sameFiles());
    EXPECT_GT(buyer.engine->countersignaturesReceived_.load(), 0);
    // The buyer's engine hears of the first block at once, then every receivedNotifyBytes
    // (64 KiB by default): one notice per step, not one per block.
    constexpr std::uint64_t block = 16 * 1024;
    constexpr std::uint64_t step = PaidStreamingOptions{}.receivedNotifyBytes;
    // (The short last block may come first, so the steps need not fall on block edges.)
    EXPECT_GT(buyer.engine->firstNotice_.load(), 0u);
    EXPECT_LE(buyer.engine->firstNotice_.load(), block);
    const auto notices = static_cast<std::uint64_t>(buyer.engine->notices_.load());
    EXPECT_LE(notices, 1 + kFileBytes / step);
    EXPECT_GE(notices, kFileBytes / (step + block));
}

// Peers on loopback sit in libtorrent's local peer class, which ignores unchoke slots. Map
// them to the global class so that the session's choker takes part, as it does for peers
// on the Internet: the gate still holds and the download still completes.
TEST_F(PaidStreamingLoopback, PaidDownloadCompletesUnderTheRealChoker)
{
    Node seller(true, true, {.grants = true}, 0x57);
    Node buyer(true, false, {.payAhead = true}, 0xb7);
    for (Node* node : {&seller, &buyer}) {
        lt::ip_filter everyone;
        everyone.add_rule(lt::make_address("0.0.0.0"), lt::make_address("255.255.255.255"),
                          1u << static_cast<std::uint32_t>(lt::session::global_peer_class_id));
        node->session->set_peer_class_filter(everyone);
    }
    auto [seed, leech] = startPaidTorrent(seller, buyer);

    runPaidDownload(seller, buyer, seed, leech);
    EXPECT_TRUE(sameFiles());
}

// The engine refuses a payment (say, a forged signature): the buyer is told why, gets no
// data, and is disconnected.
TEST_F(PaidStreamingLoopback, EngineRejectionSendsErrorAndDisconnects)
{
    Node seller(true, true, {.grants = true, .rejectPayments = true}, 0x58);
    Node buyer(true, false, {.payAhead = false}, 0xb8);
    auto [seed, leech] = startPaidTorrent(seller, buyer);

    ASSERT_TRUE(waitFor([&] { return buyer.engine->errorsReceived_.load() == 1; }, 5s));
    EXPECT_EQ(buyer.engine->lastErrorCode_.load(), static_cast<std::uint32_t>(PeerErrorCode::invalid_signature));
    EXPECT_TRUE(waitFor([&] { return seller.engine->left_.load() == 1 && buyer.engine->left_.load() == 1; }, 5s));
    EXPECT_EQ(leech.status().total_payload_download, 0);
    EXPECT_EQ(seed.status().total_payload_upload, 0);

    // A message that cannot be encoded within its limits is refused at once.
    EXPECT_FALSE(seller.extension->send(PeerKey{1}, Payment{{}, Bytes(max_state_bytes + 1, 1), {}}));
}

TEST_F(PaidStreamingLoopback, SellerThatNeverGrantsSendsNothingAndNoRejectStorm)
{
    Node seller(true, true, {.grants = false}, 0x53);
    Node buyer(true, false, {.payAhead = false}, 0xb3);
    auto [seed, leech] = startPaidTorrent(seller, buyer);

    ASSERT_TRUE(waitFor([&] { return seller.engine->joined() == 1 && buyer.engine->paymentsSent_.load() > 0; }, 5s));
    std::this_thread::sleep_for(1000ms);
    const auto counters = seller.engine->counters();
    ASSERT_EQ(counters.size(), 1u);
    const std::uint64_t refusedEarly = counters[0]->requestsRefused.load() + counters[0]->rejectsSent.load();
    std::this_thread::sleep_for(1000ms);
    const std::uint64_t refusedLate = counters[0]->requestsRefused.load() + counters[0]->rejectsSent.load();

    EXPECT_EQ(leech.status().total_payload_download, 0);
    EXPECT_EQ(seed.status().total_payload_upload, 0);
    EXPECT_EQ(counters[0]->payloadSent.load(), 0u);
    EXPECT_EQ(counters[0]->creditGranted.load(), 0u);
    // A storm is tens of thousands of rejects a second; a choked buyer makes a handful
    // (those in flight before the choke arrived), and then none.
    EXPECT_LT(refusedLate, 200u);
    EXPECT_LE(refusedLate - refusedEarly, 4u);
    EXPECT_TRUE(waitFor([&] { return seller.engine->paymentsReceived_.load() == buyer.engine->paymentsSent_.load(); }, 2s));
}

TEST_F(PaidStreamingLoopback, StockClientGetsNothingFromAPaidSeller)
{
    Node seller(true, true, {.grants = true}, 0x54);
    Node stock(false, false, {}, 0);
    seller.extension->setTorrent(key_, Wei(std::uint64_t{1000}));
    auto seed = addSeed(seller);
    auto leech = addLeech(stock, seller.port());

    ASSERT_TRUE(waitFor([&] { return leech.status().num_peers > 0; }, 5s));
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(leech.status().total_payload_download, 0);
    EXPECT_EQ(seed.status().total_payload_upload, 0);
    EXPECT_EQ(seller.engine->joined(), 0); // a stock peer never reaches the engine
}

TEST_F(PaidStreamingLoopback, FreeTorrentTransfersToAStockClient)
{
    Node seeder(true, false, {}, 0x55);
    Node stock(false, false, {}, 0);
    seeder.extension->setTorrent(key_, std::nullopt); // declared, but without a price
    auto seed = addSeed(seeder);
    auto leech = addLeech(stock, seeder.port());

    EXPECT_TRUE(waitFor([&] { return leech.status().is_seeding; }, 20s));
    EXPECT_TRUE(sameFiles());
}

// ---- A hostile peer speaking raw BitTorrent over a socket ----

class RawPeer {
public:
    // A receive buffer of `receiveBuffer` bytes (0: the system's), set before connecting so
    // that the window it advertises stays that small while the test does not read.
    explicit RawPeer(int port, int receiveBuffer = 0)
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (receiveBuffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~RawPeer() { ::close(fd_); }
    RawPeer(const RawPeer&) = delete;
    RawPeer& operator=(const RawPeer&) = delete;

    bool connected() const { return connected_; }

    void send(const std::string& bytes)
    {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return;
            done += static_cast<std::size_t>(n);
        }
    }

    // Exactly n bytes, or nothing at EOF or the deadline.
    std::optional<std::string> read(std::size_t n, std::chrono::steady_clock::time_point deadline)
    {
        std::string out;
        while (out.size() < n) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char buf[4096];
            const ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
            if (got <= 0) {
                eof_ = true;
                return std::nullopt;
            }
            out.append(buf, static_cast<std::size_t>(got));
        }
        return out;
    }

    // One BitTorrent message (id + payload; empty for a keep-alive).
    std::optional<std::string> readMessage(std::chrono::steady_clock::time_point deadline)
    {
        auto len = read(4, deadline);
        if (!len) return std::nullopt;
        const auto* p = reinterpret_cast<const unsigned char*>(len->data());
        const std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
        if (n > (1u << 20)) return std::nullopt;
        return read(n, deadline);
    }

    bool eof() const { return eof_; }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
};

std::string frame(std::uint8_t id, const std::string& payload)
{
    const auto n = static_cast<std::uint32_t>(payload.size() + 1);
    std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                       static_cast<char>(n), static_cast<char>(id)};
    return out + payload;
}

std::string asString(const Bytes& b)
{
    return {b.begin(), b.end()};
}

std::string uint32Bytes(std::uint32_t v)
{
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A BitTorrent REQUEST (id 6) for one 16 KiB block.
std::string requestFrame(int piece, int block)
{
    return frame(6, uint32Bytes(static_cast<std::uint32_t>(piece)) + uint32Bytes(static_cast<std::uint32_t>(block * 16 * 1024)) +
                        uint32Bytes(16 * 1024));
}

// Our id for the extension's messages when we are the raw peer.
constexpr int raw_peer_message_id = 3;

// The raw peer's BitTorrent handshake (with the BEP 10 and BEP 6 bits) and extension
// handshake with `terms` (a price in them: the raw peer sells).
void handshake(RawPeer& peer, const lt::sha1_hash& v1, const Terms& terms, std::chrono::steady_clock::time_point deadline)
{
    std::string reserved(8, '\0');
    reserved[5] = 0x10;
    reserved[7] = 0x04;
    peer.send(std::string("\x13" "BitTorrent protocol") + reserved + std::string(v1.data(), v1.size()) +
              "-XX0001-hostile-peer");
    ASSERT_TRUE(peer.read(68, deadline));
    lt::entry handshake;
    handshake["m"]["pt_paid"] = raw_peer_message_id;
    const Bytes encodedTerms = *encodeTerms(terms);
    lt::error_code ec;
    handshake["pt_terms"] =
        lt::bdecode({reinterpret_cast<const char*>(encodedTerms.data()), static_cast<long>(encodedTerms.size())}, ec);
    std::string encoded;
    lt::bencode(std::back_inserter(encoded), handshake);
    peer.send(frame(20, std::string(1, '\0') + encoded));
}

// As a buyer (terms without a price), until the seller's engine sees it join.
void joinAsBuyer(RawPeer& peer, Node& seller, const lt::sha1_hash& v1, std::chrono::steady_clock::time_point deadline)
{
    ASSERT_NO_FATAL_FAILURE(handshake(peer, v1, nodeTerms(0xee), deadline));
    ASSERT_TRUE(waitFor([&] { return seller.engine->joined() == 1; }, 5s));
}

// As a seller (terms with a price) to `buyer`, which pays its window ahead as the raw peer
// joins: four payments of an increment.
void joinAsSeller(RawPeer& peer, Node& buyer, const lt::sha1_hash& v1, std::chrono::steady_clock::time_point deadline)
{
    ASSERT_TRUE(peer.connected());
    Terms selling = nodeTerms(0xee);
    selling.pricePerMiB = Wei(std::uint64_t{1000});
    ASSERT_NO_FATAL_FAILURE(handshake(peer, v1, selling, deadline));
    ASSERT_TRUE(waitFor([&] { return buyer.engine->joined() == 1; }, 5s));
    peer.send(frame(0x0e, "")); // BEP 6 have-all
    ASSERT_TRUE(waitFor([&] { return buyer.engine->paymentsSent_.load() == static_cast<int>(kWindow / kIncrement); }, 5s));
}

// Our extension message, as the raw peer sends it.
std::string extensionFrame(const Message& m)
{
    return frame(20, std::string(1, static_cast<char>(local_message_id)) + asString(*encodeMessage(m)));
}

// The wire view of holding (docs/protocol.md, section 4). A buyer whose payment is still
// being answered is sent nothing for the requests the seller holds, up to the queue it
// advertised (reqq): no STOP, it has paid already. A request beyond them is refused (choke,
// reject) with STOP, payment pending or not. The seller's engine answers each payment after
// 3 s, so the second payment stays unanswered while we look.
TEST_F(PaidStreamingLoopback, HeldRequestsGetNoStopWhileAPaymentAwaitsItsAnswer)
{
    Node seller(true, true, {.grants = true, .answerDelay = 3s}, 0x5a);
    seller.extension->setTorrent(key_, Wei(std::uint64_t{1000}));
    addSeed(seller);
    RawPeer peer(seller.port());
    ASSERT_TRUE(peer.connected());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    ASSERT_NO_FATAL_FAILURE(joinAsBuyer(peer, seller, info_->info_hashes().v1, deadline));
    constexpr std::uint8_t choke = 0, unchoke = 1, interested = 2, piece = 7, reject = 16, extended = 20;
    // Whether a BitTorrent message is our extension's message of type T.
    const auto is = []<typename T>(const std::string& m, T*) {
        if (m.size() < 2 || static_cast<std::uint8_t>(m[0]) != extended || m[1] != raw_peer_message_id) return false;
        auto decoded = decodeMessage(Bytes(m.begin() + 2, m.end()));
        return decoded && std::holds_alternative<T>(*decoded);
    };
    const auto isStop = [&](const std::string& m) { return is(m, static_cast<Stop*>(nullptr)); };
    const auto isStart = [&](const std::string& m) { return is(m, static_cast<Start*>(nullptr)); };

    // The first payment buys one increment (16 blocks): START and an unchoke.
    peer.send(frame(interested, ""));
    peer.send(extensionFrame(Payment{filled<32>(0xcc), Bytes{'p', 'a', 'y', 1}, {}}));
    bool started = false, unchoked = false;
    while (!(started && unchoked)) {
        auto m = peer.readMessage(deadline);
        ASSERT_TRUE(m) << "no START and unchoke after the first payment";
        if (m->empty()) continue;
        started |= isStart(*m);
        if (static_cast<std::uint8_t>((*m)[0]) == unchoke) unchoked = true;
        if (static_cast<std::uint8_t>((*m)[0]) == choke) unchoked = false;
    }
    const int blocksPerPiece = kPieceBytes / (16 * 1024);
    for (int b = 0; b < blocksPerPiece; ++b) peer.send(requestFrame(0, b));
    for (int pieces = 0; pieces < blocksPerPiece;) {
        auto m = peer.readMessage(deadline);
        ASSERT_TRUE(m) << "only " << pieces << " of the paid blocks arrived";
        if (!m->empty() && static_cast<std::uint8_t>((*m)[0]) == piece) ++pieces;
    }

    // The second payment is on its way; reqq requests more are held, three beyond are refused.
    const std::uint64_t reqq = paidRequestQueue(kWindow, kIncrement);
    peer.send(extensionFrame(Payment{filled<32>(0xcc), Bytes{'p', 'a', 'y', 2}, {}}));
    for (std::uint64_t i = 0; i < reqq + 3; ++i)
        peer.send(requestFrame(1 + static_cast<int>(i) / blocksPerPiece, static_cast<int>(i) % blocksPerPiece));
    int rejects = 0, stops = 0, pieces = 0, rejectsBeforeStop = -1;
    const auto look = std::chrono::steady_clock::now() + 1s; // well before the 3 s answer
    while (auto m = peer.readMessage(look)) {
        if (m->empty()) continue;
        const auto id = static_cast<std::uint8_t>((*m)[0]);
        if (id == reject) ++rejects;
        if (id == piece) ++pieces;
        if (isStop(*m) && stops++ == 0) rejectsBeforeStop = rejects;
    }
    EXPECT_EQ(pieces, 0) << "nothing unpaid is served";
    EXPECT_EQ(rejects, 3) << "the requests beyond reqq are refused, the others held";
    EXPECT_EQ(stops, 1);
    EXPECT_GT(rejectsBeforeStop, 0) << "the STOP came with a refusal, not with a held request";
    const auto counters = seller.engine->counters();
    ASSERT_EQ(counters.size(), 1u);
    EXPECT_EQ(counters[0]->requestsHeld.load(), reqq);
}

// A seller cannot make a buyer pay by sending blocks it was not asked for: libtorrent hands
// them to the plugin before it finds them unwanted, and they used to count as received, so
// the payments armed for them fell due. Only the blocks the buyer requested count; here the
// raw peer, a seller, first sends twenty blocks of the file unasked (libtorrent even keeps
// them), then unchokes and answers one of the buyer's requests.
TEST_F(PaidStreamingLoopback, UnrequestedBlocksAreNotCountedAsReceived)
{
    Node buyer(true, false, {.payAhead = true}, 0xbc);
    RawPeer peer(addIncomingLeech(buyer));
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    ASSERT_NO_FATAL_FAILURE(joinAsSeller(peer, buyer, info_->info_hashes().v1, deadline));
    constexpr std::uint8_t unchoke = 1, request = 6, piece = 7;
    const int windowPayments = static_cast<int>(kWindow / kIncrement);

    std::ifstream in(seedDir() / "payload.bin", std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), {});
    // The PIECE message for `length` bytes at `offset` in piece `index`, with the file's data.
    const auto pieceFrame = [&](std::uint32_t index, std::uint32_t offset, std::uint32_t length) {
        return frame(piece, uint32Bytes(index) + uint32Bytes(offset) +
                                file.substr(std::size_t{index} * kPieceBytes + offset, length));
    };
    constexpr std::uint32_t block = 16 * 1024;
    constexpr int unasked = 20;
    for (int i = 0; i < unasked; ++i) {
        const auto index = static_cast<std::uint32_t>(i) / (kPieceBytes / block);
        peer.send(pieceFrame(index, static_cast<std::uint32_t>(i) % (kPieceBytes / block) * block, block));
    }
    const auto counters = buyer.engine->counters();
    ASSERT_EQ(counters.size(), 1u);
    ASSERT_TRUE(waitFor([&] { return counters[0]->bytesUnrequested.load() == std::uint64_t{unasked} * block; }, 5s))
        << counters[0]->bytesUnrequested.load() << " bytes seen as unrequested";
    std::this_thread::sleep_for(300ms); // time for any payment they would have made due
    EXPECT_EQ(counters[0]->payloadReceived.load(), 0u);
    EXPECT_EQ(buyer.engine->paymentsSent_.load(), windowPayments);

    // A block it asked for counts.
    peer.send(frame(unchoke, ""));
    const auto uint32At = [](const std::string& m, std::size_t at) {
        const auto* p = reinterpret_cast<const unsigned char*>(m.data() + at);
        return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    };
    std::optional<std::string> asked;
    while (auto m = peer.readMessage(deadline)) {
        if (m->size() == 13 && static_cast<std::uint8_t>((*m)[0]) == request) {
            asked = *m;
            break;
        }
    }
    ASSERT_TRUE(asked) << "the buyer never asked for a block";
    const std::uint32_t length = uint32At(*asked, 9);
    peer.send(pieceFrame(uint32At(*asked, 1), uint32At(*asked, 5), length));
    EXPECT_TRUE(waitFor([&] { return counters[0]->payloadReceived.load() == length; }, 5s))
        << counters[0]->payloadReceived.load() << " bytes counted as received";
    EXPECT_EQ(counters[0]->bytesUnrequested.load(), std::uint64_t{unasked} * block);
}

// A seller that withdraws the extension in a later BEP 10 handshake (its id 0) while trading
// is a protocol violation: the buyer disconnects it and its engine hears that it left (the
// plugin used to detach quietly, leaving the engine with a peer that never left).
TEST_F(PaidStreamingLoopback, ASellerWithdrawingTheExtensionMidTradeIsDisconnected)
{
    Node buyer(true, false, {.payAhead = true}, 0xbd);
    RawPeer peer(addIncomingLeech(buyer));
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    ASSERT_NO_FATAL_FAILURE(joinAsSeller(peer, buyer, info_->info_hashes().v1, deadline));

    lt::entry withdrawn;
    withdrawn["m"]["pt_paid"] = 0;
    std::string encoded;
    lt::bencode(std::back_inserter(encoded), withdrawn);
    peer.send(frame(20, std::string(1, '\0') + encoded));

    while (peer.readMessage(deadline)) {
    }
    EXPECT_TRUE(peer.eof()) << "the buyer did not disconnect";
    EXPECT_TRUE(waitFor([&] { return buyer.engine->left_.load() == 1; }, 5s));
    const auto errors = buyer.engine->errors();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].code, make_error_code(WireError::protocol_violation)) << errors[0].describe();
}

// A buyer that cancels requests the seller had charged and not yet sent gets that credit
// back; a request held meanwhile (and its STOP) must then be served, not refused with a choke
// once the last paid block is out: a buyer whose whole window is paid would wait for ever.
// The raw buyer keeps its receive window tiny and does not read, so the seller's libtorrent
// still queues most of the paid requests when the cancels arrive.
TEST_F(PaidStreamingLoopback, CreditGivenBackByCancelsServesTheHeldRequests)
{
    Node seller(true, true, {.grants = true}, 0x5b);
    seller.extension->setTorrent(key_, Wei(std::uint64_t{1000}));
    addSeed(seller);
    RawPeer peer(seller.port(), 2048);
    ASSERT_TRUE(peer.connected());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    ASSERT_NO_FATAL_FAILURE(joinAsBuyer(peer, seller, info_->info_hashes().v1, deadline));
    constexpr std::uint8_t choke = 0, unchoke = 1, interested = 2, piece = 7, cancel = 8, reject = 16;
    const auto is = []<typename T>(const std::string& m, T*) {
        if (m.size() < 2 || static_cast<std::uint8_t>(m[0]) != 20 || m[1] != raw_peer_message_id) return false;
        auto decoded = decodeMessage(Bytes(m.begin() + 2, m.end()));
        return decoded && std::holds_alternative<T>(*decoded);
    };

    // Two payments: 32 blocks of credit.
    peer.send(frame(interested, ""));
    peer.send(extensionFrame(Payment{filled<32>(0xcc), Bytes{'p', 'a', 'y', 1}, {}}));
    peer.send(extensionFrame(Payment{filled<32>(0xcc), Bytes{'p', 'a', 'y', 2}, {}}));
    ASSERT_TRUE(waitFor([&] { return seller.engine->granted_.load() == 2 * kIncrement; }, 5s));
    bool unchoked = false;
    while (!unchoked) {
        auto m = peer.readMessage(deadline);
        ASSERT_TRUE(m) << "no unchoke after the payments";
        if (!m->empty() && static_cast<std::uint8_t>((*m)[0]) == unchoke) unchoked = true;
    }
    const auto counters = seller.engine->counters();
    ASSERT_EQ(counters.size(), 1u);

    // 32 requests use the credit up; a 33rd is held (STOP).
    const int blocksPerPiece = kPieceBytes / (16 * 1024);
    for (int i = 0; i < 32; ++i) peer.send(requestFrame(i / blocksPerPiece, i % blocksPerPiece));
    peer.send(requestFrame(2, 0));
    ASSERT_TRUE(waitFor([&] { return counters[0]->requestsHeld.load() == 1; }, 5s));
    // Cancel the last 28: those still queued are rejected and refunded.
    for (int i = 4; i < 32; ++i)
        peer.send(frame(cancel, uint32Bytes(static_cast<std::uint32_t>(i / blocksPerPiece)) +
                                    uint32Bytes(static_cast<std::uint32_t>(i % blocksPerPiece * 16 * 1024)) +
                                    uint32Bytes(16 * 1024)));
    ASSERT_TRUE(waitFor([&] { return counters[0]->creditCharged.load() <= 2 * kIncrement - kIncrement; }, 5s))
        << "only " << (2 * kIncrement - counters[0]->creditCharged.load()) / 1024
        << " KiB refunded: the seller had sent the blocks before the cancels came";

    // Now read everything: the blocks not cancelled, the rejects, and how the seller leaves
    // the connection once it is quiet.
    int pieces = 0, rejects = 0;
    bool choked = false, stopped = true; // STOPped when the 33rd request was held
    const auto quiet = std::chrono::steady_clock::now() + 2s;
    while (auto m = peer.readMessage(quiet)) {
        if (m->empty()) continue;
        const auto id = static_cast<std::uint8_t>((*m)[0]);
        if (id == piece) ++pieces;
        if (id == reject) ++rejects;
        if (id == choke) choked = true;
        if (id == unchoke) choked = false;
        if (is(*m, static_cast<Stop*>(nullptr))) stopped = true;
        if (is(*m, static_cast<Start*>(nullptr))) stopped = false;
    }
    EXPECT_GE(pieces, 4);
    EXPECT_GT(rejects, 0);
    EXPECT_FALSE(choked) << "choked with paid credit left";
    EXPECT_FALSE(stopped) << "left STOPped with paid credit left";
    EXPECT_EQ(counters[0]->requestsRefused.load(), 0u);
    EXPECT_GE(counters[0]->creditGranted.load() - counters[0]->creditCharged.load(), kIncrement);
}

struct HostileCase {
    const char* name;
    std::string payload;  // sent as our extension message to the seller
    WireError expected;
    PeerErrorCode code;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const HostileCase& c, std::ostream* os)
{
    *os << c.name;
}

class HostilePeer : public PaidStreamingLoopback, public ::testing::WithParamInterface<HostileCase> {};

TEST_P(HostilePeer, IsRejectedWithItsReasonAndDisconnected)
{
    const HostileCase& c = GetParam();
    Node seller(true, true, {.grants = true}, 0x56);
    seller.extension->setTorrent(key_, Wei(std::uint64_t{1000}));
    addSeed(seller);

    RawPeer peer(seller.port());
    ASSERT_TRUE(peer.connected());
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    ASSERT_NO_FATAL_FAILURE(joinAsBuyer(peer, seller, info_->info_hashes().v1, deadline));

    peer.send(frame(20, std::string(1, static_cast<char>(local_message_id)) + c.payload));

    // Read until the seller hangs up, collecting our extension messages.
    std::optional<ErrorMessage> errorMessage;
    bool stopSeen = false;
    while (auto m = peer.readMessage(deadline)) {
        if (m->size() < 2 || static_cast<unsigned char>((*m)[0]) != 20 || (*m)[1] != raw_peer_message_id) continue;
        auto decoded = decodeMessage(Bytes(m->begin() + 2, m->end()));
        ASSERT_TRUE(decoded) << decoded.error().describe();
        if (const auto* e = std::get_if<ErrorMessage>(&*decoded)) errorMessage = *e;
        if (std::holds_alternative<Stop>(*decoded)) stopSeen = true;
    }
    EXPECT_TRUE(peer.eof()) << "the seller did not disconnect";
    EXPECT_TRUE(stopSeen) << "a buyer without credit is told to pay";
    ASSERT_TRUE(errorMessage) << "no ERROR before the disconnect";
    EXPECT_EQ(errorMessage->code, static_cast<std::uint32_t>(c.code));

    ASSERT_TRUE(waitFor([&] { return !seller.engine->errors().empty(); }, 2s));
    const Error reported = seller.engine->errors().front();
    EXPECT_EQ(reported.code, make_error_code(c.expected)) << reported.describe();
    EXPECT_NE(reported.message.find("127.0.0.1"), std::string::npos) << "the error names the peer";
    EXPECT_TRUE(waitFor([&] { return seller.engine->left_.load() == 1; }, 2s));
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, HostilePeer,
    ::testing::Values(
        HostileCase{"garbage", "this is not bencode", WireError::not_bencoded, PeerErrorCode::malformed_message},
        HostileCase{"oversized", "d5:state" + std::to_string(9000) + ":" + std::string(9000, 'x') + "e",
                    WireError::too_large, PeerErrorCode::malformed_message},
        HostileCase{"unknown_type", "d4:typei42ee", WireError::unknown_message_type, PeerErrorCode::malformed_message},
        HostileCase{"short_channel",
                    "d7:channel3:abc3:sig65:" + std::string(65, 's') + "5:state1:s4:typei5ee",
                    WireError::wrong_length, PeerErrorCode::malformed_message},
        // A buyer (no price in its terms) may not send STOP: only sellers do.
        HostileCase{"stop_from_buyer", asString(*encodeMessage(Stop{StopReason::permanent})),
                    WireError::protocol_violation, PeerErrorCode::protocol_violation}),
    [](const ::testing::TestParamInfo<HostileCase>& param) { return std::string(param.param.name); });

} // namespace
