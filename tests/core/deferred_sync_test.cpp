#include "src/deferred_sync.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <vector>

using namespace paytorrent::core;
using namespace std::chrono_literals;

namespace {

// The owner's thread, as the engine's io_context is: runs what is posted, in order.
class OwnerThread {
public:
    OwnerThread() : thread_([this] { run(); }) {}
    ~OwnerThread()
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }
    void post(std::function<void()> fn)
    {
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(std::move(fn));
        }
        cv_.notify_one();
    }

private:
    void run()
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            auto fn = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            fn();
            lock.lock();
        }
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

// A sync the test opens and closes by hand.
class Gate {
public:
    pt::Status sync()
    {
        std::unique_lock lock(mutex_);
        ++entered_;
        cv_.notify_all();
        cv_.wait(lock, [this] { return open_ > 0; });
        --open_;
        return result_;
    }
    void waitEntered(int n)
    {
        std::unique_lock lock(mutex_);
        ASSERT_TRUE(cv_.wait_for(lock, 5s, [&] { return entered_ >= n; })) << "sync " << n << " never began";
    }
    void release(pt::Status result = {})
    {
        std::lock_guard lock(mutex_);
        result_ = std::move(result);
        ++open_;
        cv_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    int entered_ = 0;
    int open_ = 0;
    pt::Status result_;
};

} // namespace

// Nothing submitted runs before a sync that began after it has returned; one sync covers
// what was submitted while the last one ran; continuations run in order on the owner's
// thread with the sync's outcome.
TEST(DeferredSync, ContinuationsWaitForASyncThatBeganAfterThem)
{
    OwnerThread owner;
    Gate gate;
    std::mutex mutex;
    std::vector<int> ran;
    std::vector<bool> okay;
    auto record = [&](int id) {
        return [&, id](const pt::Status& synced) {
            std::lock_guard lock(mutex);
            ran.push_back(id);
            okay.push_back(synced.ok());
        };
    };
    auto ranSoFar = [&] {
        std::lock_guard lock(mutex);
        return ran;
    };
    {
        DeferredSync syncer([&] { return gate.sync(); }, [&](std::function<void()> fn) { owner.post(std::move(fn)); });
        syncer.submit(record(1));
        gate.waitEntered(1);
        // Submitted while sync 1 runs: not covered by it.
        syncer.submit(record(2));
        syncer.submit(record(3));
        std::this_thread::sleep_for(20ms);
        EXPECT_TRUE(ranSoFar().empty()) << "nothing runs before its sync returns";

        gate.release();
        gate.waitEntered(2);
        std::this_thread::sleep_for(20ms);
        EXPECT_EQ(ranSoFar(), std::vector<int>{1}) << "2 and 3 wait for the next sync";

        gate.release(pt::makeError(std::errc::io_error, "disk gone"));
        syncer.waitIdle();
        EXPECT_EQ(syncer.syncs(), 2u) << "one sync for 2 and 3 together";
    }
    // The owner has run everything posted before it stops.
    std::promise<void> drained;
    owner.post([&] { drained.set_value(); });
    ASSERT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_EQ(ranSoFar(), (std::vector<int>{1, 2, 3}));
    std::lock_guard lock(mutex);
    EXPECT_EQ(okay, (std::vector<bool>{true, false, false})) << "a failed sync fails what it covered";
}

// The thread-safe part of a continuation (the engine's answer to a peer) runs on the
// syncer's thread once the sync succeeded, before the continuation is handed back; never
// after a failed sync.
TEST(DeferredSync, RunsWhenDurableActionsOnlyAfterASuccessfulSync)
{
    OwnerThread owner;
    Gate gate;
    std::mutex mutex;
    std::vector<std::string> events;
    auto note = [&](std::string e) {
        std::lock_guard lock(mutex);
        events.push_back(std::move(e));
    };
    {
        DeferredSync syncer([&] { return gate.sync(); }, [&](std::function<void()> fn) { owner.post(std::move(fn)); });
        syncer.submit([&](const pt::Status& s) { note(s ? "done 1" : "failed 1"); }, [&] { note("durable 1"); });
        gate.waitEntered(1);
        std::this_thread::sleep_for(10ms);
        {
            std::lock_guard lock(mutex);
            EXPECT_TRUE(events.empty()) << "nothing before the sync returns";
        }
        gate.release();
        syncer.waitIdle();
        syncer.submit([&](const pt::Status& s) { note(s ? "done 2" : "failed 2"); }, [&] { note("durable 2"); });
        gate.waitEntered(2);
        gate.release(pt::makeError(std::errc::io_error, "disk gone"));
        syncer.waitIdle();
    }
    std::promise<void> drained;
    owner.post([&] { drained.set_value(); });
    ASSERT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
    std::lock_guard lock(mutex);
    EXPECT_EQ(events, (std::vector<std::string>{"durable 1", "done 1", "failed 2"}));
}
