// The wallet benchmark: the crypto limit of this machine, then countersigned payments end to
// end in memory and with durable SQLite, each as a share of that limit.
#include "paytorrent/bench.hpp"
#include "bench_timing.hpp"
#include "scratch_dir.hpp"

#include "wallet/crypto/keccak.hpp"
#include "wallet/crypto/signer.hpp"
#include "wallet/nitro/payment_channel.hpp"
#include "wallet/store/store.hpp"

#include <sys/vfs.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace paytorrent {
namespace {

using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;
using namespace pt;
using namespace pt::nitro;

// Batches the durable pipeline keeps in flight at most (one per group of channels).
constexpr std::size_t pipeline_groups = 4;
// Cheap operations are timed in blocks, so that reading the clock does not weigh on them.
constexpr std::uint64_t cheap_block = 64;
// Each payment moves this much; deposits are large enough for any run to never run dry.
const Wei payment_amount{std::uint64_t{1'000'000'000}};                       // 1 gwei
const Wei channel_deposit{U256(1'000'000'000) * U256(1'000'000'000) * U256(1'000'000'000'000)}; // 10^30 wei

// Both ends of one channel, in one process: the keys, and each side's view of the channel.
struct Lane {
    PrivateKey beneficiary;
    PrivateKey payer;
    ChannelView beneficiaryView;
    ChannelView payerView;
};

Result<Lane> openLane(std::uint64_t nonce)
{
    auto beneficiary = PrivateKey::generate();
    auto payer = PrivateKey::generate();
    if (!beneficiary) return beneficiary.error();
    if (!payer) return payer.error();
    ChannelTerms terms;
    terms.chainId = 31337;
    terms.beneficiary = beneficiary->address();
    terms.payer = payer->address();
    terms.channelNonce = nonce;
    terms.challengeDuration = 300;
    terms.deposit = channel_deposit;
    auto initial = makeInitialState(terms);
    if (!initial) return initial.error();
    auto signedByPayer = addSignature(SignedState{*initial, {}}, *payer);
    if (!signedByPayer) return signedByPayer.error();
    auto signedByBoth = addSignature(*signedByPayer, *beneficiary);
    if (!signedByBoth) return signedByBoth.error();
    auto view = openChannel(terms, *signedByBoth);
    if (!view) return view.error();
    return Lane{*beneficiary, *payer, *view, *view};
}

// One batch of payments, one per channel of a contiguous range of lanes.
struct Batch {
    std::size_t first = 0; // index of the first lane
    std::vector<Proposal> proposals;
    std::vector<ChannelView> accepted; // the beneficiary's views after countersigning
    std::vector<Wei> amounts;
    // Set by the commit thread, under its lock.
    bool committed = false;
    Status commitStatus;
    [[nodiscard]] std::size_t size() const { return accepted.size(); }
};

// Where the beneficiary persists each countersigned state before acknowledging it.
class PaymentSink {
public:
    virtual ~PaymentSink() = default;
    // Records a new channel and its turn-0 state.
    virtual Status open(const std::vector<ChannelView>& views) = 0;
    // Persists batches together; returns when they are as durable as this sink makes them.
    virtual Status persist(const std::vector<const Batch*>& batches) = 0;
    [[nodiscard]] virtual std::uint64_t commits() const = 0;
    [[nodiscard]] virtual std::uint64_t committedPayments() const { return 0; }
    // Time spent writing rows and committing (fsync), for the report.
    [[nodiscard]] virtual double writeSeconds() const { return 0; }
    [[nodiscard]] virtual double commitSeconds() const { return 0; }
};

// The in-memory engine's store: the latest state per channel and a ledger.
class MemorySink final : public PaymentSink {
public:
    Status open(const std::vector<ChannelView>& views) override
    {
        for (const auto& v : views) latest_.insert_or_assign(v.id(), v.latest());
        return {};
    }
    Status persist(const std::vector<const Batch*>& batches) override
    {
        for (const Batch* batch : batches) {
            for (std::size_t i = 0; i < batch->size(); ++i) {
                const ChannelView& v = batch->accepted[i];
                latest_.insert_or_assign(v.id(), v.latest());
                ledger_.push_back({v.id(), v.turnNum(), batch->amounts[i]});
            }
        }
        return {};
    }
    [[nodiscard]] std::uint64_t commits() const override { return 0; }

private:
    struct Entry {
        ChannelId id;
        std::uint64_t turnNum;
        Wei amount;
    };
    std::unordered_map<ChannelId, SignedState> latest_;
    std::vector<Entry> ledger_;
};

// SQLite through the wallet's store: one transaction per persist() call (group commit); it
// returns after commit() has returned, i.e. after the fsync.
class SqliteSink final : public PaymentSink {
public:
    explicit SqliteSink(store::Store db) : db_(std::move(db)) {}

    Status open(const std::vector<ChannelView>& views) override
    {
        auto tx = db_.begin();
        if (!tx) return tx.error();
        for (const auto& v : views) {
            store::ChannelRecord record;
            record.id = v.id();
            record.fixed = v.state().fixed;
            record.role = store::ChannelRole::beneficiary;
            record.counterparty = v.payer();
            record.status = store::ChannelStatus::open;
            if (auto s = db_.putChannel(record); !s) return s;
            if (auto s = db_.appendSignedState(v.id(), v.latest()); !s) return s;
        }
        return tx->commit();
    }

    Status persist(const std::vector<const Batch*>& batches) override
    {
        const std::int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
        const auto start = Clock::now();
        auto tx = db_.begin();
        if (!tx) return tx.error();
        std::uint64_t payments = 0;
        for (const Batch* batch : batches) {
            for (std::size_t i = 0; i < batch->size(); ++i) {
                const ChannelView& v = batch->accepted[i];
                if (auto s = db_.appendSignedState(v.id(), v.latest()); !s) return s;
                store::PaymentRecord payment;
                payment.channelId = v.id();
                payment.turnNum = v.turnNum();
                payment.amount = batch->amounts[i];
                payment.direction = store::PaymentDirection::received;
                payment.timeMs = nowMs;
                if (auto s = db_.recordPayment(payment); !s) return s;
            }
            payments += batch->size();
        }
        const auto written = Clock::now();
        if (auto s = tx->commit(); !s) return s;
        ++commits_;
        committedPayments_ += payments;
        writeSeconds_ += Seconds(written - start).count();
        commitSeconds_ += Seconds(Clock::now() - written).count();
        return {};
    }
    [[nodiscard]] std::uint64_t commits() const override { return commits_; }
    [[nodiscard]] std::uint64_t committedPayments() const override { return committedPayments_; }
    [[nodiscard]] double writeSeconds() const override { return writeSeconds_; }
    [[nodiscard]] double commitSeconds() const override { return commitSeconds_; }

private:
    store::Store db_;
    std::uint64_t commits_ = 0;
    std::uint64_t committedPayments_ = 0;
    double writeSeconds_ = 0;
    double commitSeconds_ = 0;
};

// A thread that persists batches in the order they are submitted, into a sink it alone
// uses while it runs, so that signing the next batches overlaps this batch's inserts and
// fsync. Batches that queue up while a commit runs go into the next transaction together:
// group commit that grows when the disk is the slower stage. A batch is acknowledged only
// once it is marked committed.
class CommitThread {
public:
    explicit CommitThread(PaymentSink& sink) : sink_(sink), thread_([this] { loop(); }) {}
    CommitThread(const CommitThread&) = delete;
    CommitThread& operator=(const CommitThread&) = delete;
    ~CommitThread()
    {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }

    void submit(Batch& batch)
    {
        {
            std::lock_guard lock(mutex_);
            batch.committed = false;
            queue_.push_back(&batch);
        }
        wake_.notify_all();
    }
    [[nodiscard]] bool isCommitted(const Batch& batch)
    {
        std::lock_guard lock(mutex_);
        return batch.committed;
    }
    // Waits until `batch` has been persisted; its status.
    Status wait(const Batch& batch)
    {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return batch.committed; });
        return batch.commitStatus;
    }

private:
    void loop()
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            const std::vector<Batch*> jobs(queue_.begin(), queue_.end());
            queue_.clear();
            lock.unlock();
            Status result = sink_.persist(std::vector<const Batch*>(jobs.begin(), jobs.end()));
            lock.lock();
            for (Batch* job : jobs) {
                job->commitStatus = result;
                job->committed = true;
            }
            wake_.notify_all();
        }
    }

    PaymentSink& sink_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Batch*> queue_;
    bool stop_ = false;
    std::thread thread_; // last: starts once the members above exist
};

