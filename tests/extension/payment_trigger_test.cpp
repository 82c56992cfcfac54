#include "extension/payment_trigger.hpp"
#include "extension/wire.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace pt::ext;

namespace {

Message payment(std::uint8_t tag)
{
    Payment p;
    p.channel.bytes.fill(tag);
    p.state = pt::Bytes(64, tag);
    p.signature.bytes.fill(tag);
    return p;
}

std::vector<std::uint64_t> turnsOf(const std::vector<PaymentTrigger::Released>& released)
{
    std::vector<std::uint64_t> turns;
    for (const auto& r : released) turns.push_back(r.turn);
    return turns;
}

} // namespace

TEST(PaymentTrigger, ReleasesEachPaymentOnTheByteThatMakesItDueInTurnOrder)
{
    PaymentTrigger t;
    EXPECT_FALSE(t.due(std::numeric_limits<std::uint64_t>::max() - 1)) << "nothing armed, nothing due";
    ASSERT_TRUE(t.arm(5, 1000, payment(5)));
    ASSERT_TRUE(t.arm(6, 2000, payment(6)));
    ASSERT_TRUE(t.arm(7, 2000, payment(7)));

    EXPECT_FALSE(t.due(999));
    EXPECT_TRUE(t.takeDue(999).empty());
    EXPECT_TRUE(t.due(1000));
    const auto first = t.takeDue(1500);
    ASSERT_EQ(turnsOf(first), (std::vector<std::uint64_t>{5}));
    EXPECT_EQ(first[0].message, payment(5));
    EXPECT_EQ(first[0].payload, *encodeMessage(payment(5))) << "the frame the wire carries";
    EXPECT_FALSE(t.due(1999));
    EXPECT_EQ(turnsOf(t.takeDue(5000)), (std::vector<std::uint64_t>{6, 7}));
    EXPECT_FALSE(t.due(5000));
}

TEST(PaymentTrigger, RefusesPaymentsArmedOutOfOrder)
{
    PaymentTrigger t;
    ASSERT_TRUE(t.arm(5, 1000, payment(5)));
    EXPECT_FALSE(t.arm(5, 2000, payment(5))) << "the same turn twice";
    EXPECT_FALSE(t.arm(6, 999, payment(6))) << "due before the payment it follows";
    EXPECT_EQ(turnsOf(t.takeDue(1000)), (std::vector<std::uint64_t>{5})) << "the refused ones were not armed";
    EXPECT_TRUE(t.takeDue(1u << 30).empty());
}

TEST(PaymentTrigger, RefusesAMessageThatDoesNotEncode)
{
    PaymentTrigger t;
    Payment p;
    p.state = pt::Bytes(1 << 20, 1); // far above the payment's size limit
    EXPECT_FALSE(t.arm(1, 0, p));
    EXPECT_FALSE(t.due(1u << 30));
}

TEST(PaymentTrigger, WithdrawTakesBackOnlyWhatWasNotReleased)
{
    PaymentTrigger t;
    ASSERT_TRUE(t.arm(1, 0, payment(1)));
    ASSERT_TRUE(t.arm(2, 100, payment(2)));
    ASSERT_TRUE(t.arm(3, 200, payment(3)));
    EXPECT_EQ(turnsOf(t.takeDue(0)), (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(t.withdraw(), (std::vector<std::uint64_t>{2, 3}));
    EXPECT_FALSE(t.due(1u << 30));
    EXPECT_TRUE(t.takeDue(1u << 30).empty()) << "a withdrawn payment never leaves";
    ASSERT_TRUE(t.arm(2, 50, payment(9))) << "its turn can be armed again";
    EXPECT_EQ(turnsOf(t.takeDue(50)), (std::vector<std::uint64_t>{2}));
}

// The network thread takes while the engine thread withdraws: every payment ends up exactly
// once on one side.
TEST(PaymentTrigger, EachPaymentIsEitherReleasedOrWithdrawnNeverBoth)
{
    for (int round = 0; round < 50; ++round) {
        PaymentTrigger t;
        constexpr std::uint64_t n = 200;
        for (std::uint64_t i = 0; i < n; ++i) ASSERT_TRUE(t.arm(i + 1, i * 10, payment(1)));
        std::vector<std::uint64_t> released;
        std::thread network([&] {
            for (std::uint64_t received = 0; received <= n * 10; received += 7)
                if (t.due(received))
                    for (const auto& r : t.takeDue(received)) released.push_back(r.turn);
        });
        const auto withdrawn = t.withdraw();
        network.join();
        std::vector<std::uint64_t> all = released;
        all.insert(all.end(), withdrawn.begin(), withdrawn.end());
        ASSERT_EQ(all.size(), n);
        for (std::uint64_t i = 0; i < n; ++i) EXPECT_EQ(all[i], i + 1) << "released first, then withdrawn, in turn order";
    }
}
