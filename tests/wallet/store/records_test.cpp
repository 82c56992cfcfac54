#include "wallet/store/records.hpp"

#include <gtest/gtest.h>

namespace pt::store {
namespace {

// These texts are what the database holds (docs/storage.md): changing one is a migration.
TEST(Records, EnumTextsAreTheDocumentedOnes)
{
    EXPECT_EQ(toString(ChannelRole::beneficiary), "beneficiary");
    EXPECT_EQ(toString(ChannelRole::payer), "payer");
    EXPECT_EQ(toString(ChannelStatus::proposed), "proposed");
    EXPECT_EQ(toString(ChannelStatus::open), "open");
    EXPECT_EQ(toString(ChannelStatus::closing), "closing");
    EXPECT_EQ(toString(ChannelStatus::challenged), "challenged");
    EXPECT_EQ(toString(ChannelStatus::closed), "closed");
    EXPECT_EQ(toString(PaymentDirection::sent), "sent");
    EXPECT_EQ(toString(PaymentDirection::received), "received");
}

TEST(Records, TextsParseBackAndUnknownTextsDoNot)
{
    for (auto r : {ChannelRole::beneficiary, ChannelRole::payer}) EXPECT_EQ(channelRoleFromString(toString(r)), r);
    for (auto s : {ChannelStatus::proposed, ChannelStatus::open, ChannelStatus::closing, ChannelStatus::challenged,
                   ChannelStatus::closed})
        EXPECT_EQ(channelStatusFromString(toString(s)), s);
    for (auto d : {PaymentDirection::sent, PaymentDirection::received})
        EXPECT_EQ(paymentDirectionFromString(toString(d)), d);
    EXPECT_FALSE(channelRoleFromString("Payer").has_value());
    EXPECT_FALSE(channelStatusFromString("").has_value());
    EXPECT_FALSE(paymentDirectionFromString("sent ").has_value());
}

} // namespace
} // namespace pt::store
