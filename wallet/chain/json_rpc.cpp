#include "wallet/chain/json_rpc.hpp"

#include "wallet/abi/abi.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <optional>
#include <thread>

namespace pt::chain {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

// Error texts quoted from the endpoint are cut to this length so a hostile node cannot
// flood logs or UI with one message.
constexpr std::size_t max_quoted_message = 512;

std::string quote(std::string_view s)
{
    if (s.size() <= max_quoted_message) return std::string(s);
    return std::string(s.substr(0, max_quoted_message)) + "...";
}

bool containsIgnoreCase(std::string_view hay, std::string_view needle)
{
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           }) != hay.end();
}

// Depth of [ and { nesting outside strings; stops counting once over the limit.
bool nestingWithin(std::string_view text, std::size_t limit)
{
    std::size_t depth = 0;
    bool inString = false;
    bool escaped = false;
    for (char c : text) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
            continue;
        }
        if (c == '"') inString = true;
        else if (c == '[' || c == '{') {
            if (++depth > limit) return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return true;
}

// Transport failures worth another attempt: the endpoint was not there, or dropped us.
bool isConnectionFailure(const boost::system::error_code& ec)
{
    return ec == asio::error::connection_refused || ec == asio::error::connection_reset ||
           ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
           ec == asio::error::not_connected || ec == asio::error::host_not_found ||
           ec == asio::error::host_not_found_try_again || ec == asio::error::network_unreachable ||
           ec == asio::error::host_unreachable || ec == asio::error::eof || ec == http::error::end_of_stream ||
           ec == http::error::partial_message;
}

} // namespace

Result<HttpEndpoint> parseHttpUrl(std::string_view url)
{
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme) {
        if (url.substr(0, 8) == "https://")
            return makeError(ChainError::invalid_url, "https endpoints are not supported; use http:// (e.g. a local node)");
        return makeError(ChainError::invalid_url, "endpoint must start with http://: " + quote(url));
    }
    std::string_view rest = url.substr(scheme.size());
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    HttpEndpoint ep;
    ep.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.empty() || authority.find('@') != std::string_view::npos)
        return makeError(ChainError::invalid_url, "endpoint needs a host (and no user info): " + quote(url));
    if (authority.front() == '[') { // [v6]:port
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return makeError(ChainError::invalid_url, "unclosed IPv6 bracket");
        ep.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':')
            return makeError(ChainError::invalid_url, "unexpected text after the IPv6 host");
        ep.port = authority.empty() ? "80" : std::string(authority.substr(1));
    } else {
        const auto colon = authority.rfind(':');
        ep.host = std::string(authority.substr(0, colon));
        ep.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
    }
    if (ep.host.empty()) return makeError(ChainError::invalid_url, "empty host in " + quote(url));
    if (ep.port.empty() || ep.port.size() > 5 ||
        !std::all_of(ep.port.begin(), ep.port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(ep.port) == 0 || std::stoul(ep.port) > 65535)
        return makeError(ChainError::invalid_url, "invalid port in " + quote(url));
    return ep;
}

Error classifyRpcError(const json& err)
{
    if (!err.is_object() || !err.contains("message") || !err["message"].is_string())
        return makeError(ChainError::malformed_response, "JSON-RPC error without a message");
    const std::string message = err["message"].get<std::string>();
    const long long code = err.contains("code") && err["code"].is_number_integer() ? err["code"].get<long long>() : 0;
    std::optional<Bytes> revertData;
    if (err.contains("data")) {
        const json& d = err["data"];
        // Nodes put revert data either directly or as {"data": "0x..."} (some geth forks).
        const json* hex = d.is_string() ? &d : (d.is_object() && d.contains("data") && d["data"].is_string() ? &d["data"] : nullptr);
        if (hex) {
            auto raw = fromHex(hex->get<std::string>());
            if (raw) revertData = std::move(*raw);
        }
    }
    if (containsIgnoreCase(message, "insufficient funds"))
        return makeError(ChainError::insufficient_funds, quote(message));
    // A pending transaction from another process holding our nonce reads as "replacement
    // underpriced": for the sender it is the same situation as "nonce too low" (resync, retry).
    if (containsIgnoreCase(message, "nonce too low") || containsIgnoreCase(message, "nonce has already been used") ||
        containsIgnoreCase(message, "replacement transaction underpriced"))
        return makeError(ChainError::nonce_too_low, quote(message));
    if (code == 3 || revertData || containsIgnoreCase(message, "revert")) {
        // Prefer the node's revert data (decoded Error(string) / Panic) to its prose.
        return makeError(ChainError::reverted,
                         revertData && !revertData->empty() ? abi::describeRevert(*revertData) : quote(message));
    }
    return makeError(ChainError::rpc_error, "RPC error " + std::to_string(code) + ": " + quote(message));
}

