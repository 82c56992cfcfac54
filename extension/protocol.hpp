// Constants of the paid-streaming BEP-10 extension, version 1 (docs/protocol.md).
// Every limit here bounds what a peer can make us parse or hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pt::ext {

// The name in the BEP-10 handshake's "m" dictionary.
inline constexpr std::string_view extension_name = "pt_paid";
// The handshake key that holds our terms dictionary.
inline constexpr std::string_view terms_key = "pt_terms";
inline constexpr std::uint32_t protocol_version = 1;

// The id under which we ask peers to send us our messages. libtorrent consumes extended ids
// 0, 3, 4, 7 and 8 and its built-in extensions use 1-8; ids from 20 on are free.
inline constexpr int local_message_id = 20;

// Limits. A message longer than its kind's limit is malformed: the peer is disconnected.
// The largest message carries one state; 8 KiB leaves room for the bencode around 4 KiB.
inline constexpr std::size_t max_message_bytes = 8 * 1024;
// A two-party Nitro state, ABI-encoded with one asset and two allocation items, is about
// 1.3 KiB; 4 KiB allows more participants or app data without inviting waste.
inline constexpr std::size_t max_state_bytes = 4 * 1024;
// A human-readable reason, for a log line: no need for more.
inline constexpr std::size_t max_error_text_bytes = 512;
// STOP, START: a type and one integer.
inline constexpr std::size_t max_control_message_bytes = 64;
// CHANNEL_ACCEPT, COUNTERSIGNATURE, FINAL_COUNTERSIGNATURE: a channel id, a turn, a signature.
inline constexpr std::size_t max_signature_message_bytes = 192;
// ERROR: a code and the text.
inline constexpr std::size_t max_error_message_bytes = max_error_text_bytes + 64;
// The terms dictionary in the handshake: two addresses, three integers, a 78-digit price.
inline constexpr std::size_t max_terms_bytes = 1024;
// 2^256 - 1 has 78 decimal digits.
inline constexpr std::size_t max_price_digits = 78;
// bdecode bounds: our dictionaries are flat, with a handful of keys (unknown keys are
// tolerated for forward compatibility, up to this many tokens).
inline constexpr int max_bencode_depth = 2;
inline constexpr int max_bencode_tokens = 64;

inline constexpr std::size_t channel_id_bytes = 32;
inline constexpr std::size_t signature_bytes = 65; // r || s || v, as Ethereum signs
inline constexpr std::size_t address_bytes = 20;
inline constexpr std::uint64_t max_turn = (std::uint64_t{1} << 48) - 1; // uint48 on chain

// A payment must buy at least one BitTorrent block: a smaller increment cannot cover any
// request and only costs signatures.
inline constexpr std::uint64_t min_payment_increment = 16 * 1024;
// No peer may ask to be trusted with more than this much unpaid data, or offer to prepay
// more: it bounds each side's exposure to one peer.
inline constexpr std::uint64_t max_credit_window = std::uint64_t{1} << 30;
// The request queue a seller advertises to a buyer of a paid torrent in BEP 10's "reqq"
// (docs/protocol.md, section 4). A seller charges credit when it accepts a request, so a
// buyer's outstanding requests use up prepaid credit before any byte arrives; libtorrent,
// like most clients, keeps as many requests outstanding as the remote's reqq allows (2,000
// by default). Half of what a buyer keeps prepaid beyond one increment leaves the other
// half for the payment on its way.
[[nodiscard]] constexpr std::uint64_t paidRequestQueue(std::uint64_t creditWindow, std::uint64_t paymentIncrement) noexcept
{
    constexpr std::uint64_t block = 16 * 1024;
    constexpr std::uint64_t least = 4;
    const std::uint64_t spare = creditWindow > paymentIncrement ? creditWindow - paymentIncrement : 0;
    const std::uint64_t blocks = spare / 2 / block;
    return blocks < least ? least : blocks;
}

// Integers on the wire are bencoded; libtorrent decodes them as int64.
inline constexpr std::uint64_t max_wire_integer = (std::uint64_t{1} << 63) - 1;

} // namespace pt::ext
