// SIGINT / SIGTERM as a flag a command's main loop polls.
#pragma once

namespace paytorrent::cli {

void installStopSignals();
[[nodiscard]] bool stopRequested() noexcept;

} // namespace paytorrent::cli
