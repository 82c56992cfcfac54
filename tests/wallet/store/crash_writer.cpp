// The child process of the store's durability test: records payments as fast as it can and
// prints "durable <turn>" on standard output only after the commit holding that turn has
// returned, until it is killed (SIGKILL) at some random moment. Run again on the same
// database, it carries on from the latest stored turn.
//
//   crash_writer <database> <seed> [power-loss | deferred]
//
// With "power-loss", all SQLite I/O goes through the power-cut simulation VFS
// (power_loss_vfs.hpp), so that the test can also undo whatever was not fsynced.
//
// Batches of 1..8 payments are committed with one Transaction (group commit); a batch of
// one is written without a Transaction, each write committing alone. With "deferred" the
// store is opened with Options::deferredSync, as the node's engine opens it: a batch is
// committed with commitDeferred() and announced only after WalSync::sync(), run on another
// thread as the engine's syncer does.
#include "power_loss_vfs.hpp"
#include "store_fixtures.hpp"

#include "wallet/store/store.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <thread>

namespace {

using namespace pt;
using namespace pt::store;

int fail(const std::string& what, const Error& e)
{
    std::fprintf(stderr, "crash_writer: %s: %s\n", what.c_str(), e.describe().c_str());
    return 1;
}

// write(2) straight to the pipe: nothing sits in a stdio buffer, so what the parent reads
// is exactly what had been acknowledged when the kill came.
void announce(std::uint64_t turn)
{
    const std::string line = "durable " + std::to_string(turn) + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
        if (n <= 0) std::_Exit(3); // the parent is gone
        done += static_cast<std::size_t>(n);
    }
}

Status writeOne(Store& store, const fixtures::TestChannel& ch, std::uint64_t turn, const Wei& paid)
{
    if (auto ok = store.appendSignedState(ch.id, ch.signedAt(turn, paid)); !ok) return ok;
    PaymentRecord p;
    p.channelId = ch.id;
    p.turnNum = turn;
    p.amount = fixtures::crashPaymentAmount(turn);
    p.direction = PaymentDirection::received;
    p.torrent = "crash-test";
    p.timeMs = static_cast<std::int64_t>(turn);
    return store.recordPayment(p);
}

} // namespace

int main(int argc, char** argv)
{
    const std::string mode = argc == 4 ? argv[3] : "";
    if (argc < 3 || argc > 4 || (argc == 4 && mode != "power-loss" && mode != "deferred")) {
        std::fprintf(stderr, "usage: crash_writer <database> <seed> [power-loss | deferred]\n");
        return 2;
    }
    if (mode == "power-loss") pt::store::test::installPowerLossVfs();
    const std::string path = argv[1];
    std::mt19937_64 rng(std::stoull(argv[2]));
    std::uniform_int_distribution<int> batchSize(1, 8);

    Store::Options options;
    options.deferredSync = mode == "deferred";
    auto opened = Store::open(path, options);
    if (!opened) return fail("open", opened.error());
    Store& store = *opened;

    const fixtures::TestChannel ch = fixtures::makeChannel("crash");
    auto known = store.getChannel(ch.id);
    if (!known) return fail("getChannel", known.error());
    if (!*known)
        if (auto ok = store.putChannel(ch.record(ChannelRole::beneficiary)); !ok) return fail("putChannel", ok.error());

    std::uint64_t turn = 0;
    Wei paid;
    auto latest = store.latestState(ch.id);
    if (!latest) return fail("latestState", latest.error());
    if (*latest) {
        turn = (*latest)->state.turnNum;
        paid = (*latest)->state.outcome.at(0).allocationItems.at(0).amount;
    }

    for (;;) {
        const int n = batchSize(rng);
        const std::uint64_t first = turn + 1;
        if (n == 1) {
            paid = paid + fixtures::crashPaymentAmount(first);
            if (auto ok = writeOne(store, ch, first, paid); !ok) return fail("write", ok.error());
        } else {
            auto tx = store.begin();
            if (!tx) return fail("begin", tx.error());
            for (std::uint64_t t = first; t < first + static_cast<std::uint64_t>(n); ++t) {
                paid = paid + fixtures::crashPaymentAmount(t);
                if (auto ok = writeOne(store, ch, t, paid); !ok) return fail("write", ok.error());
            }
            if (!options.deferredSync) {
                if (auto ok = tx->commit(); !ok) return fail("commit", ok.error());
            } else {
                if (auto ok = tx->commitDeferred(); !ok) return fail("commit", ok.error());
                Status synced;
                std::thread([&] { synced = store.walSync()->sync(); }).join();
                if (!synced) return fail("sync", synced.error());
            }
        }
        turn = first + static_cast<std::uint64_t>(n) - 1;
        for (std::uint64_t t = first; t <= turn; ++t) announce(t);
    }
}
