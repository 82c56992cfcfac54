// Small helpers for tests that move files around: random content, whole-file reads, and
// waiting for a condition with a bound.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

namespace pt::test {

// Writes `size` pseudo-random bytes (from `seed`) to `path` and returns them.
inline std::string writeRandomFile(const std::filesystem::path& path, std::size_t size, unsigned seed)
{
    std::mt19937_64 rng(seed);
    std::string data(size, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    return data;
}

inline std::string readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Polls `pred` every 50 ms until it holds (true) or `limit` passes (false).
template <class Pred>
bool waitFor(Pred pred, std::chrono::milliseconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
}

} // namespace pt::test
