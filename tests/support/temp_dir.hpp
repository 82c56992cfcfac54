// A temporary directory removed (recursively) when the object dies.
#pragma once

#include <filesystem>
#include <string>

namespace pt::test {

class TempDir {
public:
    explicit TempDir(const std::string& prefix = "paytorrent-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// A free TCP port on 127.0.0.1 (bound to port 0 and released; the caller retries on a race).
int freeLoopbackPort();

} // namespace pt::test