// Channels paid round-robin, one payment per channel per batch: the shape of a seeder
// serving many peers, and what lets a batch share one commit. Every payment is acknowledged
// (its countersignature checked by the payer) only after its batch has been persisted.
//
// Sequential: sign a batch, persist it, acknowledge it, on one thread.
// Pipelined: the lanes form `pipeline_groups` groups, paid in turn; while the commit thread
// persists the batches of some groups, this thread signs the next group's. A group is signed
// again only after its last batch was persisted and acknowledged, so a lane never has more
// than one payment in flight. Several groups absorb the jitter of fsync.
class PaymentPipeline {
public:
    static Result<std::unique_ptr<PaymentPipeline>> create(std::unique_ptr<PaymentSink> sink, std::size_t batchSize,
                                                           bool pipelined)
    {
        std::unique_ptr<PaymentPipeline> p(new PaymentPipeline(std::move(sink), batchSize, pipelined));
        const std::size_t lanes = batchSize * (pipelined ? pipeline_groups : 1);
        std::vector<ChannelView> views;
        for (std::size_t i = 0; i < lanes; ++i) {
            auto lane = openLane(i + 1);
            if (!lane) return lane.error();
            views.push_back(lane->beneficiaryView);
            p->lanes_.push_back(std::move(*lane));
        }
        if (auto s = p->sink_->open(views); !s) return s.error();
        if (pipelined) p->committer_ = std::make_unique<CommitThread>(*p->sink_);
        return p;
    }

