// `paytorrent-cli nitro hash [--sign-key HEX]`: the developer's tool for debugging Nitro
// states, like `cast` is for Ethereum. Reads one state (nitro-protocol's State JSON) from
// standard input, prints its channel id and hashes (and signature) as one JSON object.
#include "command.hpp"

#include "paytorrent/devtools.hpp"

#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace paytorrent::cli {
namespace {

// Reads standard input up to one byte past the limit, so oversize input is detected
// without being held in memory.
std::optional<std::string> readBoundedStdin(std::size_t limit)
{
    std::string text;
    char buf[8192];
    while (text.size() <= limit) {
        std::cin.read(buf, sizeof buf);
        const auto got = std::cin.gcount();
        if (got <= 0) break;
        text.append(buf, static_cast<std::size_t>(got));
    }
    if (text.size() > limit) return std::nullopt;
    return text;
}

const CommandRegistration nitro_command{"nitro", [](CLI::App& app, int& exitCode) {
    CLI::App* nitro = app.add_subcommand("nitro", "Nitro state channel tools (nitro-protocol 0.17.3)");
    nitro->require_subcommand(1);

    auto key = std::make_shared<std::string>();
    CLI::App* hash = nitro->add_subcommand(
        "hash", "Read one State JSON from stdin; print channelId, appPartHash, outcomeHash, stateHash "
                "(and a signature with --sign-key) as one JSON object");
    CLI::Option* keyOption =
        hash->add_option("--sign-key", *key, "32-byte hex private key to sign the state with (as signState does)");
    hash->callback([key, keyOption, &exitCode] {
        std::optional<std::string> signKey;
        if (keyOption->count() > 0) signKey = *key;
        const auto input = readBoundedStdin(devtools::max_nitro_state_input);
        if (!input) {
            std::cerr << "nitro hash: malformed state: input over " << devtools::max_nitro_state_input << " bytes\n";
            exitCode = exit_usage;
            return;
        }
        const auto result = devtools::nitroHash(*input, std::move(signKey));
        std::fill(key->begin(), key->end(), '\0');
        if (!result.output) {
            std::cerr << "nitro hash: " << result.error << "\n";
            exitCode = exit_usage;
            return;
        }
        std::cout << *result.output << "\n";
        exitCode = exit_ok;
    });
}};

} // namespace
} // namespace paytorrent::cli
