#include "wallet/store/ledger.hpp"

#include "wallet/store/store_error.hpp"

#include <algorithm>
#include <limits>
#include <set>

namespace pt::store {
namespace {

Error overflow(const std::string& what) { return makeError(StoreError::corrupt, "the database holds " + what); }

Status addBytes(std::uint64_t& total, std::uint64_t more, const std::string& where)
{
    if (more > std::numeric_limits<std::uint64_t>::max() - total)
        return overflow("byte counts of " + where + " that sum above 2^64");
    total += more;
    return {};
}

Status addWei(Wei& total, const Wei& more, const std::string& where)
{
    auto sum = total.checkedAdd(more);
    if (!sum) return overflow("payments of " + where + " that sum above 2^256 wei");
    total = *sum;
    return {};
}

// Adds the figures of `from` (a channel or a peer) into `to`.
template <class From, class To>
Status accumulate(To& to, const From& from, const std::string& where)
{
    if (auto r = addBytes(to.bytesServed, from.bytesServed, where); !r) return r;
    if (auto r = addBytes(to.bytesReceived, from.bytesReceived, where); !r) return r;
    if (auto r = addWei(to.earned, from.earned, where); !r) return r;
    return addWei(to.paid, from.paid, where);
}

} // namespace

Status LedgerBuilder::add(const LedgerRow& row)
{
    LedgerChannel& c = rows_[row.torrent][row.peer][row.channelId];
    c.id = row.channelId;
    ++c.payments;
    if (row.direction == PaymentDirection::received) {
        c.bytesServed = std::max(c.bytesServed, row.bytes);
        return addWei(c.earned, row.amount, "channel " + row.channelId.hex());
    }
    c.bytesReceived = std::max(c.bytesReceived, row.bytes);
    return addWei(c.paid, row.amount, "channel " + row.channelId.hex());
}

Result<std::vector<LedgerTorrent>> LedgerBuilder::finish()
{
    std::vector<LedgerTorrent> out;
    out.reserve(rows_.size());
    for (auto& [torrent, peers] : rows_) {
        LedgerTorrent t;
        t.torrent = torrent;
        for (auto& [peer, channels] : peers) {
            LedgerPeer p;
            p.peer = peer;
            for (auto& [id, channel] : channels) p.channels.push_back(std::move(channel));
            t.peers.push_back(std::move(p));
        }
        if (auto r = sumLedger(t); !r) return r.error();
        out.push_back(std::move(t));
    }
    rows_.clear();
    return out;
}

Status sumLedger(LedgerTorrent& t)
{
    const std::string where = "torrent " + (t.torrent.empty() ? std::string("(none)") : t.torrent);
    t.bytesServed = t.bytesReceived = 0;
    t.earned = t.paid = Wei();
    std::set<nitro::ChannelId> distinct;
    for (auto& p : t.peers) {
        p.bytesServed = p.bytesReceived = 0;
        p.earned = p.paid = Wei();
        for (const auto& c : p.channels) {
            if (auto r = accumulate(p, c, where); !r) return r;
            distinct.insert(c.id);
        }
        if (auto r = accumulate(t, p, where); !r) return r;
    }
    t.channelCount = distinct.size();
    return {};
}

} // namespace pt::store
