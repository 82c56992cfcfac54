// A tiny HTTP server on a free loopback port for the JSON-RPC client's failure tests: each
// request gets whatever the test's handler says (any body, a status, a delay, or a dropped
// connection). One connection at a time; every answer closes the connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace pt::test {

struct FakeReply {
    unsigned status = 200;
    std::string body;
    std::chrono::milliseconds delay{0}; // before answering
    bool drop = false;                  // close without answering
    std::string contentType = "application/json";
};

class FakeHttpServer {
public:
    using Handler = std::function<FakeReply(const std::string& requestBody)>;

    explicit FakeHttpServer(Handler handler)
        : handler_(std::move(handler)), acceptor_(ioc_, {boost::asio::ip::address_v4::loopback(), 0})
    {
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] { serve(); });
    }

    ~FakeHttpServer()
    {
        stopping_ = true;
        // Unblock accept() with a connection of our own.
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket poke(ioc_);
        poke.connect({boost::asio::ip::address_v4::loopback(), port_}, ec);
        thread_.join();
    }

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
    [[nodiscard]] int requests() const { return requests_.load(); }

private:
    void serve()
    {
        namespace http = boost::beast::http;
        while (!stopping_) {
            boost::asio::ip::tcp::socket socket(ioc_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stopping_) continue;
            boost::beast::flat_buffer buffer;
            http::request<http::string_body> req;
            http::read(socket, buffer, req, ec);
            if (ec) continue;
            ++requests_;
            const FakeReply reply = handler_(req.body());
            if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
            if (reply.drop) continue; // the socket closes when it goes out of scope
            http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
            res.set(http::field::content_type, reply.contentType);
            res.keep_alive(false);
            res.body() = reply.body;
            res.prepare_payload();
            http::write(socket, res, ec);
            socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        }
    }

    Handler handler_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> requests_{0};
    std::thread thread_;
};

// The id of a JSON-RPC request body (for handlers that answer correctly shaped replies).
inline std::uint64_t requestId(const std::string& body)
{
    const auto j = nlohmann::json::parse(body, nullptr, false);
    return j.is_object() && j.contains("id") && j["id"].is_number_unsigned() ? j["id"].get<std::uint64_t>() : 0;
}

} // namespace pt::test
