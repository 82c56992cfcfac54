#include "wallet/chain/rpc_eth_client.hpp"

#include <thread>

namespace pt::chain {

using nlohmann::json;

namespace json_value {
namespace {

Error bad(const char* what, const std::string& why)
{
    return makeError(ChainError::malformed_response, std::string(what) + ": " + why);
}

const json* field(const json& obj, const char* name)
{
    auto it = obj.find(name);
    return it == obj.end() ? nullptr : &*it;
}

} // namespace

Result<U256> quantity(const json& v, const char* what)
{
    if (!v.is_string()) return bad(what, "expected a hex quantity string");
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() > 2 + 64)
        return bad(what, "not a 0x-prefixed quantity of at most 256 bits");
    U256 out = 0;
    for (std::size_t i = 2; i < s.size(); ++i) {
        const char c = s[i];
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        if (d < 0) return bad(what, "not a hex digit in quantity");
        out = (out << 4) | d;
    }
    return out;
}

Result<std::uint64_t> quantity64(const json& v, const char* what)
{
    auto q = quantity(v, what);
    if (!q) return q.error();
    if (*q > std::numeric_limits<std::uint64_t>::max()) return bad(what, "quantity over 64 bits");
    return static_cast<std::uint64_t>(*q);
}

Result<Bytes> data(const json& v, const char* what)
{
    if (!v.is_string()) return bad(what, "expected hex data");
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return bad(what, "hex data without 0x");
    auto b = fromHex(s);
    if (!b) return bad(what, b.error().describe());
    return b;
}

Result<Hash32> hash(const json& v, const char* what)
{
    auto b = data(v, what);
    if (!b) return b.error();
    auto h = Hash32::fromView(*b);
    if (!h) return bad(what, "expected 32 bytes");
    return h;
}

Result<Address> address(const json& v, const char* what)
{
    auto b = data(v, what);
    if (!b) return b.error();
    auto a = FixedBytes<20>::fromView(*b);
    if (!a) return bad(what, "expected 20 bytes");
    return Address(*a);
}

std::string quantityHex(const U256& v)
{
    return Wei(v).toHex();
}

Result<Log> log(const json& v)
{
    if (!v.is_object()) return bad("log", "not an object");
    Log out;
    const json* f = nullptr;
    if (!(f = field(v, "address"))) return bad("log", "no address");
    auto a = address(*f, "log.address");
    if (!a) return a.error();
    out.address = *a;
    if (!(f = field(v, "topics")) || !f->is_array()) return bad("log", "no topics array");
    if (f->size() > 4) return bad("log", "more than four topics");
    for (const auto& t : *f) {
        auto h = hash(t, "log.topics");
        if (!h) return h.error();
        out.topics.push_back(*h);
    }
    if (!(f = field(v, "data"))) return bad("log", "no data");
    auto d = data(*f, "log.data");
    if (!d) return d.error();
    out.data = std::move(*d);
    // Pending logs carry nulls for their position; only mined ones are asked for here.
    if ((f = field(v, "blockNumber")) && !f->is_null()) {
        auto n = quantity64(*f, "log.blockNumber");
        if (!n) return n.error();
        out.blockNumber = *n;
    }
    if ((f = field(v, "blockHash")) && !f->is_null()) {
        auto h = hash(*f, "log.blockHash");
        if (!h) return h.error();
        out.blockHash = *h;
    }
    if ((f = field(v, "transactionHash")) && !f->is_null()) {
        auto h = hash(*f, "log.transactionHash");
        if (!h) return h.error();
        out.transactionHash = *h;
    }
    if ((f = field(v, "logIndex")) && !f->is_null()) {
        auto n = quantity64(*f, "log.logIndex");
        if (!n) return n.error();
        out.logIndex = *n;
    }
    if ((f = field(v, "removed")) && f->is_boolean()) out.removed = f->get<bool>();
    return out;
}

Result<Receipt> receipt(const json& v)
{
    if (!v.is_object()) return bad("receipt", "not an object");
    Receipt r;
    const json* f = nullptr;
    if (!(f = field(v, "transactionHash"))) return bad("receipt", "no transactionHash");
    auto h = hash(*f, "receipt.transactionHash");
    if (!h) return h.error();
    r.transactionHash = *h;
    if (!(f = field(v, "blockNumber"))) return bad("receipt", "no blockNumber");
    auto bn = quantity64(*f, "receipt.blockNumber");
    if (!bn) return bn.error();
    r.blockNumber = *bn;
    if ((f = field(v, "blockHash")) && !f->is_null()) {
        auto bh = hash(*f, "receipt.blockHash");
        if (!bh) return bh.error();
        r.blockHash = *bh;
    }
    if (!(f = field(v, "status"))) return bad("receipt", "no status (pre-Byzantium receipts are not supported)");
    auto st = quantity64(*f, "receipt.status");
    if (!st) return st.error();
    if (*st > 1) return bad("receipt", "status is neither 0 nor 1");
    r.success = *st == 1;
    if (!(f = field(v, "gasUsed"))) return bad("receipt", "no gasUsed");
    auto gu = quantity64(*f, "receipt.gasUsed");
    if (!gu) return gu.error();
    r.gasUsed = *gu;
    if (!(f = field(v, "effectiveGasPrice"))) return bad("receipt", "no effectiveGasPrice");
    auto gp = quantity(*f, "receipt.effectiveGasPrice");
    if (!gp) return gp.error();
    r.effectiveGasPrice = *gp;
    if (!(f = field(v, "from"))) return bad("receipt", "no from");
    auto from = address(*f, "receipt.from");
    if (!from) return from.error();
    r.from = *from;
    if ((f = field(v, "to")) && !f->is_null()) {
        auto to = address(*f, "receipt.to");
        if (!to) return to.error();
        r.to = *to;
    }
    if ((f = field(v, "contractAddress")) && !f->is_null()) {
        auto ca = address(*f, "receipt.contractAddress");
        if (!ca) return ca.error();
        r.contractAddress = *ca;
    }
    if ((f = field(v, "logs"))) {
        if (!f->is_array()) return bad("receipt", "logs is not an array");
        for (const auto& l : *f) {
            auto parsed = log(l);
            if (!parsed) return parsed.error();
            r.logs.push_back(std::move(*parsed));
        }
    }
    return r;
}

} // namespace json_value

