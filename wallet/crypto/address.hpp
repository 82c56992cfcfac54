// Ethereum addresses: parsing, EIP-55 checksummed display, derivation from a public key.
#pragma once

#include "wallet/common/bytes.hpp"

namespace pt {

// A 20-byte Ethereum address. toChecksum() gives EIP-55 display form.
struct Address : FixedBytes<20> {
    Address() = default;
    explicit Address(const FixedBytes<20>& b) : FixedBytes<20>(b) {}
    auto operator<=>(const Address&) const = default;

    // Parses 40 hex digits with or without "0x". All-lowercase or all-uppercase is taken as
    // is; mixed case must match its EIP-55 checksum.
    [[nodiscard]] static Result<Address> fromHex(std::string_view text);
    // EIP-55 mixed-case checksummed form, with "0x".
    [[nodiscard]] std::string toChecksum() const;
    // The 32-byte left-padded form Nitro uses for an external destination.
    [[nodiscard]] Bytes32 toBytes32() const;
};

} // namespace pt

template <>
struct std::hash<pt::Address> : std::hash<pt::FixedBytes<20>> {};
