#include "wallet/chain/json_rpc.hpp"
#include "wallet/chain/rpc_eth_client.hpp"

#include "fake_http_server.hpp"

#include "support/temp_dir.hpp"
#include "wallet/abi/abi.hpp"

#include <gtest/gtest.h>

namespace pt::chain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string reply(std::uint64_t id, const json& result)
{
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump();
}

std::string errorReply(std::uint64_t id, const json& error)
{
    return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", error}}.dump();
}

HttpRpcOptions fastOptions()
{
    HttpRpcOptions o;
    o.timeout = 2000ms;
    o.maxRetries = 2;
    o.retryBackoff = 10ms;
    return o;
}

TEST(HttpUrl, ParsesHostPortAndPath)
{
    auto a = parseHttpUrl("http://127.0.0.1:8545");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "127.0.0.1");
    EXPECT_EQ(a->port, "8545");
    EXPECT_EQ(a->target, "/");
    auto b = parseHttpUrl("http://node.example/rpc/v1?key=x");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->port, "80");
    EXPECT_EQ(b->target, "/rpc/v1?key=x");
    auto c = parseHttpUrl("http://[::1]:9000/");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->host, "::1");
    EXPECT_EQ(c->port, "9000");
    for (const char* badUrl : {"https://x", "ftp://x", "http://", "http://:80", "http://h:0", "http://h:99999",
                               "http://h:8a", "http://user@h/", "127.0.0.1:8545"}) {
        auto r = parseHttpUrl(badUrl);
        ASSERT_FALSE(r) << badUrl;
        EXPECT_EQ(r.error().code, ChainError::invalid_url) << badUrl;
    }
}

TEST(RpcResponse, ReturnsResultOfMatchingId)
{
    auto r = parseRpcResponse(reply(7, "0x2a"), 7);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "0x2a");
    EXPECT_EQ(parseRpcResponse(reply(8, "0x2a"), 7).error().code, ChainError::malformed_response);
    EXPECT_EQ(parseRpcResponse("not json", 1).error().code, ChainError::malformed_response);
    EXPECT_EQ(parseRpcResponse("[1,2]", 1).error().code, ChainError::malformed_response);
    EXPECT_EQ(parseRpcResponse(R"({"id":1,"result":"0x1"})", 1).error().code, ChainError::malformed_response);
    EXPECT_EQ(parseRpcResponse(R"({"jsonrpc":"2.0","id":1})", 1).error().code, ChainError::malformed_response);
    // A null result is a result (eth_getTransactionReceipt of a pending transaction).
    auto nullResult = parseRpcResponse(R"({"jsonrpc":"2.0","id":1,"result":null})", 1);
    ASSERT_TRUE(nullResult);
    EXPECT_TRUE(nullResult->is_null());
}

TEST(RpcResponse, BoundsSizeAndNesting)
{
    EXPECT_EQ(parseRpcResponse(reply(1, std::string(2000, 'a')), 1, 1000).error().code, ChainError::response_too_large);
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string body = R"({"jsonrpc":"2.0","id":1,"result":)" + deep + "}";
    EXPECT_EQ(parseRpcResponse(body, 1).error().code, ChainError::response_too_large);
    // Brackets inside strings do not count.
    EXPECT_TRUE(parseRpcResponse(reply(1, std::string(1000, '[')), 1));
}

