#include "extension/messages.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace pt::ext;

TEST(Messages, TypeOfFollowsTheWireNumbering)
{
    EXPECT_EQ(typeOf(Stop{}), MessageType::stop);
    EXPECT_EQ(static_cast<int>(typeOf(Start{})), 2);
    EXPECT_EQ(static_cast<int>(typeOf(ChannelProposal{})), 3);
    EXPECT_EQ(static_cast<int>(typeOf(ChannelAccept{})), 4);
    EXPECT_EQ(static_cast<int>(typeOf(Payment{})), 5);
    EXPECT_EQ(static_cast<int>(typeOf(Countersignature{})), 6);
    EXPECT_EQ(static_cast<int>(typeOf(FinalState{})), 7);
    EXPECT_EQ(static_cast<int>(typeOf(FinalCountersignature{})), 8);
    EXPECT_EQ(static_cast<int>(typeOf(ErrorMessage{})), 9);
}

TEST(Messages, EveryTypeHasANameAndALimitWithinTheGlobalOne)
{
    std::set<std::string> names;
    for (int t = 1; t <= 9; ++t) {
        const auto type = static_cast<MessageType>(t);
        names.insert(toString(type));
        EXPECT_GT(maxEncodedBytes(type), 0u);
        EXPECT_LE(maxEncodedBytes(type), max_message_bytes);
    }
    EXPECT_EQ(names.size(), 9u);
    EXPECT_EQ(std::string(toString(StopReason::out_of_budget)), "out_of_budget");
}
