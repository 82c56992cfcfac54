// Subcommands of paytorrent-cli. Each lives in its own cmd_*.cpp and registers itself with
// a static CommandRegistration, so adding a command touches no shared file.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace paytorrent::cli {

// Exit codes: 0 success, 1 the operation failed, 2 bad input or usage.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Adds a subcommand to `app`. The command's callback stores its exit code in `exitCode`.
using CommandSetup = std::function<void(CLI::App& app, int& exitCode)>;

struct CommandRegistration {
    CommandRegistration(std::string name, CommandSetup setup);
};

struct RegisteredCommand {
    std::string name;
    CommandSetup setup;
};
std::vector<RegisteredCommand>& registeredCommands();

} // namespace paytorrent::cli