TEST(RpcResponse, ClassifiesErrorObjects)
{
    auto generic = parseRpcResponse(errorReply(1, {{"code", -32601}, {"message", "Method not found"}}), 1);
    ASSERT_FALSE(generic);
    EXPECT_EQ(generic.error().code, ChainError::rpc_error);
    EXPECT_NE(generic.error().message.find("-32601"), std::string::npos);
    EXPECT_NE(generic.error().message.find("Method not found"), std::string::npos);

    const Bytes revertData = abi::encodeCall("Error(string)", {abi::Value::string("Channel finalized.")});
    auto reverted = parseRpcResponse(
        errorReply(1, {{"code", 3}, {"message", "execution reverted: Channel finalized."}, {"data", toHex(revertData)}}), 1);
    ASSERT_FALSE(reverted);
    EXPECT_EQ(reverted.error().code, ChainError::reverted);
    EXPECT_NE(reverted.error().message.find("Channel finalized."), std::string::npos);

    auto funds = parseRpcResponse(
        errorReply(1, {{"code", -32003}, {"message", "Insufficient funds for gas * price + value"}}), 1);
    EXPECT_EQ(funds.error().code, ChainError::insufficient_funds);
    auto nonce = parseRpcResponse(errorReply(1, {{"code", -32003}, {"message", "nonce too low"}}), 1);
    EXPECT_EQ(nonce.error().code, ChainError::nonce_too_low);
    auto noMessage = parseRpcResponse(errorReply(1, {{"code", 1}}), 1);
    EXPECT_EQ(noMessage.error().code, ChainError::malformed_response);
}

TEST(HttpJsonRpc, CallsAndParsesAResult)
{
    test::FakeHttpServer server([](const std::string& body) {
        const auto req = json::parse(body);
        EXPECT_EQ(req["method"], "eth_chainId");
        EXPECT_EQ(req["jsonrpc"], "2.0");
        return test::FakeReply{200, reply(req["id"].get<std::uint64_t>(), "0x7a69")};
    });
    auto rpc = RpcEthClient::connect(server.url(), U256(31337), fastOptions());
    ASSERT_TRUE(rpc) << rpc.error().describe();
    auto id = (*rpc)->chainId();
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 31337);
}

TEST(HttpJsonRpc, WrongChainIdIsRefused)
{
    test::FakeHttpServer server([](const std::string& body) {
        return test::FakeReply{200, reply(test::requestId(body), "0x1")};
    });
    auto rpc = RpcEthClient::connect(server.url(), U256(31337), fastOptions());
    ASSERT_FALSE(rpc);
    EXPECT_EQ(rpc.error().code, ChainError::wrong_chain_id);
    EXPECT_NE(rpc.error().message.find("31337"), std::string::npos);
}

TEST(HttpJsonRpc, MalformedResponsesGiveTypedErrors)
{
    std::string nextBody;
    unsigned nextStatus = 200;
    test::FakeHttpServer server([&](const std::string&) { return test::FakeReply{nextStatus, nextBody}; });
    auto transport = HttpJsonRpc::connect(server.url(), fastOptions());
    ASSERT_TRUE(transport);
    RpcEthClient client(std::shared_ptr<JsonRpcTransport>(std::move(*transport)));

    nextBody = "<html>hello</html>";
    EXPECT_EQ(client.blockNumber().error().code, ChainError::malformed_response);
    nextStatus = 502;
    nextBody = "Bad Gateway";
    auto gateway = client.blockNumber();
    EXPECT_EQ(gateway.error().code, ChainError::malformed_response);
    EXPECT_NE(gateway.error().message.find("502"), std::string::npos);
    nextStatus = 200;
    // Well-formed JSON-RPC, but the id of another request.
    nextBody = reply(999999, "0x1");
    EXPECT_EQ(client.blockNumber().error().code, ChainError::malformed_response);
}

