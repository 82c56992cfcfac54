#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pt::test {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(20);

} // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, ChildOptions options)
    : argv_(argv), options_(std::move(options))
{
    if (argv_.empty()) throw std::runtime_error("ChildProcess: empty argv");

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    const std::string out = options_.outputFile.empty() ? std::string("/dev/null") : options_.outputFile.string();
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const std::string dir = options_.workingDirectory.string();
    if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());

    // A process group of its own: stop() signals the group, which reaches whatever the
    // program spawned, and a Ctrl-C at the terminal does not reach it twice.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attributes, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    sigset_t defaults; // signals the test may ignore (SIGPIPE) get their default back
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    posix_spawnattr_setsigdefault(&attributes, &defaults);

    std::vector<char*> args;
    for (const auto& a : argv_) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + argv_[0] + ": " + std::strerror(rc));
    }
}

ChildProcess::~ChildProcess()
{
    stop(std::chrono::milliseconds(1000));
}

bool ChildProcess::hasExited()
{
    if (pid_ < 0 || exited_) return true;
    siginfo_t info{};
    // WNOWAIT: look, but leave the zombie in place until stop() has signalled the group.
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == ECHILD) exited_ = reaped_ = true; // not ours any more (someone reaped it)
        return exited_;
    }
    if (info.si_pid != pid_) return false; // still running
    exited_ = true;
    if (info.si_code == CLD_EXITED) exitCode_ = info.si_status;
    else termSignal_ = info.si_status;
    return true;
}

void ChildProcess::reap()
{
    if (pid_ < 0 || reaped_) return;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = exited_ = true;
    if (WIFEXITED(status)) exitCode_ = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) termSignal_ = WTERMSIG(status);
}

bool ChildProcess::running()
{
    return !hasExited();
}

bool ChildProcess::waitForExit(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!hasExited()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll_interval);
    }
    return true;
}

void ChildProcess::stop(std::chrono::milliseconds grace)
{
    if (pid_ < 0 || reaped_) return;
    // The group id is the child's pid; it stays reserved while the child is unreaped, so
    // these signals reach only the child and what it started.
    if (!hasExited() && grace.count() > 0) {
        ::kill(-pid_, SIGTERM);
        waitForExit(grace);
    }
    ::kill(-pid_, SIGKILL); // the child if it ignored SIGTERM, and anything it left behind
    reap();
}

std::string ChildProcess::output() const
{
    if (options_.outputFile.empty()) return {};
    std::ifstream in(options_.outputFile, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool ChildProcess::waitForOutput(const std::string& text, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // Exit first, then read: output written just before exiting is still seen.
        const bool gone = hasExited();
        if (output().find(text) != std::string::npos) return true;
        if (gone || std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll_interval);
    }
}

bool waitForTcpListen(int port, std::chrono::milliseconds timeout)
{
    char wanted[8];
    std::snprintf(wanted, sizeof wanted, ":%04X", static_cast<unsigned>(port));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // Lines: "sl local_address rem_address st ...", addresses as HEXIP:HEXPORT, st 0A = LISTEN.
        std::ifstream table("/proc/net/tcp");
        std::string line;
        std::getline(table, line); // header
        while (std::getline(table, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            if (state == "0A" && local.size() > 5 && local.compare(local.size() - 5, 5, wanted) == 0) return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll_interval);
    }
}

} // namespace pt::test
