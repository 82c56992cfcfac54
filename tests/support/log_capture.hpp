// Captures what the core logs through spdlog's default logger, for tests to read from their
// own thread. The test binary must link spdlog::spdlog as the core does, so that both use
// one logger registry.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pt::test {

class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> lines()
    {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    bool contains(std::string_view text)
    {
        const auto all = lines();
        return std::any_of(all.begin(), all.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override { lines_.emplace_back(msg.payload.begin(), msg.payload.end()); }
    void flush_() override {}

private:
    std::vector<std::string> lines_;
};

// While it lives, the default logger writes every line (debug and up) to `sink` only.
class LogCapture {
public:
    LogCapture()
    {
        auto logger = std::make_shared<spdlog::logger>("test-capture", sink);
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(std::move(logger));
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    const std::shared_ptr<CapturingSink> sink = std::make_shared<CapturingSink>();

private:
    std::shared_ptr<spdlog::logger> previous_ = spdlog::default_logger();
};

} // namespace pt::test
