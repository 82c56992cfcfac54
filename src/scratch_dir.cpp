#include "scratch_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace paytorrent {

pt::Result<ScratchDir> ScratchDir::create(const std::filesystem::path& parent, std::string_view prefix)
{
    const auto fail = [](std::string message) { return pt::Error{std::make_error_code(std::errc::io_error), std::move(message)}; };
    std::error_code ec;
    const auto base = parent.empty() ? std::filesystem::temp_directory_path(ec) : parent;
    if (ec) return fail("no temporary directory: " + ec.message());
    std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr)
        return fail("cannot create a directory in " + base.string() + ": " + std::strerror(errno));
    return ScratchDir(pattern);
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

ScratchDir::~ScratchDir()
{
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

} // namespace paytorrent