    // Pays until `limit` payments are acknowledged or `deadline` passes (then drains what
    // is in flight); returns how many were acknowledged.
    Result<std::uint64_t> run(std::uint64_t limit, Clock::time_point deadline)
    {
        return committer_ ? runPipelined(limit, deadline) : runSequential(limit, deadline);
    }

    [[nodiscard]] const PaymentSink& sink() const { return *sink_; }
    [[nodiscard]] std::size_t channels() const { return lanes_.size(); }

private:
    PaymentPipeline(std::unique_ptr<PaymentSink> sink, std::size_t batchSize, bool pipelined)
        : sink_(std::move(sink)), batchSize_(batchSize), batches_(pipelined ? pipeline_groups : 1)
    {
    }

    Result<std::uint64_t> runSequential(std::uint64_t limit, Clock::time_point deadline)
    {
        std::uint64_t done = 0;
        Batch& batch = batches_[0];
        while (done < limit && Clock::now() < deadline) {
            if (auto s = sign(batch, 0, nextCount(limit - done)); !s) return s.error();
            if (auto s = sink_->persist({&batch}); !s) return s.error();
            if (auto s = acknowledge(batch); !s) return s.error();
            done += batch.size();
        }
        return done;
    }

    Result<std::uint64_t> runPipelined(std::uint64_t limit, Clock::time_point deadline)
    {
        std::uint64_t done = 0;
        std::uint64_t inFlight = 0;
        std::deque<Batch*> pending; // submitted, not yet acknowledged, oldest first
        // Acknowledges the oldest pending batch once it is committed.
        auto acknowledgeOldest = [&]() -> Status {
            Batch& oldest = *pending.front();
            if (auto s = committer_->wait(oldest); !s) return s;
            if (auto s = acknowledge(oldest); !s) return s;
            pending.pop_front();
            inFlight -= oldest.size();
            done += oldest.size();
            return {};
        };
        // On an error, nothing may still be in the commit thread's hands when we return.
        auto drainAfter = [&](Error e) -> Error {
            for (Batch* b : pending) (void)committer_->wait(*b);
            return e;
        };
        std::size_t group = 0;
        while (done + inFlight < limit && Clock::now() < deadline) {
            // This group's previous batch is the oldest pending one when every group has one.
            if (pending.size() == batches_.size())
                if (auto s = acknowledgeOldest(); !s) return drainAfter(s.error());
            Batch& batch = batches_[group];
            if (auto s = sign(batch, group * batchSize_, nextCount(limit - done - inFlight)); !s)
                return drainAfter(s.error());
            committer_->submit(batch);
            pending.push_back(&batch);
            inFlight += batch.size();
            group = (group + 1) % batches_.size();
            while (!pending.empty() && committer_->isCommitted(*pending.front()))
                if (auto s = acknowledgeOldest(); !s) return drainAfter(s.error());
        }
        while (!pending.empty())
            if (auto s = acknowledgeOldest(); !s) return drainAfter(s.error());
        return done;
    }

    [[nodiscard]] std::size_t nextCount(std::uint64_t left) const
    {
        return static_cast<std::size_t>(std::min<std::uint64_t>(left, batchSize_));
    }