namespace {

json callObject(const CallRequest& req)
{
    json o = json::object();
    if (req.from) o["from"] = req.from->hex();
    if (req.to) o["to"] = req.to->hex();
    if (req.value.value() != 0) o["value"] = req.value.toHex();
    o["data"] = toHex(req.data); // "data" rather than "input": every node version takes it
    if (req.gas) o["gas"] = json_value::quantityHex(*req.gas);
    return o;
}

} // namespace

BlockTag BlockTag::number(std::uint64_t n)
{
    return BlockTag(json_value::quantityHex(n));
}

Result<std::shared_ptr<RpcEthClient>> RpcEthClient::connect(std::string_view url, std::optional<U256> expectedChainId,
                                                            HttpRpcOptions options)
{
    auto transport = HttpJsonRpc::connect(url, options);
    if (!transport) return transport.error();
    auto client = std::make_shared<RpcEthClient>(std::shared_ptr<JsonRpcTransport>(std::move(*transport)));
    if (expectedChainId) {
        auto st = checkChainId(*client, *expectedChainId);
        if (!st) return st.error();
    }
    return client;
}

Result<U256> RpcEthClient::chainId()
{
    auto r = t_->call("eth_chainId", json::array());
    if (!r) return r.error();
    return json_value::quantity(*r, "eth_chainId");
}

Result<std::string> RpcEthClient::clientVersion()
{
    // A name and version: anything longer than this is not one.
    constexpr std::size_t max_version_length = 256;
    auto r = t_->call("web3_clientVersion", json::array());
    if (!r) return r.error();
    if (!r->is_string() || r->get_ref<const std::string&>().size() > max_version_length)
        return makeError(ChainError::malformed_response, "web3_clientVersion: not a short string");
    return r->get<std::string>();
}

