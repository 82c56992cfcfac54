// ChainPort over the real adjudicator: blocking JSON-RPC calls run on a chain thread of
// their own, one at a time (so transactions from this node's key are never raced), and
// their results are handed back through the callbacks.
#pragma once

#include "chain_port.hpp"

#include "wallet/chain/adjudicator.hpp"
#include "wallet/chain/transaction_sender.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <thread>

namespace paytorrent::core {

class AdjudicatorPort final : public ChainPort {
public:
    AdjudicatorPort(std::shared_ptr<pt::chain::TransactionSender> sender, pt::chain::Adjudicator adjudicator);
    ~AdjudicatorPort() override;

    void deposit(const pt::nitro::ChannelId& channel, const pt::Wei& expectedHeld, const pt::Wei& amount,
                 std::function<void(pt::Status)> done) override;
    void holdings(const pt::nitro::ChannelId& channel, std::function<void(pt::Result<pt::Wei>)> done) override;
    void concludeAndTransfer(const pt::nitro::SignedState& finalState, std::function<void(pt::Status)> done) override;

    // Gas of every transaction this port sent, for the ledger and benchmarks.
    [[nodiscard]] pt::Wei feesPaid() const;

private:
    void run(std::function<void()> job);

    std::shared_ptr<pt::chain::TransactionSender> sender_;
    pt::chain::Adjudicator adjudicator_;
    mutable std::mutex feesMutex_;
    pt::Wei fees_; // guarded by feesMutex_
    boost::asio::io_context ctx_;
    std::thread thread_;
};

} // namespace paytorrent::core
