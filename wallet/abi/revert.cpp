// Revert payloads: Error(string) reasons, Panic(uint256) codes, custom errors.
#include "wallet/abi/abi.hpp"

#include <algorithm>
#include <cstdio>

namespace pt::abi {
namespace {

constexpr std::uint8_t panic_selector[4] = {0x4e, 0x48, 0x7b, 0x71};
// A reason in a log line is cut here: reasons come from contracts we do not control.
constexpr std::size_t max_reason_display = 256;

bool startsWith(ByteView data, const std::uint8_t (&sel)[4])
{
    return data.size() >= 4 && std::equal(sel, sel + 4, data.begin());
}

std::string printable(std::string_view s)
{
    std::string out;
    for (char c : s.substr(0, max_reason_display)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        }
    }
    if (s.size() > max_reason_display) out += "...";
    return out;
}

} // namespace

Result<std::string> decodeRevertReason(ByteView revertData)
{
    if (!startsWith(revertData, error_selector)) return makeError(AbiError::not_revert, "not an Error(string) revert");
    auto v = decodeOne(Type::string(), revertData.subspan(4));
    if (!v) return v.error();
    return v->asString();
}

std::string describeRevert(ByteView revertData)
{
    if (revertData.empty()) return "reverted without a reason";
    if (startsWith(revertData, error_selector)) {
        auto reason = decodeRevertReason(revertData);
        if (reason) return "reverted: " + printable(*reason);
        return "reverted with a malformed Error(string): " + reason.error().describe();
    }
    if (startsWith(revertData, panic_selector)) {
        auto code = decodeOne(Type::uint(), revertData.subspan(4));
        if (code) {
            std::string hex = Wei(code->asUint()).toHex();
            return "reverted with Panic(" + hex + ")";
        }
    }
    const std::size_t n = std::min<std::size_t>(revertData.size(), 4);
    return "reverted with data " + toHex(revertData.first(n)) + " (" + std::to_string(revertData.size()) + " bytes)";
}

} // namespace pt::abi
