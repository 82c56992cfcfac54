// A fresh directory for a benchmark's files, removed with everything in it when the object
// dies, on every path out of the benchmark.
#pragma once

#include "wallet/common/result.hpp"

#include <filesystem>
#include <string_view>

namespace paytorrent {

class ScratchDir {
public:
    // Creates `prefix` followed by six random characters under `parent`, which must exist
    // (the system's temporary directory when empty). Fails with std::errc::io_error.
    [[nodiscard]] static pt::Result<ScratchDir> create(const std::filesystem::path& parent, std::string_view prefix);

    ScratchDir(ScratchDir&& other) noexcept;
    ScratchDir& operator=(ScratchDir&&) = delete;
    ~ScratchDir();

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}
    std::filesystem::path path_;
};

} // namespace paytorrent
