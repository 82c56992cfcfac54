#include "deferred_sync.hpp"

#include <utility>

namespace paytorrent::core {

DeferredSync::DeferredSync(std::function<pt::Status()> sync, std::function<void(std::function<void()>)> post)
    : sync_(std::move(sync)), post_(std::move(post)), thread_([this] { run(); })
{
}

DeferredSync::~DeferredSync()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void DeferredSync::submit(Continuation done, std::function<void()> whenDurable)
{
    {
        std::lock_guard lock(mutex_);
        queue_.push_back({std::move(done), std::move(whenDurable)});
    }
    wake_.notify_one();
}

void DeferredSync::waitIdle()
{
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

std::uint64_t DeferredSync::syncs() const
{
    std::lock_guard lock(mutex_);
    return syncs_;
}

void DeferredSync::run()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return; // stopping, nothing left to make durable
        std::vector<Entry> batch = std::move(queue_);
        queue_.clear();
        busy_ = true;
        const bool stopping = stopping_;
        lock.unlock();
        // Everything in `batch` was committed before it was submitted, so before this sync.
        pt::Status synced = sync_();
        if (synced)
            for (auto& e : batch)
                if (e.whenDurable) e.whenDurable();
        if (!stopping) {
            post_([batch = std::move(batch), synced = std::move(synced)] {
                for (const auto& e : batch) e.done(synced);
            });
        }
        lock.lock();
        ++syncs_;
        busy_ = false;
        idle_.notify_all();
        if (stopping) return;
    }
}

} // namespace paytorrent::core
