// A buyer's payments that are signed and stored but not yet due: the engine arms each with
// the received byte count at which it is due, and the connection sends it from its network
// thread the moment a block takes the count there (docs/protocol.md, section 5). No
// libtorrent here: the engine and its tests use it alone.
#pragma once

#include "extension/messages.hpp"
#include "wallet/common/bytes.hpp"
#include "wallet/common/result.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <vector>

namespace pt::ext {

class PaymentTrigger {
public:
    struct Released {
        std::uint64_t turn = 0;
        Message message;
        Bytes payload; // the message encoded, ready for the wire
    };

    // Engine thread. `message` is due once `dueAtReceived` payload bytes have arrived (0:
    // at once). Payments are armed in turn order, each due no earlier than the one before;
    // fails, arming nothing, when the message does not encode or breaks that order.
    [[nodiscard]] Status arm(std::uint64_t turn, std::uint64_t dueAtReceived, const Message& message);
    // Engine thread: takes back every payment not yet released and returns their turns,
    // oldest first. A payment released before this call stays released.
    std::vector<std::uint64_t> withdraw();

    // Network thread. A cheap test, called for every block.
    [[nodiscard]] bool due(std::uint64_t received) const noexcept
    {
        return received >= nextDue_.load(std::memory_order_acquire);
    }
    // Network thread: removes and returns the payments due at `received`, oldest first.
    std::vector<Released> takeDue(std::uint64_t received);

private:
    struct Armed {
        std::uint64_t dueAt = 0;
        Released payment;
    };
    static constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
    void publishLocked() noexcept;

    std::mutex mutex_;
    std::deque<Armed> armed_; // guarded by mutex_
    std::atomic<std::uint64_t> nextDue_{never};
};

} // namespace pt::ext
