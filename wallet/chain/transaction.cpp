#include "wallet/chain/transaction.hpp"

#include "wallet/chain/chain_error.hpp"
#include "wallet/chain/rlp.hpp"
#include "wallet/crypto/keccak.hpp"

#include <limits>
#include <stdexcept>

namespace pt::chain {
namespace {

Bytes encodeTo(const std::optional<Address>& to)
{
    return to ? rlp::encodeString(to->view()) : rlp::encodeString({});
}

// The fields both the signing payload and the signed form start with.
std::vector<Bytes> unsignedFields(const Transaction& tx)
{
    std::vector<Bytes> f;
    if (tx.type == TxType::eip1559) {
        f.push_back(rlp::encodeUint(tx.chainId));
        f.push_back(rlp::encodeUint(tx.nonce));
        f.push_back(rlp::encodeUint(tx.maxPriorityFeePerGas));
        f.push_back(rlp::encodeUint(tx.maxFeePerGas));
        f.push_back(rlp::encodeUint(tx.gasLimit));
        f.push_back(encodeTo(tx.to));
        f.push_back(rlp::encodeUint(tx.value.value()));
        f.push_back(rlp::encodeString(tx.data));
        f.push_back(rlp::encodeList({})); // access list
    } else {
        f.push_back(rlp::encodeUint(tx.nonce));
        f.push_back(rlp::encodeUint(tx.gasPrice));
        f.push_back(rlp::encodeUint(tx.gasLimit));
        f.push_back(encodeTo(tx.to));
        f.push_back(rlp::encodeUint(tx.value.value()));
        f.push_back(rlp::encodeString(tx.data));
    }
    return f;
}

Bytes withTypePrefix(TxType type, Bytes payload)
{
    if (type == TxType::legacy) return payload;
    payload.insert(payload.begin(), static_cast<std::uint8_t>(type));
    return payload;
}

Error bad(std::string what)
{
    return makeError(ChainError::malformed_response, "malformed transaction: " + what);
}

Result<std::uint64_t> toU64(const rlp::Item& item, const char* field)
{
    auto v = rlp::toUint(item);
    if (!v) return bad(std::string(field) + ": " + v.error().describe());
    if (*v > std::numeric_limits<std::uint64_t>::max()) return bad(std::string(field) + " over 64 bits");
    return static_cast<std::uint64_t>(*v);
}

Result<U256> toU256(const rlp::Item& item, const char* field)
{
    auto v = rlp::toUint(item);
    if (!v) return bad(std::string(field) + ": " + v.error().describe());
    return *v;
}

Result<std::optional<Address>> toAddress(const rlp::Item& item)
{
    if (item.isList) return bad("'to' is a list");
    if (item.bytes.empty()) return std::optional<Address>{};
    auto a = FixedBytes<20>::fromView(item.bytes);
    if (!a) return bad("'to' is not 20 bytes");
    return std::optional<Address>{Address(*a)};
}

Result<Bytes32> toWord32(const rlp::Item& item, const char* field)
{
    auto v = toU256(item, field);
    if (!v) return v.error();
    return toWord(*v);
}

} // namespace

Hash32 signingHash(const Transaction& tx)
{
    std::vector<Bytes> f = unsignedFields(tx);
    if (tx.type == TxType::legacy) { // EIP-155: chainId, 0, 0 stand in for v, r, s
        f.push_back(rlp::encodeUint(tx.chainId));
        f.push_back(rlp::encodeUint(0));
        f.push_back(rlp::encodeUint(0));
    }
    return keccak256(withTypePrefix(tx.type, rlp::encodeList(f)));
}

SignedTransaction signTransaction(const Transaction& tx, const PrivateKey& key)
{
    if (tx.chainId == 0) throw std::invalid_argument("signTransaction: chainId must be set");
    const Signature sig = key.signDigest(signingHash(tx));
    const unsigned yParity = sig.v - 27u;
    std::vector<Bytes> f = unsignedFields(tx);
    if (tx.type == TxType::legacy)
        f.push_back(rlp::encodeUint(tx.chainId * 2 + 35 + yParity));
    else
        f.push_back(rlp::encodeUint(yParity));
    f.push_back(rlp::encodeUint(fromWord(sig.r)));
    f.push_back(rlp::encodeUint(fromWord(sig.s)));
    SignedTransaction out{tx, sig, withTypePrefix(tx.type, rlp::encodeList(f)), {}, key.address()};
    out.hash = keccak256(out.raw);
    return out;
}

Result<SignedTransaction> decodeSignedTransaction(ByteView raw)
{
    if (raw.empty()) return bad("empty");
    Transaction tx;
    ByteView body = raw;
    if (raw[0] == 0x02) {
        tx.type = TxType::eip1559;
        body = raw.subspan(1);
    } else if (raw[0] >= 0xc0) {
        tx.type = TxType::legacy;
    } else {
        return bad("unsupported transaction type " + std::to_string(raw[0]));
    }
    auto decoded = rlp::decode(body);
    if (!decoded) return bad(decoded.error().describe());
    if (!decoded->isList) return bad("not a list");
    const auto& it = decoded->items;
    const std::size_t expected = tx.type == TxType::eip1559 ? 12 : 9;
    if (it.size() != expected) return bad("expected " + std::to_string(expected) + " fields");

    std::size_t i = 0;
    auto u64 = [&](std::uint64_t& out, const char* name) -> Status {
        auto v = toU64(it[i++], name);
        if (!v) return v.error();
        out = *v;
        return {};
    };
    auto u256 = [&](U256& out, const char* name) -> Status {
        auto v = toU256(it[i++], name);
        if (!v) return v.error();
        out = *v;
        return {};
    };
    Status st;
    if (tx.type == TxType::eip1559) {
        if (!(st = u256(tx.chainId, "chainId"))) return st.error();
        if (!(st = u64(tx.nonce, "nonce"))) return st.error();
        if (!(st = u256(tx.maxPriorityFeePerGas, "maxPriorityFeePerGas"))) return st.error();
        if (!(st = u256(tx.maxFeePerGas, "maxFeePerGas"))) return st.error();
    } else {
        if (!(st = u64(tx.nonce, "nonce"))) return st.error();
        if (!(st = u256(tx.gasPrice, "gasPrice"))) return st.error();
    }
    if (!(st = u64(tx.gasLimit, "gas"))) return st.error();
    auto to = toAddress(it[i++]);
    if (!to) return to.error();
    tx.to = *to;
    U256 value;
    if (!(st = u256(value, "value"))) return st.error();
    tx.value = Wei(value);
    if (it[i].isList) return bad("data is a list");
    tx.data = it[i++].bytes;
    if (tx.type == TxType::eip1559) {
        if (!it[i].isList || !it[i].items.empty()) return bad("non-empty access lists are not supported");
        ++i;
    }
    U256 v;
    if (!(st = u256(v, "v"))) return st.error();
    auto r = toWord32(it[i++], "r");
    if (!r) return r.error();
    auto s = toWord32(it[i++], "s");
    if (!s) return s.error();

    unsigned yParity = 0;
    if (tx.type == TxType::eip1559) {
        if (v > 1) return bad("yParity over 1");
        yParity = static_cast<unsigned>(v);
    } else {
        if (v < 37) return bad("legacy transaction without EIP-155 replay protection");
        tx.chainId = (v - 35) / 2;
        yParity = static_cast<unsigned>((v - 35) % 2);
    }
    Signature sig{*r, *s, static_cast<std::uint8_t>(27 + yParity)};
    auto from = recoverAddress(signingHash(tx), sig);
    if (!from) return bad("signature does not recover: " + from.error().describe());
    SignedTransaction out{std::move(tx), sig, Bytes(raw.begin(), raw.end()), keccak256(raw), *from};
    return out;
}

Address contractAddress(const Address& sender, std::uint64_t nonce)
{
    const Hash32 h = keccak256(rlp::encodeList({rlp::encodeString(sender.view()), rlp::encodeUint(nonce)}));
    Address a;
    std::copy(h.bytes.begin() + 12, h.bytes.end(), a.bytes.begin());
    return a;
}

} // namespace pt::chain
