#include "paytorrent/data_dir.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace paytorrent {

DataDir DataDir::defaultLocation()
{
    if (const char* d = std::getenv("PAYTORRENT_DATA_DIR"); d && *d) return {d};
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return {std::filesystem::path(x) / "paytorrent"};
    const char* home = std::getenv("HOME");
    return {std::filesystem::path(home && *home ? home : ".") / ".local" / "share" / "paytorrent"};
}

namespace {

std::optional<std::string> promptHidden(const char* prompt)
{
    if (!::isatty(STDIN_FILENO)) return std::nullopt;
    std::cerr << prompt << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string line;
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return line;
}

} // namespace

std::optional<std::string> readPassword(const std::optional<std::filesystem::path>& passwordFile, bool confirm)
{
    if (passwordFile) {
        std::ifstream in(*passwordFile);
        if (!in) return std::nullopt;
        std::string line;
        std::getline(in, line); // the first line; a trailing newline is not part of it
        return line;
    }
    if (const char* env = std::getenv("PAYTORRENT_PASSWORD")) return std::string(env);
    auto first = promptHidden("Keystore password: ");
    if (!first || !confirm) return first;
    auto again = promptHidden("Repeat the password: ");
    if (!again || *again != *first) {
        std::cerr << "The passwords differ.\n";
        return std::nullopt;
    }
    return first;
}

} // namespace paytorrent