    // Payer signs, beneficiary validates and countersigns, for lanes [first, first + n).
    Status sign(Batch& batch, std::size_t first, std::size_t n)
    {
        batch.first = first;
        batch.proposals.clear();
        batch.accepted.clear();
        batch.amounts.clear();
        for (std::size_t i = first; i < first + n; ++i) {
            Lane& lane = lanes_[i];
            auto proposal = makePayment(lane.payerView, payment_amount, lane.payer);
            if (!proposal) return proposal.error();
            auto validated = validatePayment(lane.beneficiaryView, proposal->signedState());
            if (!validated) return validated.error();
            auto countersigned = countersign(*validated, lane.beneficiary);
            if (!countersigned) return countersigned.error();
            batch.amounts.push_back(validated->paid());
            batch.proposals.push_back(std::move(*proposal));
            batch.accepted.push_back(std::move(*countersigned));
        }
        return {};
    }

    // After the batch is persisted: the beneficiary's views move on, and the payer checks
    // each countersignature.
    Status acknowledge(Batch& batch)
    {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            Lane& lane = lanes_[batch.first + i];
            auto confirmed = verifyCountersigned(batch.proposals[i], batch.accepted[i].latest());
            if (!confirmed) return confirmed.error();
            lane.payerView = std::move(*confirmed);
            lane.beneficiaryView = std::move(batch.accepted[i]);
        }
        return {};
    }

    std::unique_ptr<PaymentSink> sink_;
    std::size_t batchSize_;
    std::vector<Lane> lanes_;
    std::vector<Batch> batches_;
    std::unique_ptr<CommitThread> committer_; // destroyed (joined) before the sink
};

std::string fileSystemName(const std::filesystem::path& dir)
{
    struct statfs fs {};
    if (::statfs(dir.c_str(), &fs) != 0) return "unknown";
    switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53UL: return "ext4";
    case 0x01021994UL: return "tmpfs";
    case 0x58465342UL: return "xfs";
    case 0x9123683EUL: return "btrfs";
    case 0x794C7630UL: return "overlayfs";
    case 0x2FC12FC1UL: return "zfs";
    case 0x6969UL: return "nfs";
    case 0xF2F52010UL: return "f2fs";
    default: break;
    }
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(fs.f_type));
    return hex;
}

double ratio(double rate, double limit) { return limit > 0 ? rate / limit : 0; }

} // namespace

