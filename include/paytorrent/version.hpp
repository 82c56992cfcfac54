#pragma once

namespace paytorrent {

// "0.1.0": the project version CMake was configured with.
const char* version() noexcept;

} // namespace paytorrent
