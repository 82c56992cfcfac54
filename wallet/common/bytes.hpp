// Byte strings and fixed-size byte values (hashes, addresses), with hex conversion.
#pragma once

#include "wallet/common/result.hpp"

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pt {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Errors of parsing untrusted text into values.
enum class ParseError {
    invalid_hex = 1,  // not [0-9a-fA-F], or an odd number of digits
    wrong_length,     // the value does not have the size the type needs
    out_of_range,     // a number does not fit its type
    invalid_number,   // not a decimal or 0x-hex integer
    invalid_json,     // malformed JSON or a missing / mistyped field
    bad_checksum,     // an EIP-55 mixed-case address whose case does not match its checksum
};
const std::error_category& parseErrorCategory() noexcept;
inline std::error_code make_error_code(ParseError e) noexcept
{
    return {static_cast<int>(e), parseErrorCategory()};
}

// Lowercase hex of `bytes`, with a "0x" prefix when `prefix` is true.
[[nodiscard]] std::string toHex(ByteView bytes, bool prefix = true);
// Parses hex with or without "0x"; an empty string (or "0x") is zero bytes.
[[nodiscard]] Result<Bytes> fromHex(std::string_view text);

// N bytes with value semantics, ordering and hex conversion: hashes, ids, keys.
template <std::size_t N>
struct FixedBytes {
    static constexpr std::size_t size_bytes = N;
    std::array<std::uint8_t, N> bytes{};

    auto operator<=>(const FixedBytes&) const = default;

    [[nodiscard]] ByteView view() const noexcept { return bytes; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes.data(); }
    [[nodiscard]] std::uint8_t* data() noexcept { return bytes.data(); }
    [[nodiscard]] static constexpr std::size_t size() noexcept { return N; }
    [[nodiscard]] bool isZero() const noexcept
    {
        for (auto b : bytes)
            if (b != 0) return false;
        return true;
    }
    [[nodiscard]] std::string hex(bool prefix = true) const { return toHex(bytes, prefix); }

    [[nodiscard]] static Result<FixedBytes> fromView(ByteView v)
    {
        if (v.size() != N)
            return makeError(ParseError::wrong_length,
                             "expected " + std::to_string(N) + " bytes, got " + std::to_string(v.size()));
        FixedBytes out;
        for (std::size_t i = 0; i < N; ++i) out.bytes[i] = v[i];
        return out;
    }
    // Exactly N bytes of hex, with or without "0x".
    [[nodiscard]] static Result<FixedBytes> fromHex(std::string_view text)
    {
        auto raw = ::pt::fromHex(text);
        if (!raw) return raw.error();
        return fromView(*raw);
    }
};

using Bytes32 = FixedBytes<32>;
using Hash32 = FixedBytes<32>;

using Bytes20 = FixedBytes<20>;

} // namespace pt

template <>
struct std::is_error_code_enum<pt::ParseError> : std::true_type {};

template <std::size_t N>
struct std::hash<pt::FixedBytes<N>> {
    std::size_t operator()(const pt::FixedBytes<N>& b) const noexcept
    {
        std::size_t h = 0;
        for (std::size_t i = 0; i < sizeof(std::size_t) && i < N; ++i) h = (h << 8) | b.bytes[i];
        return h;
    }
};
