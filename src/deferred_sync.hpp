// The fsync of the payment engine's commits, on a thread of its own. The engine thread
// commits a batch without waiting for the disk (store::Transaction::commitDeferred), hands
// the batch's continuations here, and goes on with the next payment while the disk works.
// One sync covers every batch committed before it began; the continuations then go back to
// the engine thread, in the order they were submitted, each with the sync's outcome. A
// continuation (a countersignature sent, credit granted, a payment armed) therefore never
// runs before its writes are durable.
#pragma once

#include "wallet/common/result.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace paytorrent::core {

class DeferredSync {
public:
    using Continuation = std::function<void(const pt::Status& synced)>;
    // `sync` makes every write committed before the call durable (store::WalSync::sync);
    // `post` runs a function on the owner's thread (the engine's io_context).
    DeferredSync(std::function<pt::Status()> sync, std::function<void(std::function<void()>)> post);
    // Syncs what was submitted and not yet synced; their whenDurable actions still run if
    // that sync succeeds, their continuations are dropped (the owner's thread has stopped).
    ~DeferredSync();
    DeferredSync(const DeferredSync&) = delete;
    DeferredSync& operator=(const DeferredSync&) = delete;

    // `done` runs (through `post`) after a sync that began after this call. `whenDurable`,
    // if given, runs on the syncer's thread as soon as that sync has succeeded, before any
    // continuation is posted (for thread-safe actions that need nothing of the owner's
    // state, such as the extension's queued sends): the owner's thread is one hop less
    // between the disk and the peer. In submission order; not run when the sync fails.
    void submit(Continuation done, std::function<void()> whenDurable = {});
    // Blocks until everything submitted has been synced and handed to `post`. Not from the
    // thread `post` runs on if a continuation must run first.
    void waitIdle();
    // Syncs run so far (each covering one or more submissions).
    [[nodiscard]] std::uint64_t syncs() const;

private:
    void run();

    std::function<pt::Status()> sync_;
    std::function<void(std::function<void()>)> post_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    struct Entry {
        Continuation done;
        std::function<void()> whenDurable;
    };
    std::vector<Entry> queue_;        // guarded by mutex_
    bool busy_ = false;               // guarded by mutex_: a sync is running
    bool stopping_ = false;           // guarded by mutex_
    std::uint64_t syncs_ = 0;         // guarded by mutex_
    std::thread thread_;
};

} // namespace paytorrent::core
