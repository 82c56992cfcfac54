// paytorrent-cli: the headless front end. Everything the desktop app does, with --json.
#include "command.hpp"

#include "paytorrent/version.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

namespace paytorrent::cli {

std::vector<RegisteredCommand>& registeredCommands()
{
    static std::vector<RegisteredCommand> commands;
    return commands;
}

CommandRegistration::CommandRegistration(std::string name, CommandSetup setup)
{
    registeredCommands().push_back({std::move(name), std::move(setup)});
}

} // namespace paytorrent::cli

int main(int argc, char** argv)
{
    using namespace paytorrent::cli;
    // The core's log (warnings about peers, PAYTORRENT_LOG=debug) goes to stderr: stdout is
    // for results, which --json makes one JSON document.
    spdlog::set_default_logger(spdlog::stderr_color_mt("paytorrent"));
    CLI::App app{"PayTorrent: BitTorrent where seeding earns and downloading pays, over Nitro payment channels"};
    app.set_version_flag("--version", paytorrent::version());
    app.require_subcommand(1);

    int exitCode = exit_ok;
    auto commands = registeredCommands();
    std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (auto& c : commands) c.setup(app, exitCode);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_ok : exit_usage;
    }
    return exitCode;
}