Result<WalletBenchReport> runWalletBench(const WalletBenchOptions& options)
{
    WalletBenchReport report;
    const int rounds = std::max(1, options.rounds);
    const Seconds slice = Seconds(options.secondsPerMeasurement.count() / rounds);
    const auto perRound = static_cast<std::uint64_t>(rounds);
    const std::uint64_t sliceCap = options.maxCount ? (options.maxCount + perRound - 1) / perRound : 0;
    const std::size_t batchSize = std::max<std::size_t>(1, options.groupCommit);
    report.groupCommit = batchSize;

    auto scratch = ScratchDir::create(options.directory, "paytorrent-bench-");
    if (!scratch) return scratch.error();
    report.storageDirectory = scratch->path().string();
    report.storageFileSystem = fileSystemName(scratch->path());

    auto memory = PaymentPipeline::create(std::make_unique<MemorySink>(), batchSize, false);
    if (!memory) return memory.error();
    auto pipelinedDb = store::Store::open(scratch->path() / "pipelined.sqlite");
    if (!pipelinedDb) return pipelinedDb.error();
    auto durable = PaymentPipeline::create(std::make_unique<SqliteSink>(std::move(*pipelinedDb)), batchSize, true);
    if (!durable) return durable.error();
    auto inlineDb = store::Store::open(scratch->path() / "inline.sqlite");
    if (!inlineDb) return inlineDb.error();
    auto durableInline = PaymentPipeline::create(std::make_unique<SqliteSink>(std::move(*inlineDb)), batchSize, false);
    if (!durableInline) return durableInline.error();
    report.channels = (*durable)->channels();
    report.pipelineDepth = pipeline_groups;

    // The inputs of the crypto measurements.
    auto signatures = SignatureTimer::create();
    if (!signatures) return signatures.error();
    Hash32 digest = keccak256(std::string_view("paytorrent wallet benchmark"));
    auto sampleLane = openLane(1);
    if (!sampleLane) return sampleLane.error();
    State channelState = sampleLane->beneficiaryView.state();
    std::uint64_t counter = 0;
    std::uint8_t sink = 0; // keeps results alive

    using Deadline = Clock::time_point;
    for (int round = 0; round < rounds; ++round) {
        Status s = signatures->measure(slice, sliceCap);
        if (!s) return s.error();
        s = measureSlice(report.keccak, slice, sliceCap, [&](std::uint64_t limit, Deadline) -> Result<std::uint64_t> {
            const std::uint64_t n = std::min(limit, cheap_block);
            for (std::uint64_t i = 0; i < n; ++i) digest = keccak256(digest.view());
            return n;
        });
        if (!s) return s.error();
        s = measureSlice(report.stateHash, slice, sliceCap, [&](std::uint64_t limit, Deadline) -> Result<std::uint64_t> {
            const std::uint64_t n = std::min(limit, cheap_block);
            for (std::uint64_t i = 0; i < n; ++i) {
                channelState.turnNum = ++counter & max_uint48;
                sink ^= stateSigningDigest(channelState).bytes[0];
            }
            return n;
        });
        if (!s) return s.error();
        s = measureSlice(report.memory, slice, sliceCap,
                         [&](std::uint64_t limit, Deadline d) { return (*memory)->run(limit, d); });
        if (!s) return s.error();
        s = measureSlice(report.durable, slice, sliceCap,
                         [&](std::uint64_t limit, Deadline d) { return (*durable)->run(limit, d); });
        if (!s) return s.error();
        s = measureSlice(report.durableInline, slice, sliceCap,
                         [&](std::uint64_t limit, Deadline d) { return (*durableInline)->run(limit, d); });
        if (!s) return s.error();
    }
    (void)sink;

    report.sign = signatures->sign();
    report.recover = signatures->recover();
    const double perPayment = signatures->secondsPerPayment();
    report.cryptoLimit = perPayment > 0 ? 1.0 / perPayment : 0;
    report.memoryRatio = ratio(report.memory.perSecond(), report.cryptoLimit);
    report.durableRatio = ratio(report.durable.perSecond(), report.cryptoLimit);
    report.durableInlineRatio = ratio(report.durableInline.perSecond(), report.cryptoLimit);
    const PaymentSink& db = (*durable)->sink();
    report.commits = db.commits();
    if (report.commits > 0) {
        report.commitMillisMean = 1e3 * db.commitSeconds() / static_cast<double>(report.commits);
        report.writeMicrosPerPayment = 1e6 * db.writeSeconds() / static_cast<double>(db.committedPayments());
        report.paymentsPerCommitMean = static_cast<double>(db.committedPayments()) / static_cast<double>(report.commits);
    }
    return report;
}

nlohmann::json toJson(const WalletBenchReport& r)
{
    auto rate = [](const BenchRate& b) {
        return nlohmann::json{{"operations", b.operations},
                              {"seconds", b.seconds},
                              {"cpu_seconds", b.cpuSeconds},
                              {"per_second", b.perSecond()}};
    };
    nlohmann::json memory = rate(r.memory);
    memory["ratio_to_limit"] = r.memoryRatio;
    memory["goal"] = WalletBenchReport::memoryGoal;
    memory["goal_met"] = r.memoryRatio >= WalletBenchReport::memoryGoal;
    nlohmann::json durable = rate(r.durable);
    durable["ratio_to_limit"] = r.durableRatio;
    durable["goal"] = WalletBenchReport::durableGoal;
    durable["goal_met"] = r.durableRatio >= WalletBenchReport::durableGoal;
    durable["commits"] = r.commits;
    durable["batch_size"] = r.groupCommit;
    durable["payments_per_commit_mean"] = r.paymentsPerCommitMean;
    durable["file_system"] = r.storageFileSystem;
    durable["commit_thread"] = true;
    durable["pipeline_depth"] = r.pipelineDepth;
    durable["commit_ms_mean"] = r.commitMillisMean;
    durable["write_us_per_payment"] = r.writeMicrosPerPayment;
    nlohmann::json durableInline = rate(r.durableInline);
    durableInline["ratio_to_limit"] = r.durableInlineRatio;
    durableInline["batch_size"] = r.groupCommit;
    durableInline["commit_thread"] = false;
    return {
        {"sign", rate(r.sign)},
        {"recover", rate(r.recover)},
        {"keccak256", rate(r.keccak)},
        {"state_digest", rate(r.stateHash)},
        {"crypto_limit_payments_per_second", r.cryptoLimit},
        {"channels", r.channels},
        {"memory", std::move(memory)},
        {"durable", std::move(durable)},
        {"durable_inline", std::move(durableInline)},
    };
}

} // namespace paytorrent