TEST(HttpJsonRpc, MalformedFieldsInResultsGiveTypedErrors)
{
    json nextResult;
    test::FakeHttpServer server([&](const std::string& body) {
        return test::FakeReply{200, reply(test::requestId(body), nextResult)};
    });
    auto rpc = RpcEthClient::connect(server.url(), std::nullopt, fastOptions());
    ASSERT_TRUE(rpc);
    RpcEthClient& client = **rpc;
    const auto who = Address::fromHex("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").value();

    nextResult = 42; // a number, not a hex quantity
    EXPECT_EQ(client.blockNumber().error().code, ChainError::malformed_response);
    nextResult = "0x" + std::string(65, 'f'); // over 256 bits
    EXPECT_EQ(client.getBalance(who, BlockTag::latest()).error().code, ChainError::malformed_response);
    nextResult = "0x1ffffffffffffffff"; // over 64 bits for a count
    EXPECT_EQ(client.getTransactionCount(who, BlockTag::pending()).error().code, ChainError::malformed_response);
    nextResult = "0xzz";
    EXPECT_EQ(client.call({}, BlockTag::latest()).error().code, ChainError::malformed_response);
    nextResult = "0x1234"; // a hash of two bytes
    EXPECT_EQ(client.sendRawTransaction(Bytes{1}).error().code, ChainError::malformed_response);
    nextResult = json{{"transactionHash", Hash32{}.hex()}}; // a receipt without its fields
    EXPECT_EQ(client.getTransactionReceipt(Hash32{}).error().code, ChainError::malformed_response);
    nextResult = json::array({json{{"address", "0x12"}}});
    EXPECT_EQ(client.getLogs({}).error().code, ChainError::malformed_response);
    nextResult = nullptr; // receipt of an unknown transaction: none, not an error
    auto none = client.getTransactionReceipt(Hash32{});
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
}

TEST(HttpJsonRpc, OversizedResponseIsCutOff)
{
    test::FakeHttpServer server([](const std::string& body) {
        return test::FakeReply{200, reply(test::requestId(body), "0x" + std::string(100000, '0'))};
    });
    HttpRpcOptions o = fastOptions();
    o.maxResponseBytes = 4096;
    auto transport = HttpJsonRpc::connect(server.url(), o);
    ASSERT_TRUE(transport);
    auto r = (*transport)->call("eth_blockNumber", json::array());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ChainError::response_too_large);
}

TEST(HttpJsonRpc, SlowEndpointTimesOutWithoutRetrying)
{
    test::FakeHttpServer server([](const std::string& body) {
        return test::FakeReply{200, reply(test::requestId(body), "0x1"), 600ms};
    });
    HttpRpcOptions o = fastOptions();
    o.timeout = 150ms;
    auto transport = HttpJsonRpc::connect(server.url(), o);
    ASSERT_TRUE(transport);
    const auto start = std::chrono::steady_clock::now();
    auto r = (*transport)->call("eth_blockNumber", json::array());
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ChainError::timeout);
    EXPECT_LT(took, 500ms);
    EXPECT_EQ(server.requests(), 1);
}

TEST(HttpJsonRpc, DroppedConnectionsAreRetriedAFewTimes)
{
    test::FakeHttpServer server([](const std::string&) {
        test::FakeReply r;
        r.drop = true;
        return r;
    });
    auto transport = HttpJsonRpc::connect(server.url(), fastOptions());
    ASSERT_TRUE(transport);
    auto r = (*transport)->call("eth_blockNumber", json::array());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ChainError::unreachable);
    EXPECT_EQ(server.requests(), 3); // the first attempt and maxRetries = 2
}

TEST(HttpJsonRpc, RecoversWhenTheEndpointComesBack)
{
    int calls = 0;
    test::FakeHttpServer server([&](const std::string& body) {
        test::FakeReply r{200, reply(test::requestId(body), "0x5")};
        r.drop = ++calls < 2;
        return r;
    });
    auto transport = HttpJsonRpc::connect(server.url(), fastOptions());
    ASSERT_TRUE(transport);
    auto r = (*transport)->call("eth_blockNumber", json::array());
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(*r, "0x5");
}

TEST(HttpJsonRpc, UnreachableEndpoint)
{
    const int port = test::freeLoopbackPort(); // nobody listens there
    HttpRpcOptions o = fastOptions();
    auto rpc = RpcEthClient::connect("http://127.0.0.1:" + std::to_string(port), std::nullopt, o);
    ASSERT_TRUE(rpc);
    auto id = (*rpc)->chainId();
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, ChainError::unreachable);
    EXPECT_NE(id.error().message.find(std::to_string(port)), std::string::npos);
}

} // namespace
} // namespace pt::chain
