#include "wallet/common/wei.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace pt {

std::optional<Wei> Wei::checkedAdd(const Wei& o) const
{
    U256 sum = v_ + o.v_; // wraps modulo 2^256
    if (sum < v_) return std::nullopt;
    return Wei(sum);
}

std::optional<Wei> Wei::checkedSub(const Wei& o) const
{
    if (o.v_ > v_) return std::nullopt;
    return Wei(U256(v_ - o.v_));
}

Wei Wei::operator+(const Wei& o) const
{
    auto r = checkedAdd(o);
    if (!r) throw std::overflow_error("Wei addition overflow");
    return *r;
}

Wei Wei::operator-(const Wei& o) const
{
    auto r = checkedSub(o);
    if (!r) throw std::underflow_error("Wei subtraction underflow");
    return *r;
}

std::string Wei::toDecimal() const { return v_.str(); }

std::string Wei::toHex() const
{
    if (v_ == 0) return "0x0";
    std::string out;
    U256 v = v_;
    static constexpr char digits[] = "0123456789abcdef";
    while (v != 0) {
        out.insert(out.begin(), digits[static_cast<unsigned>(v & 0xf)]);
        v >>= 4;
    }
    return "0x" + out;
}

Result<Wei> Wei::parse(std::string_view text)
{
    auto v = parseU256(text);
    if (!v) return v.error();
    return Wei(*v);
}

Bytes32 toWord(const U256& v)
{
    // export_bits writes the significant bytes only, most significant first: right-align.
    std::array<std::uint8_t, 32> tmp{};
    const auto end = boost::multiprecision::export_bits(v, tmp.begin(), 8, true);
    const auto used = static_cast<std::size_t>(end - tmp.begin());
    Bytes32 w;
    std::copy(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(used), w.bytes.end() - static_cast<std::ptrdiff_t>(used));
    return w;
}

U256 fromWord(const Bytes32& w)
{
    U256 v;
    boost::multiprecision::import_bits(v, w.bytes.begin(), w.bytes.end(), 8, true);
    return v;
}

Result<U256> parseU256(std::string_view text)
{
    // 78 decimal digits or 64 hex digits cover 2^256 - 1; longer input is refused before
    // any arithmetic (leading zeros beyond that are not worth accepting).
    constexpr std::size_t max_decimal_digits = 78;
    constexpr std::size_t max_hex_digits = 64;
    if (text.empty()) return makeError(ParseError::invalid_number, "empty number");
    const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    if (hex) {
        text.remove_prefix(2);
        if (text.size() > max_hex_digits)
            return makeError(ParseError::out_of_range, "hex number wider than 256 bits");
        U256 v = 0;
        for (char c : text) {
            int d = -1;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            if (d < 0) return makeError(ParseError::invalid_number, "not a hex digit in number");
            v = (v << 4) | d;
        }
        return v;
    }
    if (text.size() > max_decimal_digits)
        return makeError(ParseError::out_of_range, "decimal number above 2^256 - 1");
    boost::multiprecision::uint512_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return makeError(ParseError::invalid_number, "not a decimal digit in number");
        v = v * 10 + (c - '0');
    }
    if (v > boost::multiprecision::uint512_t(std::numeric_limits<U256>::max()))
        return makeError(ParseError::out_of_range, "decimal number above 2^256 - 1");
    return U256(v);
}

} // namespace pt
