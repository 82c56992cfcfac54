// JSON-RPC 2.0 over HTTP to an Ethereum node: the one place the wallet speaks to a socket.
// Synchronous (the engine thread calls it, never libtorrent's), with a deadline per attempt,
// bounded retries for connection failures, a response size and nesting limit, and typed
// errors (ChainError). One keep-alive connection per client, used by one call at a time.
#pragma once

#include "wallet/chain/chain_error.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace pt::chain {

// eth_getLogs over a wide range is the largest answer we ask for; 16 MiB holds tens of
// thousands of logs and still bounds what a hostile endpoint can make us buffer.
inline constexpr std::size_t default_max_response_bytes = 16 * 1024 * 1024;
// No honest JSON-RPC answer nests deeper than a handful of levels; the bound keeps
// nlohmann's recursive parser from exhausting the stack on "[[[[...".
inline constexpr std::size_t max_json_depth = 64;

// The transport the typed client sits on: a method and its params in, the `result` out, or
// a ChainError (JSON-RPC error objects are classified: reverted, insufficient_funds, ...).
class JsonRpcTransport {
public:
    virtual ~JsonRpcTransport() = default;
    [[nodiscard]] virtual Result<nlohmann::json> call(std::string_view method, nlohmann::json params) = 0;
};

struct HttpRpcOptions {
    std::chrono::milliseconds timeout{10'000};      // per attempt: connect + send + receive
    unsigned maxRetries = 2;                        // extra attempts after a connection failure
    std::chrono::milliseconds retryBackoff{200};    // doubled after each failed attempt
    std::size_t maxResponseBytes = default_max_response_bytes;
};

struct HttpEndpoint {
    std::string host;
    std::string port;
    std::string target; // path and query, at least "/"
};
// http://host[:port][/path]. https is not supported (a local or proxied node is expected).
[[nodiscard]] Result<HttpEndpoint> parseHttpUrl(std::string_view url);

// Turns a JSON-RPC error object into a typed error (reverted with the decoded reason,
// insufficient_funds, nonce_too_low, else rpc_error "code: message").
[[nodiscard]] Error classifyRpcError(const nlohmann::json& errorObject);
// Parses one JSON-RPC response body: checks size, nesting, shape and id; returns `result`.
[[nodiscard]] Result<nlohmann::json> parseRpcResponse(std::string_view body, std::uint64_t expectedId,
                                                      std::size_t maxBytes = default_max_response_bytes);

class HttpJsonRpc final : public JsonRpcTransport {
public:
    [[nodiscard]] static Result<std::unique_ptr<HttpJsonRpc>> connect(std::string_view url,
                                                                      HttpRpcOptions options = {});
    ~HttpJsonRpc() override;
    HttpJsonRpc(const HttpJsonRpc&) = delete;
    HttpJsonRpc& operator=(const HttpJsonRpc&) = delete;

    [[nodiscard]] Result<nlohmann::json> call(std::string_view method, nlohmann::json params) override;
    [[nodiscard]] const std::string& url() const noexcept { return url_; }

private:
    struct Connection;
    HttpJsonRpc(std::string url, HttpEndpoint endpoint, HttpRpcOptions options);
    // One HTTP exchange; `reused` says whether a kept-alive connection carried it.
    Result<std::string> post(const std::string& body, bool& reused);

    std::string url_;
    HttpEndpoint endpoint_;
    HttpRpcOptions options_;
    std::atomic<std::uint64_t> nextId_{1};
    std::mutex mutex_; // one request on the connection at a time
    std::unique_ptr<Connection> conn_;
};

} // namespace pt::chain
