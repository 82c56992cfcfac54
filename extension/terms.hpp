// The terms a node advertises in its BEP-10 handshake for one torrent.
#pragma once

#include "extension/protocol.hpp"
#include "wallet/common/bytes.hpp"
#include "wallet/common/wei.hpp"

#include <cstdint>
#include <optional>

namespace pt::ext {

using AddressBytes = FixedBytes<address_bytes>;

struct Terms {
    std::uint32_t version = protocol_version;
    AddressBytes signer;           // the Ethereum address that signs this node's states
    std::uint64_t chainId = 0;     // the chain whose adjudicator enforces the channels
    AddressBytes adjudicator;      // the NitroAdjudicator contract on that chain
    // Wei per MiB (2^20 bytes) this node charges for the torrent; absent when it sells
    // nothing (a buyer, or a free torrent). Never zero: "free" is absence.
    std::optional<Wei> pricePerMiB;
    // As a seller: the smallest payment it countersigns and the most prepaid credit it holds.
    // As a buyer: the increment and window it intends to pay with.
    std::uint64_t paymentIncrement = 256 * 1024;
    std::uint64_t creditWindow = 1024 * 1024;

    bool operator==(const Terms&) const = default;
};

} // namespace pt::ext
