#include "wallet/crypto/address.hpp"

#include "wallet/crypto/keccak.hpp"

#include <cctype>

namespace pt {

Result<Address> Address::fromHex(std::string_view text)
{
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
    if (text.size() != 40)
        return makeError(ParseError::wrong_length, "an address has 40 hex digits, got " + std::to_string(text.size()));
    auto raw = FixedBytes<20>::fromHex(text);
    if (!raw) return raw.error();
    Address a(*raw);
    bool lower = false, upper = false;
    for (char c : text) {
        lower |= (c >= 'a' && c <= 'f');
        upper |= (c >= 'A' && c <= 'F');
    }
    if (lower && upper && a.toChecksum().substr(2) != text)
        return makeError(ParseError::bad_checksum, "address 0x" + std::string(text) + " fails its EIP-55 checksum");
    return a;
}

std::string Address::toChecksum() const
{
    const std::string lower = hex(false);
    const Hash32 h = keccak256(std::string_view(lower));
    std::string out = "0x";
    for (std::size_t i = 0; i < lower.size(); ++i) {
        const std::uint8_t nibble = (i % 2 == 0) ? (h.bytes[i / 2] >> 4) : (h.bytes[i / 2] & 0x0f);
        const char c = lower[i];
        out += (nibble >= 8 && c >= 'a') ? static_cast<char>(std::toupper(c)) : c;
    }
    return out;
}

Bytes32 Address::toBytes32() const
{
    Bytes32 out;
    for (std::size_t i = 0; i < 20; ++i) out.bytes[12 + i] = bytes[i];
    return out;
}

} // namespace pt
