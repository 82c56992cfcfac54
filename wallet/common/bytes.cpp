#include "wallet/common/bytes.hpp"

namespace pt {
namespace {

class ParseErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "parse"; }
    std::string message(int ev) const override
    {
        switch (static_cast<ParseError>(ev)) {
        case ParseError::invalid_hex: return "invalid hex";
        case ParseError::wrong_length: return "wrong length";
        case ParseError::out_of_range: return "number out of range";
        case ParseError::invalid_number: return "invalid number";
        case ParseError::invalid_json: return "invalid JSON";
        case ParseError::bad_checksum: return "bad EIP-55 checksum";
        }
        return "unknown parse error";
    }
};

int hexValue(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

const std::error_category& parseErrorCategory() noexcept
{
    static const ParseErrorCategory category;
    return category;
}

std::string toHex(ByteView bytes, bool prefix)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2 + 2);
    if (prefix) out += "0x";
    for (auto b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0x0f];
    }
    return out;
}

Result<Bytes> fromHex(std::string_view text)
{
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
    if (text.size() % 2 != 0)
        return makeError(ParseError::invalid_hex, "odd number of hex digits");
    Bytes out(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hexValue(text[2 * i]);
        const int lo = hexValue(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return makeError(ParseError::invalid_hex, "not a hex digit at position " + std::to_string(2 * i));
        out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return out;
}

} // namespace pt
