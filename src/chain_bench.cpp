// The chain benchmark: a fresh anvil with the real NitroAdjudicator, two funded keys, and
// channels driven with the payment channel functions (no BitTorrent needed):
//   1. deposit, two payments, final state, concludeAndTransferAllAssets (cooperative exit);
//   2. deposit, two payments, the payer challenges with a stale state, the beneficiary
//      answers with checkpoint;
//   3. `rounds` times: deposit, two payments, the beneficiary's ChannelLifecycle challenges,
//      time jumps past the window (evm_increaseTime: the window itself is not measured), and
//      its watchtower transfers; the clock stops when the beneficiary's balance changes.
#include "paytorrent/chain_bench.hpp"

#include "channel_lifecycle.hpp"
#include "scratch_dir.hpp"

#include "paytorrent/node.hpp"

#include "wallet/chain/local_chain.hpp"
#include "wallet/nitro/payment_channel.hpp"
#include "wallet/store/store.hpp"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <vector>

namespace paytorrent {

using namespace pt;
using Clock = std::chrono::steady_clock;

namespace {

// How long the benchmark waits for the watchtower's payout after the window before it
// reports a failure (a transfer on anvil takes milliseconds; this is many poll intervals).
constexpr std::chrono::seconds payout_limit{60};

const Wei one_ether(U256("1000000000000000000"));

Error benchError(const std::string& what, const Error& e)
{
    return Error{e.code, "bench chain: " + what + ": " + e.describe()};
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double median(std::vector<double> v)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Party {
    PrivateKey key;
    std::shared_ptr<chain::TransactionSender> sender;
};

class Bench {
public:
    Bench(chain::LocalChain& chain, std::uint64_t window) : chain_(chain), window_(window) {}

    Result<Party> fundedParty()
    {
        auto key = PrivateKey::generate();
        if (!key) return key.error();
        auto funded = chain_.faucet().send(chain::TxRequest{key->address(), Wei(one_ether.value() * 100), {}, std::nullopt});
        if (!funded) return funded.error();
        return Party{*key, std::make_shared<chain::TransactionSender>(chain_.rpc(), *key, chain_.info().chainId)};
    }

    // A channel [beneficiary, payer] funded by the payer, with `payments` payments made and
    // countersigned. Returns the view after the last one and the deposit's receipt.
    struct Channel {
        nitro::ChannelView view;
        std::vector<nitro::SignedState> states; // every doubly signed state, turn order
        chain::Receipt deposit;
    };
    Result<Channel> openAndPay(const Party& beneficiary, const Party& payer, int payments)
    {
        nitro::ChannelTerms terms;
        terms.chainId = chain_.info().chainId;
        terms.beneficiary = beneficiary.key.address();
        terms.payer = payer.key.address();
        terms.channelNonce = ++nonce_;
        terms.challengeDuration = window_;
        terms.deposit = Wei(one_ether.value()); // 1 ETH
        auto initial = nitro::makeInitialState(terms);
        if (!initial) return initial.error();
        nitro::SignedState s{*initial, {nitro::signState(*initial, beneficiary.key), nitro::signState(*initial, payer.key)}};
        auto view = nitro::openChannel(terms, s);
        if (!view) return view.error();
        auto dep = adjudicator().deposit(*payer.sender, view->id(), Wei(), terms.deposit);
        if (!dep) return dep.error();
        Channel c{*view, {view->latest()}, *dep};
        const Wei step(U256("10000000000000000")); // 0.01 ETH a payment
        for (int i = 0; i < payments; ++i) {
            auto p = nitro::makePayment(c.view, step, payer.key);
            if (!p) return p.error();
            auto v = nitro::validatePayment(c.view, p->signedState());
            if (!v) return v.error();
            auto next = nitro::countersign(*v, beneficiary.key);
            if (!next) return next.error();
            c.view = *next;
            c.states.push_back(next->latest());
        }
        return c;
    }

    chain::Adjudicator adjudicator() { return chain::Adjudicator(chain_.rpc(), chain_.info().adjudicator); }

private:
    chain::LocalChain& chain_;
    std::uint64_t window_;
    std::uint64_t nonce_ = 0;
};

Result<chain::SupportProof> proofOf(const nitro::SignedState& s) { return chain::SupportProof::fromSignedState(s); }

} // namespace

Result<ChainBenchReport> runChainBench(const ChainBenchOptions& options)
{
    if (options.rounds < 1 || options.challengeWindow == 0 || options.pollInterval.count() <= 0)
        return makeError(NodeError::bad_option, "bench chain: rounds, window and poll interval must be positive");
    auto scratch = ScratchDir::create(options.directory, "pt-bench-chain-");
    if (!scratch) return makeError(NodeError::bad_option, "bench chain: " + scratch.error().message);

    chain::LocalChainOptions lc;
    if (options.nodeToolsDir) {
        lc.nodeToolsDir = *options.nodeToolsDir;
    } else if (const char* d = std::getenv("PAYTORRENT_NODE_TOOLS"); d && *d) {
        lc.nodeToolsDir = d;
    } else {
        lc.nodeToolsDir = PT_NODE_TOOLS_DIR;
    }
    lc.dataDir = scratch->path() / "chain";
    lc.anvil.persistState = false;
    lc.anvil.stopWithParentThread = true; // the benchmark's thread outlives its chain
    auto started = chain::LocalChain::start(lc);
    if (!started) return benchError("cannot start the local chain", started.error());
    chain::LocalChain& localChain = **started;
    auto rpc = localChain.rpc();

    ChainBenchReport report;
    report.challengeWindow = options.challengeWindow;
    report.pollIntervalMs = options.pollInterval.count();
    report.rounds = options.rounds;
    if (auto v = rpc->clientVersion()) report.client = *v;

    Bench bench(localChain, options.challengeWindow);
    auto seller = bench.fundedParty();
    if (!seller) return benchError("funding the beneficiary", seller.error());
    auto buyer = bench.fundedParty();
    if (!buyer) return benchError("funding the payer", buyer.error());
    auto adj = bench.adjudicator();

    // 1. Cooperative exit.
    {
        auto c = bench.openAndPay(*seller, *buyer, 2);
        if (!c) return benchError("opening a channel", c.error());
        report.depositGas = c->deposit.gasUsed;
        auto fin = nitro::makeFinal(c->view, buyer->key);
        if (!fin) return benchError("final state", fin.error());
        auto v = nitro::validatePayment(c->view, fin->signedState());
        if (!v) return benchError("final state", v.error());
        auto both = nitro::countersign(*v, seller->key);
        if (!both) return benchError("final state", both.error());
        auto proof = proofOf(both->latest());
        if (!proof) return benchError("final state", proof.error());
        auto r = adj.concludeAndTransferAllAssets(*buyer->sender, *proof);
        if (!r) return benchError("concludeAndTransferAllAssets", r.error());
        report.concludeGas = r->gasUsed;
    }

    // 2. A stale challenge answered by checkpoint.
    {
        auto c = bench.openAndPay(*seller, *buyer, 2);
        if (!c) return benchError("opening a channel", c.error());
        const auto& stale = c->states.at(1);
        auto staleProof = proofOf(stale);
        if (!staleProof) return benchError("stale state", staleProof.error());
        auto cheat = adj.challenge(*buyer->sender, *staleProof, nitro::signChallenge(stale.state, buyer->key));
        if (!cheat) return benchError("stale challenge", cheat.error());
        auto latestProof = proofOf(c->view.latest());
        if (!latestProof) return benchError("latest state", latestProof.error());
        auto r = adj.checkpoint(*seller->sender, *latestProof);
        if (!r) return benchError("checkpoint", r.error());
        report.checkpointGas = r->gasUsed;
    }

    // 3. Force-closes through the beneficiary's lifecycle and watchtower.
    const auto database = scratch->path() / "beneficiary.db";
    auto storeOpened = store::Store::open(database);
    if (!storeOpened) return benchError("opening the store", storeOpened.error());
    store::Store store = std::move(*storeOpened);
    core::LifecycleConfig config;
    config.database = database;
    config.pollInterval = options.pollInterval;
    auto lifecycle = core::ChannelLifecycle::open(config, seller->key, seller->sender, localChain.info().adjudicator);
    if (!lifecycle) return benchError("opening the lifecycle", lifecycle.error());
    (*lifecycle)->startWatchtower();

    std::vector<double> challengeTimes, payoutTimes, totals;
    for (int round = 0; round < options.rounds; ++round) {
        auto c = bench.openAndPay(*seller, *buyer, 2);
        if (!c) return benchError("opening a channel", c.error());
        const nitro::ChannelId id = c->view.id();
        store::ChannelRecord rec;
        rec.id = id;
        rec.fixed = c->view.state().fixed;
        rec.role = store::ChannelRole::beneficiary;
        rec.counterparty = buyer->key.address();
        rec.status = store::ChannelStatus::open;
        if (auto s = store.putChannel(rec); !s) return benchError("storing the channel", s.error());
        for (const auto& s : c->states)
            if (auto r = store.appendSignedState(id, s); !r) return benchError("storing a state", r.error());

        const auto t0 = Clock::now();
        auto challenged = (*lifecycle)->challenge(id);
        if (!challenged) return benchError("challenge", challenged.error());
        const auto t1 = Clock::now();
        report.challengeGas = challenged->receipt.gasUsed;
        auto before = rpc->getBalance(seller->key.address(), chain::BlockTag::latest());
        if (!before) return benchError("balance", before.error());

        // The window passes in no time.
        if (auto s = rpc->increaseTime(options.challengeWindow + 1); !s) return benchError("evm_increaseTime", s.error());
        if (auto s = rpc->mine(); !s) return benchError("evm_mine", s.error());

        const auto t2 = Clock::now();
        Wei after = *before;
        while (after == *before) {
            if (Clock::now() - t2 > payout_limit)
                return makeError(NodeError::chain_unavailable, "bench chain: the watchtower did not pay out within " +
                                                                   std::to_string(payout_limit.count()) + " s");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            auto b = rpc->getBalance(seller->key.address(), chain::BlockTag::latest());
            if (!b) return benchError("balance", b.error());
            after = *b;
        }
        const auto t3 = Clock::now();

        // The change must be exactly the beneficiary's share less the transfer's gas.
        // (The lifecycle records the transfer when its receipt arrives, a moment after the
        // balance may already show it.)
        std::optional<chain::Receipt> transfer;
        for (const auto until = Clock::now() + std::chrono::seconds(5); !transfer && Clock::now() < until;) {
            for (const auto& a : (*lifecycle)->actions())
                if (a.channel == id && a.kind == core::ChainAction::Kind::transfer) transfer = a.receipt;
            if (!transfer) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        if (!transfer) return makeError(NodeError::chain_unavailable, "bench chain: the balance moved without our transfer");
        if (after != *before + c->view.paid() - transfer->fee())
            return makeError(NodeError::chain_unavailable, "bench chain: the payout is not the beneficiary's share");
        report.transferGas = transfer->gasUsed;
        challengeTimes.push_back(seconds(t1 - t0));
        payoutTimes.push_back(seconds(t3 - t2));
        totals.push_back(seconds(t1 - t0) + seconds(t3 - t2));
    }
    (*lifecycle)->stop();
    report.challengeSeconds = median(challengeTimes);
    report.payoutSeconds = median(payoutTimes);
    report.totalSeconds = median(totals);
    return report;
}

nlohmann::json toJson(const ChainBenchReport& r)
{
    using J = nlohmann::json;
    auto op = [](std::uint64_t ours, std::uint64_t nitro) { return J{{"gas", ours}, {"nitro_authors", nitro}}; };
    return J{{"gas",
              {{"deposit", op(r.depositGas, ChainBenchReport::nitroDeposit)},
               {"cooperative_close", op(r.concludeGas, ChainBenchReport::nitroCooperativeExit)},
               {"challenge", op(r.challengeGas, ChainBenchReport::nitroChallenge)},
               {"checkpoint", op(r.checkpointGas, ChainBenchReport::nitroCheckpoint)},
               {"transfer", op(r.transferGas, ChainBenchReport::nitroTransfer)},
               {"forced_exit", op(r.forcedExitGas(), ChainBenchReport::nitroForcedExit)}}},
             {"challenge_to_funds",
              {{"challenge_seconds", r.challengeSeconds},
               {"payout_seconds", r.payoutSeconds},
               {"total_seconds", r.totalSeconds},
               {"window_seconds_excluded", r.challengeWindow},
               {"poll_interval_ms", r.pollIntervalMs},
               {"rounds", r.rounds}}},
             {"client", r.client}};
}

} // namespace paytorrent
