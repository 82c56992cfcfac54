// Money: 256-bit unsigned integers of wei. Never floating point.
#pragma once

#include "wallet/common/bytes.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <compare>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace pt {

// The EVM word: 256-bit unsigned, wrapping arithmetic (use the checked helpers for money).
using U256 = boost::multiprecision::uint256_t;

// An amount of wei. A distinct type so that amounts are never mixed with counts or bytes.
class Wei {
public:
    constexpr Wei() = default;
    explicit Wei(U256 v) : v_(std::move(v)) {}
    explicit Wei(std::uint64_t v) : v_(v) {}

    [[nodiscard]] const U256& value() const noexcept { return v_; }
    // boost's integers have no <=>: spell the ordering out.
    std::strong_ordering operator<=>(const Wei& o) const noexcept
    {
        if (v_ < o.v_) return std::strong_ordering::less;
        if (v_ > o.v_) return std::strong_ordering::greater;
        return std::strong_ordering::equal;
    }
    bool operator==(const Wei& o) const noexcept { return v_ == o.v_; }

    // nullopt on overflow / underflow: amounts come from peers and must be checked.
    [[nodiscard]] std::optional<Wei> checkedAdd(const Wei& o) const;
    [[nodiscard]] std::optional<Wei> checkedSub(const Wei& o) const;
    // Overflow here is a programmer error (amounts were validated before).
    [[nodiscard]] Wei operator+(const Wei& o) const;
    [[nodiscard]] Wei operator-(const Wei& o) const;

    [[nodiscard]] std::string toDecimal() const;
    [[nodiscard]] std::string toHex() const; // "0x" + minimal lowercase hex ("0x0" for zero)
    // Decimal digits, or 0x-hex; at most 2^256 - 1.
    [[nodiscard]] static Result<Wei> parse(std::string_view text);

private:
    U256 v_{0};
};

// Decimal, for logs and test output.
inline std::ostream& operator<<(std::ostream& os, const Wei& w) { return os << w.toDecimal() << " wei"; }

// Big-endian 32-byte word <-> U256.
[[nodiscard]] Bytes32 toWord(const U256& v);
[[nodiscard]] U256 fromWord(const Bytes32& w);
// Decimal or 0x-hex text to U256, with range check.
[[nodiscard]] Result<U256> parseU256(std::string_view text);

} // namespace pt
