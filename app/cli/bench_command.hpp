// Subcommands of `paytorrent-cli bench`. Like the top-level commands, each lives in its own
// file and registers itself, so adding a benchmark (`bench transfer`, `bench chain`) touches
// no shared file: cmd_bench.cpp creates `bench` and hands it to every registered setup.
#pragma once

#include "command.hpp"

#include <string>
#include <vector>

namespace paytorrent::cli {

// Adds one benchmark to `bench` (the CLI::App of the `bench` command).
struct BenchRegistration {
    BenchRegistration(std::string name, CommandSetup setup);
};

std::vector<RegisteredCommand>& registeredBenchmarks();

} // namespace paytorrent::cli
