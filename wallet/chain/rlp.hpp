// Recursive Length Prefix, Ethereum's serialization for transactions
// (https://ethereum.org/en/developers/docs/data-structures-and-encoding/rlp/).
// Encoding is total; decoding is strict (canonical forms only) and bounded, because it
// reads bytes from outside (raw transactions handed back by a node or a peer).
#pragma once

#include "wallet/common/bytes.hpp"
#include "wallet/common/wei.hpp"

#include <cstddef>
#include <vector>

namespace pt::rlp {

enum class RlpError {
    truncated = 1,    // a length prefix points past the end of the input
    non_canonical,    // a longer encoding than the minimal one (leading zeros, short in long form)
    trailing_bytes,   // bytes after the one top-level item
    too_deep,         // lists nested deeper than max_depth
    too_large,        // input over max_input_bytes
    not_a_string,     // a list where a byte string was expected (or the reverse)
    integer_too_large // an integer over 32 bytes, or with leading zero bytes
};
const std::error_category& rlpErrorCategory() noexcept;
inline std::error_code make_error_code(RlpError e) noexcept
{
    return {static_cast<int>(e), rlpErrorCategory()};
}

// Transactions are bounded by node policy to 128 KiB; 4 MiB leaves room for any block-sized
// payload while keeping a hostile length prefix from allocating without bound.
inline constexpr std::size_t max_input_bytes = 4 * 1024 * 1024;
// Transactions nest three levels (access lists); 32 is generous and keeps recursion shallow.
inline constexpr std::size_t max_depth = 32;

// A decoded item: a byte string, or a list of items.
struct Item {
    bool isList = false;
    Bytes bytes;             // when !isList
    std::vector<Item> items; // when isList

    bool operator==(const Item&) const = default;

    [[nodiscard]] static Item string(Bytes b) { return Item{false, std::move(b), {}}; }
    [[nodiscard]] static Item list(std::vector<Item> l) { return Item{true, {}, std::move(l)}; }
    // The minimal big-endian bytes of `v` (zero is the empty string).
    [[nodiscard]] static Item uint(const U256& v);
};

// Encodes a byte string (a single byte below 0x80 is itself).
[[nodiscard]] Bytes encodeString(ByteView b);
// Encodes an unsigned integer: its minimal big-endian bytes as a string.
[[nodiscard]] Bytes encodeUint(const U256& v);
// Wraps already-encoded items into a list.
[[nodiscard]] Bytes encodeList(const std::vector<Bytes>& encodedItems);
[[nodiscard]] Bytes encode(const Item& item);

// Exactly one item spanning all of `input`.
[[nodiscard]] Result<Item> decode(ByteView input);
// An integer from a decoded string item: at most 32 bytes, no leading zero byte.
[[nodiscard]] Result<U256> toUint(const Item& item);

// The minimal big-endian bytes of `v` (empty for zero).
[[nodiscard]] Bytes minimalBigEndian(const U256& v);

} // namespace pt::rlp

template <>
struct std::is_error_code_enum<pt::rlp::RlpError> : std::true_type {};
