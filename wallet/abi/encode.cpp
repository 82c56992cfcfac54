// abi.encode, selectors and call data.
#include "wallet/abi/abi.hpp"
#include "wallet/crypto/keccak.hpp"

#include <algorithm>
#include <stdexcept>

namespace pt::abi {
namespace {

// Big-endian word straight from the limbs: toWord's byte-by-byte shifting of a cpp_int
// costs about as much as a Keccak permutation, and hashing a state writes dozens of words.
void appendWord(Bytes& out, const U256& v)
{
    static_assert(sizeof(boost::multiprecision::limb_type) == 8, "64-bit limbs expected");
    const std::size_t at = out.size();
    out.resize(at + 32, 0);
    const auto& backend = v.backend();
    const std::size_t limbs = std::min<std::size_t>(backend.size(), 4);
    for (std::size_t i = 0; i < limbs; ++i) {
        const std::uint64_t limb = backend.limbs()[i];
        for (std::size_t k = 0; k < 8; ++k)
            out[at + 31 - 8 * i - k] = static_cast<std::uint8_t>(limb >> (8 * k));
    }
}

void appendPadded(Bytes& out, const Bytes& data)
{
    out.insert(out.end(), data.begin(), data.end());
    out.resize(out.size() + (32 - data.size() % 32) % 32, 0);
}

void encodeContent(const Value& v, Bytes& out);

// Heads then tails: static items inline, dynamic items as offsets (from the start of this
// sequence) into the tail.
void encodeSequence(const std::vector<Value>& items, Bytes& out)
{
    std::size_t headSize = 0;
    for (const auto& item : items) headSize += item.type().headSize();
    const std::size_t start = out.size();
    out.reserve(start + headSize);
    Bytes tail;
    for (const auto& item : items) {
        if (item.type().isDynamic()) {
            appendWord(out, U256(headSize + tail.size()));
            encodeContent(item, tail);
        } else {
            encodeContent(item, out);
        }
    }
    out.insert(out.end(), tail.begin(), tail.end());
}

void encodeContent(const Value& v, Bytes& out)
{
    const Type& t = v.type();
    switch (t.kind()) {
    case Type::Kind::uint: appendWord(out, v.asUint()); return;
    case Type::Kind::int_: {
        const I256& i = v.asInt();
        if (i >= 0) {
            appendWord(out, static_cast<U256>(i));
        } else {
            const U256 magnitude = static_cast<U256>(-i);
            appendWord(out, ~magnitude + 1); // two's complement, wrapping in 256 bits
        }
        return;
    }
    case Type::Kind::boolean: appendWord(out, U256(v.asBool() ? 1 : 0)); return;
    case Type::Kind::address: {
        out.resize(out.size() + 12, 0);
        const Address a = v.asAddress();
        out.insert(out.end(), a.bytes.begin(), a.bytes.end());
        return;
    }
    case Type::Kind::fixedBytes: {
        const auto& b = v.asBytes();
        out.insert(out.end(), b.begin(), b.end());
        out.resize(out.size() + (32 - b.size()), 0);
        return;
    }
    case Type::Kind::bytes:
    case Type::Kind::string: {
        const auto& b = v.asBytes();
        appendWord(out, U256(b.size()));
        appendPadded(out, b);
        return;
    }
    case Type::Kind::array:
        appendWord(out, U256(v.items().size()));
        encodeSequence(v.items(), out);
        return;
    case Type::Kind::fixedArray:
    case Type::Kind::tuple: encodeSequence(v.items(), out); return;
    }
}

} // namespace

Bytes encode(const std::vector<Value>& params)
{
    Bytes out;
    encodeSequence(params, out);
    return out;
}

Bytes encodeOne(const Value& v)
{
    return encode({v});
}

FixedBytes<4> selector(std::string_view signature)
{
    const Hash32 h = keccak256(signature);
    FixedBytes<4> out;
    for (std::size_t i = 0; i < 4; ++i) out.bytes[i] = h.bytes[i];
    return out;
}

Result<std::string> canonicalSignature(std::string_view signature)
{
    const auto open = signature.find('(');
    if (open == std::string_view::npos || open == 0)
        return makeError(AbiError::bad_type, "a signature is name(types)");
    const std::string_view name = signature.substr(0, open);
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$'))
            return makeError(AbiError::bad_type, "bad character in function name");
    auto params = Type::parseList(signature.substr(open));
    if (!params) return params.error();
    std::string out(name);
    out += '(';
    for (std::size_t i = 0; i < params->size(); ++i) {
        if (i) out += ',';
        out += (*params)[i].toString();
    }
    out += ')';
    return out;
}

Bytes encodeCall(std::string_view signature, const std::vector<Value>& params)
{
    auto canonical = canonicalSignature(signature);
    if (!canonical) throw std::invalid_argument("abi::encodeCall: " + canonical.error().describe());
    auto types = Type::parseList(signature.substr(signature.find('(')));
    if (types->size() != params.size())
        throw std::invalid_argument("abi::encodeCall: " + std::string(signature) + " takes " +
                                    std::to_string(types->size()) + " parameters, got " + std::to_string(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i)
        if ((*types)[i] != params[i].type())
            throw std::invalid_argument("abi::encodeCall: parameter " + std::to_string(i) + " of " +
                                        std::string(signature) + " is " + (*types)[i].toString() + ", got " +
                                        params[i].type().toString());
    const auto sel = selector(*canonical);
    Bytes out(sel.bytes.begin(), sel.bytes.end());
    const Bytes body = encode(params);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

} // namespace pt::abi
