#include "support/killed_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace pt::test {

KilledProcessResult runAndKill(const std::vector<std::string>& argv, std::chrono::milliseconds runFor)
{
    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC)) throw std::runtime_error("pipe failed");

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) {
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }

    KilledProcessResult result;
    int fds[2] = {outPipe[0], errPipe[0]};
    std::string* sinks[2] = {&result.out, &result.err};
    const auto deadline = std::chrono::steady_clock::now() + runFor;
    bool killSent = false;
    // Read while it runs (so a full pipe never blocks it), kill it at the deadline, then
    // read on until both pipes reach end-of-file: the pipe keeps what it wrote before dying.
    while (fds[0] >= 0 || fds[1] >= 0) {
        int timeoutMs = -1;
        if (!killSent) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                ::kill(pid, SIGKILL);
                killSent = true;
            } else {
                timeoutMs = static_cast<int>(left.count());
            }
        }
        pollfd pfds[2];
        int n = 0;
        int which[2];
        for (int i = 0; i < 2; ++i)
            if (fds[i] >= 0) {
                pfds[n] = {fds[i], POLLIN, 0};
                which[n++] = i;
            }
        const int ready = ::poll(pfds, static_cast<nfds_t>(n), timeoutMs);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int k = 0; k < n; ++k) {
            if (!pfds[k].revents) continue;
            char buf[65536];
            const ssize_t r = ::read(pfds[k].fd, buf, sizeof buf);
            if (r <= 0) {
                ::close(fds[which[k]]);
                fds[which[k]] = -1;
            } else {
                sinks[which[k]]->append(buf, static_cast<std::size_t>(r));
            }
        }
    }
    for (int fd : fds)
        if (fd >= 0) ::close(fd);
    if (!killSent) ::kill(pid, SIGKILL); // pipes closed early: make sure it is gone
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.killed = killSent && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    return result;
}

} // namespace pt::test
