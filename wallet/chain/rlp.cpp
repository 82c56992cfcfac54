#include "wallet/chain/rlp.hpp"

#include <string>

namespace pt::rlp {
namespace {

class RlpErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "rlp"; }
    std::string message(int ev) const override
    {
        switch (static_cast<RlpError>(ev)) {
        case RlpError::truncated: return "RLP item truncated";
        case RlpError::non_canonical: return "non-canonical RLP encoding";
        case RlpError::trailing_bytes: return "bytes after the RLP item";
        case RlpError::too_deep: return "RLP lists nested too deeply";
        case RlpError::too_large: return "RLP input too large";
        case RlpError::not_a_string: return "RLP item has the wrong kind";
        case RlpError::integer_too_large: return "RLP integer too large or not minimal";
        }
        return "unknown RLP error";
    }
};

// The length header for a payload of `length` bytes: offset is 0x80 for strings, 0xc0 for lists.
void appendHeader(Bytes& out, std::size_t length, std::uint8_t offset)
{
    if (length <= 55) {
        out.push_back(static_cast<std::uint8_t>(offset + length));
        return;
    }
    const Bytes lenBytes = minimalBigEndian(U256(length));
    out.push_back(static_cast<std::uint8_t>(offset + 55 + lenBytes.size()));
    out.insert(out.end(), lenBytes.begin(), lenBytes.end());
}

struct Decoder {
    ByteView in;

    // Decodes the item starting at `pos`; advances pos past it.
    Result<Item> item(std::size_t& pos, std::size_t depth)
    {
        if (depth > max_depth) return makeError(RlpError::too_deep);
        if (pos >= in.size()) return makeError(RlpError::truncated, "RLP item expected at offset " + std::to_string(pos));
        const std::uint8_t prefix = in[pos];
        if (prefix < 0x80) {
            ++pos;
            return Item::string(Bytes{prefix});
        }
        const bool isList = prefix >= 0xc0;
        const std::uint8_t base = isList ? 0xc0 : 0x80;
        std::size_t length = 0;
        std::size_t headerSize = 1;
        if (prefix - base <= 55) {
            length = prefix - base;
        } else {
            const std::size_t lenOfLen = prefix - base - 55;
            if (pos + 1 + lenOfLen > in.size()) return makeError(RlpError::truncated, "RLP length truncated");
            if (in[pos + 1] == 0) return makeError(RlpError::non_canonical, "RLP length with a leading zero");
            if (lenOfLen > sizeof(std::size_t)) return makeError(RlpError::too_large);
            for (std::size_t i = 0; i < lenOfLen; ++i) {
                length = (length << 8) | in[pos + 1 + i];
                if (length > max_input_bytes) return makeError(RlpError::too_large);
            }
            if (length <= 55) return makeError(RlpError::non_canonical, "RLP long form for a short payload");
            headerSize = 1 + lenOfLen;
        }
        const std::size_t start = pos + headerSize;
        if (start > in.size() || length > in.size() - start)
            return makeError(RlpError::truncated, "RLP payload of " + std::to_string(length) + " bytes truncated");
        const std::size_t end = start + length;
        if (!isList) {
            if (length == 1 && in[start] < 0x80)
                return makeError(RlpError::non_canonical, "single byte below 0x80 with a length prefix");
            pos = end;
            return Item::string(Bytes(in.begin() + static_cast<std::ptrdiff_t>(start),
                                      in.begin() + static_cast<std::ptrdiff_t>(end)));
        }
        Item list = Item::list({});
        std::size_t p = start;
        while (p < end) {
            auto child = item(p, depth + 1);
            if (!child) return child.error();
            if (p > end) return makeError(RlpError::truncated, "RLP list item crosses the list end");
            list.items.push_back(std::move(*child));
        }
        pos = end;
        return list;
    }
};

} // namespace

const std::error_category& rlpErrorCategory() noexcept
{
    static const RlpErrorCategory category;
    return category;
}

Bytes minimalBigEndian(const U256& v)
{
    Bytes out;
    U256 x = v;
    while (x != 0) {
        out.push_back(static_cast<std::uint8_t>(x & 0xff));
        x >>= 8;
    }
    return Bytes(out.rbegin(), out.rend());
}

Item Item::uint(const U256& v)
{
    return Item::string(minimalBigEndian(v));
}

Bytes encodeString(ByteView b)
{
    Bytes out;
    if (b.size() == 1 && b[0] < 0x80) {
        out.push_back(b[0]);
        return out;
    }
    out.reserve(b.size() + 9);
    appendHeader(out, b.size(), 0x80);
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

Bytes encodeUint(const U256& v)
{
    return encodeString(minimalBigEndian(v));
}

Bytes encodeList(const std::vector<Bytes>& encodedItems)
{
    std::size_t total = 0;
    for (const auto& e : encodedItems) total += e.size();
    Bytes out;
    out.reserve(total + 9);
    appendHeader(out, total, 0xc0);
    for (const auto& e : encodedItems) out.insert(out.end(), e.begin(), e.end());
    return out;
}

Bytes encode(const Item& item)
{
    if (!item.isList) return encodeString(item.bytes);
    std::vector<Bytes> parts;
    parts.reserve(item.items.size());
    for (const auto& child : item.items) parts.push_back(encode(child));
    return encodeList(parts);
}

Result<Item> decode(ByteView input)
{
    if (input.size() > max_input_bytes)
        return makeError(RlpError::too_large, "RLP input of " + std::to_string(input.size()) + " bytes");
    Decoder d{input};
    std::size_t pos = 0;
    auto item = d.item(pos, 0);
    if (!item) return item.error();
    if (pos != input.size()) return makeError(RlpError::trailing_bytes);
    return item;
}

Result<U256> toUint(const Item& item)
{
    if (item.isList) return makeError(RlpError::not_a_string, "integer expected, got a list");
    if (item.bytes.size() > 32) return makeError(RlpError::integer_too_large);
    if (!item.bytes.empty() && item.bytes[0] == 0)
        return makeError(RlpError::integer_too_large, "integer with a leading zero byte");
    U256 v = 0;
    for (auto b : item.bytes) v = (v << 8) | b;
    return v;
}

} // namespace pt::rlp
