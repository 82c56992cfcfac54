#include "extension/credit_account.hpp"

#include <limits>

namespace pt::ext {

void CreditAccount::grant(std::uint64_t bytes) noexcept
{
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    granted_ = bytes > max - granted_ ? max : granted_ + bytes;
}

bool CreditAccount::tryCharge(std::uint64_t bytes) noexcept
{
    if (bytes > available()) return false;
    charged_ += bytes;
    return true;
}

void CreditAccount::refund(std::uint64_t bytes) noexcept
{
    // Only charged requests are refunded (the caller tracks them); the clamp keeps the
    // ledger sane even if libtorrent reported a reject twice.
    charged_ -= bytes > charged_ ? charged_ : bytes;
}

void CreditAccount::recordSent(std::uint64_t bytes) noexcept
{
    sent_ += bytes;
}

void CreditAccount::revoke() noexcept
{
    granted_ = charged_;
}

} // namespace pt::ext
