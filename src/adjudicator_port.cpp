#include "adjudicator_port.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace paytorrent::core {

using namespace pt;

AdjudicatorPort::AdjudicatorPort(std::shared_ptr<chain::TransactionSender> sender, chain::Adjudicator adjudicator)
    : sender_(std::move(sender)), adjudicator_(std::move(adjudicator))
{
    thread_ = std::thread([this] {
        auto guard = boost::asio::make_work_guard(ctx_);
        ctx_.run();
    });
}

AdjudicatorPort::~AdjudicatorPort()
{
    ctx_.stop();
    if (thread_.joinable()) thread_.join();
}

void AdjudicatorPort::run(std::function<void()> job) { boost::asio::post(ctx_, std::move(job)); }

Wei AdjudicatorPort::feesPaid() const
{
    std::lock_guard lock(feesMutex_);
    return fees_;
}

void AdjudicatorPort::deposit(const nitro::ChannelId& channel, const Wei& expectedHeld, const Wei& amount,
                              std::function<void(Status)> done)
{
    run([this, channel, expectedHeld, amount, done = std::move(done)] {
        auto receipt = adjudicator_.deposit(*sender_, channel, expectedHeld, amount);
        if (!receipt) return done(receipt.error());
        {
            std::lock_guard lock(feesMutex_);
            fees_ = fees_ + receipt->fee();
        }
        done(Status{});
    });
}

void AdjudicatorPort::holdings(const nitro::ChannelId& channel, std::function<void(Result<Wei>)> done)
{
    run([this, channel, done = std::move(done)] { done(adjudicator_.holdings(channel)); });
}

void AdjudicatorPort::concludeAndTransfer(const nitro::SignedState& finalState, std::function<void(Status)> done)
{
    run([this, finalState, done = std::move(done)] {
        auto proof = chain::SupportProof::fromSignedState(finalState);
        if (!proof) return done(proof.error());
        auto receipt = adjudicator_.concludeAndTransferAllAssets(*sender_, *proof);
        if (!receipt) return done(receipt.error());
        {
            std::lock_guard lock(feesMutex_);
            fees_ = fees_ + receipt->fee();
        }
        done(Status{});
    });
}

} // namespace paytorrent::core
