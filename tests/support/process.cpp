#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace pt::test {
namespace {

void closeFd(int& fd)
{
    if (fd >= 0) ::close(fd);
    fd = -1;
}

} // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input,
                         std::chrono::milliseconds timeout)
{
    int inPipe[2], outPipe[2], errPipe[2];
    if (::pipe2(inPipe, O_CLOEXEC) || ::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC))
        throw std::runtime_error("pipe failed");

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2);

    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(inPipe[0]);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) {
        ::close(inPipe[1]);
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }

    ProcessResult result;
    int fdIn = inPipe[1], fdOut = outPipe[0], fdErr = errPipe[0];
    ::fcntl(fdIn, F_SETFL, O_NONBLOCK);
    std::size_t written = 0;
    if (input.empty()) closeFd(fdIn);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    ::signal(SIGPIPE, SIG_IGN);

    while (fdOut >= 0 || fdErr >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            result.timedOut = true;
            break;
        }
        pollfd fds[3];
        int n = 0;
        if (fdIn >= 0) fds[n++] = {fdIn, POLLOUT, 0};
        if (fdOut >= 0) fds[n++] = {fdOut, POLLIN, 0};
        if (fdErr >= 0) fds[n++] = {fdErr, POLLIN, 0};
        if (::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left.count(), 1000))) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < n; ++i) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == fdIn) {
                const ssize_t w = ::write(fdIn, input.data() + written, input.size() - written);
                if (w > 0) written += static_cast<std::size_t>(w);
                if (w < 0 && errno != EAGAIN) closeFd(fdIn);
                if (written == input.size()) closeFd(fdIn);
            } else {
                char buf[65536];
                const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
                if (r <= 0) {
                    if (fds[i].fd == fdOut) closeFd(fdOut);
                    else closeFd(fdErr);
                } else {
                    (fds[i].fd == fdOut ? result.out : result.err).append(buf, static_cast<std::size_t>(r));
                }
            }
        }
    }
    closeFd(fdIn);
    closeFd(fdOut);
    closeFd(fdErr);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

std::string sourcePath(const std::string& relative) { return std::string(PT_SOURCE_DIR) + "/" + relative; }
std::string nodeToolsDir() { return PT_NODE_TOOLS_DIR; }
std::string anvilPath() { return nodeToolsDir() + "/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"; }
std::string binaryPath(const std::string& relative) { return std::string(PT_BINARY_DIR) + "/" + relative; }

ProcessResult runNode(const std::string& scriptPath, const std::vector<std::string>& args,
                      const std::string& input, std::chrono::milliseconds timeout)
{
    ::setenv("NODE_PATH", (nodeToolsDir() + "/node_modules").c_str(), 1);
    std::vector<std::string> argv{"node", scriptPath};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, input, timeout);
}

} // namespace pt::test
