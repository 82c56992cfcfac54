#include "extension/peer_events.hpp"

namespace pt::ext {

PeerCountersSnapshot PeerCounters::snapshot() const noexcept
{
    PeerCountersSnapshot s;
    s.creditGranted = creditGranted.load(std::memory_order_relaxed);
    s.creditCharged = creditCharged.load(std::memory_order_relaxed);
    s.payloadSent = payloadSent.load(std::memory_order_relaxed);
    s.requestsRefused = requestsRefused.load(std::memory_order_relaxed);
    s.requestsHeld = requestsHeld.load(std::memory_order_relaxed);
    s.rejectsSent = rejectsSent.load(std::memory_order_relaxed);
    s.payloadReceived = payloadReceived.load(std::memory_order_relaxed);
    s.bytesRequested = bytesRequested.load(std::memory_order_relaxed);
    s.bytesRejected = bytesRejected.load(std::memory_order_relaxed);
    s.bytesUnrequested = bytesUnrequested.load(std::memory_order_relaxed);
    s.paymentAnswer = paymentAnswer.summary();
    return s;
}

} // namespace pt::ext