Result<std::uint64_t> RpcEthClient::blockNumber()
{
    auto r = t_->call("eth_blockNumber", json::array());
    if (!r) return r.error();
    return json_value::quantity64(*r, "eth_blockNumber");
}

Result<Block> RpcEthClient::getBlock(const BlockTag& tag)
{
    auto r = t_->call("eth_getBlockByNumber", json::array({tag.text(), false}));
    if (!r) return r.error();
    if (!r->is_object()) return makeError(ChainError::malformed_response, "eth_getBlockByNumber: no such block");
    Block b;
    const json& o = *r;
    if (!o.contains("number") || !o.contains("hash") || !o.contains("timestamp") || !o.contains("gasLimit"))
        return makeError(ChainError::malformed_response, "eth_getBlockByNumber: missing fields");
    auto n = json_value::quantity64(o["number"], "block.number");
    if (!n) return n.error();
    b.number = *n;
    auto h = json_value::hash(o["hash"], "block.hash");
    if (!h) return h.error();
    b.hash = *h;
    auto ts = json_value::quantity64(o["timestamp"], "block.timestamp");
    if (!ts) return ts.error();
    b.timestamp = *ts;
    auto gl = json_value::quantity64(o["gasLimit"], "block.gasLimit");
    if (!gl) return gl.error();
    b.gasLimit = *gl;
    if (o.contains("baseFeePerGas") && !o["baseFeePerGas"].is_null()) {
        auto bf = json_value::quantity(o["baseFeePerGas"], "block.baseFeePerGas");
        if (!bf) return bf.error();
        b.baseFeePerGas = *bf;
    }
    return b;
}

Result<Wei> RpcEthClient::getBalance(const Address& who, const BlockTag& tag)
{
    auto r = t_->call("eth_getBalance", json::array({who.hex(), tag.text()}));
    if (!r) return r.error();
    auto q = json_value::quantity(*r, "eth_getBalance");
    if (!q) return q.error();
    return Wei(*q);
}

Result<std::uint64_t> RpcEthClient::getTransactionCount(const Address& who, const BlockTag& tag)
{
    auto r = t_->call("eth_getTransactionCount", json::array({who.hex(), tag.text()}));
    if (!r) return r.error();
    return json_value::quantity64(*r, "eth_getTransactionCount");
}

Result<Bytes> RpcEthClient::getCode(const Address& who, const BlockTag& tag)
{
    auto r = t_->call("eth_getCode", json::array({who.hex(), tag.text()}));
    if (!r) return r.error();
    return json_value::data(*r, "eth_getCode");
}

Result<std::uint64_t> RpcEthClient::estimateGas(const CallRequest& req)
{
    auto r = t_->call("eth_estimateGas", json::array({callObject(req)}));
    if (!r) return r.error();
    return json_value::quantity64(*r, "eth_estimateGas");
}

Result<U256> RpcEthClient::gasPrice()
{
    auto r = t_->call("eth_gasPrice", json::array());
    if (!r) return r.error();
    return json_value::quantity(*r, "eth_gasPrice");
}

Result<U256> RpcEthClient::maxPriorityFeePerGas()
{
    auto r = t_->call("eth_maxPriorityFeePerGas", json::array());
    if (!r) return r.error();
    return json_value::quantity(*r, "eth_maxPriorityFeePerGas");
}

Result<U256> RpcEthClient::nextBaseFee()
{
    auto r = t_->call("eth_feeHistory", json::array({"0x1", "latest", json::array()}));
    if (!r) return r.error();
    // baseFeePerGas has one entry per block asked for, plus the next block's: take the last.
    if (!r->is_object() || !r->contains("baseFeePerGas") || !(*r)["baseFeePerGas"].is_array() ||
        (*r)["baseFeePerGas"].empty())
        return makeError(ChainError::malformed_response, "eth_feeHistory: no baseFeePerGas");
    return json_value::quantity((*r)["baseFeePerGas"].back(), "eth_feeHistory.baseFeePerGas");
}

