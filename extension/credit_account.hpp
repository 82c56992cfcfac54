// The seller's ledger of one connection, in bytes: what the payment engine granted, what
// accepted requests have used, what was actually sent. Pure arithmetic, no libtorrent, so
// the invariant "sent <= charged <= granted" is testable on its own.
#pragma once

#include <cstdint>

namespace pt::ext {

class CreditAccount {
public:
    // Adds credit the engine granted (payments validated, countersigned and stored).
    // Saturates rather than wraps: a grant that large is already more than any torrent.
    void grant(std::uint64_t bytes) noexcept;
    // Charges an incoming request when it is accepted. False, and nothing charged, when the
    // available credit does not cover all of it: a block is served whole or not at all.
    [[nodiscard]] bool tryCharge(std::uint64_t bytes) noexcept;
    // Returns the charge of a request that libtorrent rejected after accepting it (choke,
    // cancel, disk error): its bytes will never be sent.
    void refund(std::uint64_t bytes) noexcept;
    // Records payload bytes written to the socket.
    void recordSent(std::uint64_t bytes) noexcept;
    // Drops all unused credit (the connection is being closed for misbehaviour).
    void revoke() noexcept;

    [[nodiscard]] std::uint64_t granted() const noexcept { return granted_; }
    [[nodiscard]] std::uint64_t charged() const noexcept { return charged_; }
    [[nodiscard]] std::uint64_t sent() const noexcept { return sent_; }
    [[nodiscard]] std::uint64_t available() const noexcept { return granted_ - charged_; }

private:
    std::uint64_t granted_ = 0; // total granted (minus revoked credit)
    std::uint64_t charged_ = 0; // accepted requests, net of refunds: never above granted_
    std::uint64_t sent_ = 0;    // payload written: never above charged_ if libtorrent serves only accepted requests
};

} // namespace pt::ext
