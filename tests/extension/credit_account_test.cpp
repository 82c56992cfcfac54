#include "extension/credit_account.hpp"

#include <gtest/gtest.h>

#include <limits>

using pt::ext::CreditAccount;

TEST(CreditAccount, StartsEmptyAndRefusesAnyCharge)
{
    CreditAccount a;
    EXPECT_EQ(a.available(), 0u);
    EXPECT_FALSE(a.tryCharge(1));
    EXPECT_EQ(a.charged(), 0u);
}

TEST(CreditAccount, ChargesWholeBlocksOnly)
{
    CreditAccount a;
    a.grant(40000);
    EXPECT_TRUE(a.tryCharge(16384));
    EXPECT_TRUE(a.tryCharge(16384));
    EXPECT_EQ(a.available(), 40000u - 32768u);
    EXPECT_FALSE(a.tryCharge(16384)); // 7232 left: not enough for a block
    EXPECT_EQ(a.charged(), 32768u);
    EXPECT_TRUE(a.tryCharge(7232));
    EXPECT_EQ(a.available(), 0u);
}

TEST(CreditAccount, RefundsReturnCredit)
{
    CreditAccount a;
    a.grant(32768);
    ASSERT_TRUE(a.tryCharge(16384));
    ASSERT_TRUE(a.tryCharge(16384));
    a.refund(16384);
    EXPECT_EQ(a.available(), 16384u);
    EXPECT_EQ(a.charged(), 16384u);
    a.refund(1u << 30); // more than charged: clamps, never wraps
    EXPECT_EQ(a.charged(), 0u);
    EXPECT_EQ(a.available(), 32768u);
}

TEST(CreditAccount, RevokeDropsUnusedCreditOnly)
{
    CreditAccount a;
    a.grant(100000);
    ASSERT_TRUE(a.tryCharge(16384));
    a.revoke();
    EXPECT_EQ(a.available(), 0u);
    EXPECT_EQ(a.charged(), 16384u);
    EXPECT_FALSE(a.tryCharge(1));
}

TEST(CreditAccount, GrantSaturates)
{
    CreditAccount a;
    a.grant(std::numeric_limits<std::uint64_t>::max());
    a.grant(5);
    EXPECT_EQ(a.granted(), std::numeric_limits<std::uint64_t>::max());
}

TEST(CreditAccount, CountsSentPayload)
{
    CreditAccount a;
    a.recordSent(100);
    a.recordSent(23);
    EXPECT_EQ(a.sent(), 123u);
}
