// The ledger view of the payments table: per torrent and, inside it, per peer and per
// channel, the bytes served and received and the wei earned and paid. Store::ledger reads
// the rows; LedgerBuilder adds them up (in C++, with overflow checks: amounts are 256-bit).
//
// Bytes: each payment row carries the payload bytes of its channel's connection when the
// state was agreed (a running count), so a channel's bytes are the largest value of its
// rows, per direction: served from its 'received' rows, received from its 'sent' rows. A
// peer's and a torrent's bytes are sums over channels.
#pragma once

#include "wallet/common/result.hpp"
#include "wallet/common/wei.hpp"
#include "wallet/nitro/state.hpp"
#include "wallet/store/records.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pt::store {

struct LedgerChannel {
    nitro::ChannelId id;
    std::uint64_t bytesServed = 0;   // the largest `bytes` of its 'received' payments
    std::uint64_t bytesReceived = 0; // the largest `bytes` of its 'sent' payments
    Wei earned;                      // sum of its 'received' payments
    Wei paid;                        // sum of its 'sent' payments
    std::uint64_t payments = 0;      // how many payments (either direction)

    bool operator==(const LedgerChannel&) const = default;
};

struct LedgerPeer {
    // The payments' peer label, or the counterparty's address (EIP-55) for payments
    // recorded without one.
    std::string peer;
    std::uint64_t bytesServed = 0;
    std::uint64_t bytesReceived = 0;
    Wei earned;
    Wei paid;
    std::vector<LedgerChannel> channels; // ordered by id

    bool operator==(const LedgerPeer&) const = default;
};

struct LedgerTorrent {
    std::string torrent; // the payments' info-hash label; empty for payments without one
    std::uint64_t bytesServed = 0;
    std::uint64_t bytesReceived = 0;
    Wei earned;
    Wei paid;
    std::uint64_t channelCount = 0; // distinct channels over all peers
    std::vector<LedgerPeer> peers;  // ordered by label

    bool operator==(const LedgerTorrent&) const = default;
};

// One payment as the ledger needs it.
struct LedgerRow {
    nitro::ChannelId channelId;
    std::string torrent;
    std::string peer;
    PaymentDirection direction = PaymentDirection::sent;
    Wei amount;
    std::uint64_t bytes = 0;
};

// Groups rows by torrent, peer and channel. Errors: StoreError::corrupt when a sum passes
// 2^256 wei or 2^64 bytes (no real ledger can; a damaged or forged file can).
class LedgerBuilder {
public:
    [[nodiscard]] Status add(const LedgerRow& row);
    // The torrents ordered by label, with every total filled in.
    [[nodiscard]] Result<std::vector<LedgerTorrent>> finish();

private:
    // torrent -> peer -> channel
    std::map<std::string, std::map<std::string, std::map<nitro::ChannelId, LedgerChannel>>> rows_;
};

// Recomputes a torrent's peer and torrent totals (and channel count) from its channels, e.g.
// after a caller raised a live channel's bytes. Errors as LedgerBuilder.
[[nodiscard]] Status sumLedger(LedgerTorrent& torrent);

} // namespace pt::store
