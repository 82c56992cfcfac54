#include "extension/payment_trigger.hpp"

#include "extension/wire.hpp"
#include "extension/wire_error.hpp"

#include <string>

namespace pt::ext {

Status PaymentTrigger::arm(std::uint64_t turn, std::uint64_t dueAtReceived, const Message& message)
{
    auto payload = encodeMessage(message);
    if (!payload) return payload.error();
    std::lock_guard lock(mutex_);
    if (!armed_.empty() && (turn <= armed_.back().payment.turn || dueAtReceived < armed_.back().dueAt))
        return makeError(WireError::out_of_range, "payment turn " + std::to_string(turn) + " armed out of order");
    armed_.push_back({dueAtReceived, {turn, message, std::move(*payload)}});
    publishLocked();
    return {};
}

std::vector<std::uint64_t> PaymentTrigger::withdraw()
{
    std::lock_guard lock(mutex_);
    std::vector<std::uint64_t> turns;
    turns.reserve(armed_.size());
    for (const auto& a : armed_) turns.push_back(a.payment.turn);
    armed_.clear();
    publishLocked();
    return turns;
}

std::vector<PaymentTrigger::Released> PaymentTrigger::takeDue(std::uint64_t received)
{
    std::lock_guard lock(mutex_);
    std::vector<Released> out;
    while (!armed_.empty() && armed_.front().dueAt <= received) {
        out.push_back(std::move(armed_.front().payment));
        armed_.pop_front();
    }
    publishLocked();
    return out;
}

void PaymentTrigger::publishLocked() noexcept
{
    nextDue_.store(armed_.empty() ? never : armed_.front().dueAt, std::memory_order_release);
}

} // namespace pt::ext
