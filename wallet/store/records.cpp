#include "wallet/store/records.hpp"

#include <array>
#include <utility>

namespace pt::store {
namespace {

// One table per enum: the text is what the database holds, so it never changes.
constexpr std::array<std::pair<ChannelRole, std::string_view>, 2> roles{{
    {ChannelRole::beneficiary, "beneficiary"},
    {ChannelRole::payer, "payer"},
}};
constexpr std::array<std::pair<ChannelStatus, std::string_view>, 5> statuses{{
    {ChannelStatus::proposed, "proposed"},
    {ChannelStatus::open, "open"},
    {ChannelStatus::closing, "closing"},
    {ChannelStatus::challenged, "challenged"},
    {ChannelStatus::closed, "closed"},
}};
constexpr std::array<std::pair<PaymentDirection, std::string_view>, 2> directions{{
    {PaymentDirection::sent, "sent"},
    {PaymentDirection::received, "received"},
}};

template <class Table, class E>
std::string_view nameOf(const Table& table, E value) noexcept
{
    for (const auto& [v, name] : table)
        if (v == value) return name;
    return "unknown";
}

template <class E, class Table>
std::optional<E> valueOf(const Table& table, std::string_view text) noexcept
{
    for (const auto& [v, name] : table)
        if (name == text) return v;
    return std::nullopt;
}

} // namespace

std::string_view toString(ChannelRole role) noexcept { return nameOf(roles, role); }
std::string_view toString(ChannelStatus status) noexcept { return nameOf(statuses, status); }
std::string_view toString(PaymentDirection direction) noexcept { return nameOf(directions, direction); }

std::optional<ChannelRole> channelRoleFromString(std::string_view text) noexcept
{
    return valueOf<ChannelRole>(roles, text);
}
std::optional<ChannelStatus> channelStatusFromString(std::string_view text) noexcept
{
    return valueOf<ChannelStatus>(statuses, text);
}
std::optional<PaymentDirection> paymentDirectionFromString(std::string_view text) noexcept
{
    return valueOf<PaymentDirection>(directions, text);
}

} // namespace pt::store
