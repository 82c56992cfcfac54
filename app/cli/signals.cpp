#include "signals.hpp"

#include <atomic>
#include <csignal>

namespace paytorrent::cli {
namespace {

std::atomic<bool> stop_flag{false};

extern "C" void onStopSignal(int) { stop_flag.store(true); }

} // namespace

void installStopSignals()
{
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGTERM, onStopSignal);
}

bool stopRequested() noexcept { return stop_flag.load(); }

} // namespace paytorrent::cli
