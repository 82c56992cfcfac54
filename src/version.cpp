#include "paytorrent/version.hpp"

namespace paytorrent {

const char* version() noexcept { return PT_VERSION; }

} // namespace paytorrent