Result<json> parseRpcResponse(std::string_view body, std::uint64_t expectedId, std::size_t maxBytes)
{
    if (body.size() > maxBytes)
        return makeError(ChainError::response_too_large, "response of " + std::to_string(body.size()) + " bytes");
    if (!nestingWithin(body, max_json_depth))
        return makeError(ChainError::response_too_large, "response nested deeper than " + std::to_string(max_json_depth));
    json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return makeError(ChainError::malformed_response, "response is not JSON");
    if (!doc.is_object()) return makeError(ChainError::malformed_response, "response is not a JSON object");
    if (!doc.contains("jsonrpc") || doc["jsonrpc"] != "2.0")
        return makeError(ChainError::malformed_response, "response is not JSON-RPC 2.0");
    if (!doc.contains("id") || !doc["id"].is_number_unsigned() || doc["id"].get<std::uint64_t>() != expectedId)
        return makeError(ChainError::malformed_response, "response id does not match the request");
    const bool hasResult = doc.contains("result");
    const bool hasError = doc.contains("error") && !doc["error"].is_null();
    if (hasError) return classifyRpcError(doc["error"]);
    if (!hasResult) return makeError(ChainError::malformed_response, "response has neither result nor error");
    return std::move(doc["result"]);
}

struct HttpJsonRpc::Connection {
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    bool open = false;

    void close()
    {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
        open = false;
    }

    // Runs the queued async operation to completion.
    void run()
    {
        ioc.restart();
        ioc.run();
    }
};

HttpJsonRpc::HttpJsonRpc(std::string url, HttpEndpoint endpoint, HttpRpcOptions options)
    : url_(std::move(url)), endpoint_(std::move(endpoint)), options_(options), conn_(std::make_unique<Connection>())
{
}

HttpJsonRpc::~HttpJsonRpc()
{
    if (conn_->open) conn_->close();
}

Result<std::unique_ptr<HttpJsonRpc>> HttpJsonRpc::connect(std::string_view url, HttpRpcOptions options)
{
    auto ep = parseHttpUrl(url);
    if (!ep) return ep.error();
    return std::unique_ptr<HttpJsonRpc>(new HttpJsonRpc(std::string(url), std::move(*ep), options));
}

Result<std::string> HttpJsonRpc::post(const std::string& body, bool& reused)
{
    Connection& c = *conn_;
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    boost::system::error_code ec;
    auto fail = [&](const boost::system::error_code& e, const char* stage) -> Error {
        c.close();
        if (e == beast::error::timeout || e == asio::error::operation_aborted)
            return makeError(ChainError::timeout, std::string(stage) + " " + url_ + ": no answer within " +
                                                      std::to_string(options_.timeout.count()) + " ms");
        if (e == http::error::body_limit || e == http::error::header_limit || e == http::error::buffer_overflow)
            return makeError(ChainError::response_too_large,
                             "response from " + url_ + " over " + std::to_string(options_.maxResponseBytes) + " bytes");
        if (isConnectionFailure(e))
            return makeError(ChainError::unreachable, std::string(stage) + " " + url_ + ": " + e.message());
        return makeError(ChainError::malformed_response, std::string(stage) + " " + url_ + ": " + e.message());
    };

    reused = c.open;
    if (!c.open) {
        tcp::resolver resolver(c.ioc);
        asio::steady_timer timer(c.ioc, deadline);
        tcp::resolver::results_type endpoints;
        bool resolved = false;
        timer.async_wait([&](const boost::system::error_code& e) {
            if (!e && !resolved) resolver.cancel();
        });
        resolver.async_resolve(endpoint_.host, endpoint_.port,
                               [&](const boost::system::error_code& e, tcp::resolver::results_type r) {
                                   resolved = true;
                                   ec = e;
                                   endpoints = std::move(r);
                                   timer.cancel();
                               });
        c.run();
        if (ec) return fail(ec, "resolving");
        c.stream.expires_at(deadline);
        c.stream.async_connect(endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) { ec = e; });
        c.run();
        if (ec) return fail(ec, "connecting to");
        c.open = true;
    }

    http::request<http::string_body> req{http::verb::post, endpoint_.target, 11};
    req.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();

    c.stream.expires_at(deadline);
    http::async_write(c.stream, req, [&](const boost::system::error_code& e, std::size_t) { ec = e; });
    c.run();
    if (ec) return fail(ec, "sending to");

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.maxResponseBytes);
    c.stream.expires_at(deadline);
    http::async_read(c.stream, buffer, parser, [&](const boost::system::error_code& e, std::size_t) { ec = e; });
    c.run();
    if (ec) return fail(ec, "reading from");

    auto res = parser.release();
    if (!res.keep_alive()) c.close();
    const unsigned status = res.result_int();
    // Some endpoints answer JSON-RPC errors with 4xx/5xx and a JSON-RPC body: let the body speak.
    if (status != 200 && (res.body().empty() || res.body().front() != '{'))
        return makeError(ChainError::malformed_response, "HTTP status " + std::to_string(status) + " from " + url_);
    return std::move(res.body());
}

Result<json> HttpJsonRpc::call(std::string_view method, json params)
{
    const std::uint64_t id = nextId_++;
    const json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    const std::string body = request.dump();

    std::lock_guard lock(mutex_);
    auto backoff = options_.retryBackoff;
    for (unsigned attempt = 0;; ++attempt) {
        bool reused = false;
        auto raw = post(body, reused);
        if (raw) return parseRpcResponse(*raw, id, options_.maxResponseBytes);
        const bool retryable = raw.error().code == ChainError::unreachable;
        // A kept-alive connection the server closed meanwhile is not a failure of the endpoint:
        // reconnect at once, without spending a retry.
        if (retryable && reused) {
            --attempt;
            continue;
        }
        if (!retryable || attempt >= options_.maxRetries) return raw.error();
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
    }
}

} // namespace pt::chain