Result<Hash32> RpcEthClient::sendRawTransaction(ByteView raw)
{
    auto r = t_->call("eth_sendRawTransaction", json::array({toHex(raw)}));
    if (!r) return r.error();
    return json_value::hash(*r, "eth_sendRawTransaction");
}

Result<std::optional<Receipt>> RpcEthClient::getTransactionReceipt(const Hash32& tx)
{
    auto r = t_->call("eth_getTransactionReceipt", json::array({tx.hex()}));
    if (!r) return r.error();
    if (r->is_null()) return std::optional<Receipt>{};
    auto rec = json_value::receipt(*r);
    if (!rec) return rec.error();
    if (rec->transactionHash != tx)
        return makeError(ChainError::malformed_response, "receipt for another transaction");
    return std::optional<Receipt>{std::move(*rec)};
}

Result<Bytes> RpcEthClient::call(const CallRequest& req, const BlockTag& tag)
{
    auto r = t_->call("eth_call", json::array({callObject(req), tag.text()}));
    if (!r) return r.error();
    return json_value::data(*r, "eth_call");
}

Result<std::vector<Log>> RpcEthClient::getLogs(const LogFilter& filter)
{
    json f = json::object();
    f["fromBlock"] = json_value::quantityHex(filter.fromBlock);
    f["toBlock"] = filter.toBlock ? json_value::quantityHex(*filter.toBlock) : std::string("latest");
    if (!filter.addresses.empty()) {
        json a = json::array();
        for (const auto& addr : filter.addresses) a.push_back(addr.hex());
        f["address"] = std::move(a);
    }
    if (!filter.topics.empty()) {
        json topics = json::array();
        for (const auto& position : filter.topics) {
            if (position.empty()) {
                topics.push_back(nullptr);
                continue;
            }
            json any = json::array();
            for (const auto& t : position) any.push_back(t.hex());
            topics.push_back(std::move(any));
        }
        f["topics"] = std::move(topics);
    }
    auto r = t_->call("eth_getLogs", json::array({std::move(f)}));
    if (!r) return r.error();
    if (!r->is_array()) return makeError(ChainError::malformed_response, "eth_getLogs: not an array");
    std::vector<Log> out;
    out.reserve(r->size());
    for (const auto& l : *r) {
        auto parsed = json_value::log(l);
        if (!parsed) return parsed.error();
        out.push_back(std::move(*parsed));
    }
    return out;
}

Status RpcEthClient::increaseTime(std::uint64_t seconds)
{
    auto r = t_->call("evm_increaseTime", json::array({json_value::quantityHex(seconds)}));
    if (!r) return r.error();
    return {};
}

Status RpcEthClient::mine()
{
    auto r = t_->call("evm_mine", json::array());
    if (!r) return r.error();
    return {};
}

Status RpcEthClient::setBalance(const Address& who, const Wei& amount)
{
    auto r = t_->call("anvil_setBalance", json::array({who.hex(), amount.toHex()}));
    if (!r) return r.error();
    return {};
}

Status checkChainId(EthRpc& rpc, const U256& expected)
{
    auto id = rpc.chainId();
    if (!id) return id.error();
    if (*id != expected)
        return makeError(ChainError::wrong_chain_id, "the endpoint serves chain " + id->str() +
                                                         " but the configuration says " + expected.str());
    return {};
}

Result<Receipt> waitForReceipt(EthRpc& rpc, const Hash32& tx, std::chrono::milliseconds timeout,
                               std::chrono::milliseconds pollInterval)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto r = rpc.getTransactionReceipt(tx);
        if (!r) return r.error();
        if (*r) return std::move(**r);
        if (std::chrono::steady_clock::now() >= deadline)
            return makeError(ChainError::receipt_timeout, "transaction " + tx.hex() + " not mined within " +
                                                              std::to_string(timeout.count()) + " ms");
        std::this_thread::sleep_for(pollInterval);
    }
}

} // namespace pt::chain
