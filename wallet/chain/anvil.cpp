#include "wallet/chain/anvil.hpp"

#include "wallet/chain/json_rpc.hpp"
#include "wallet/chain/rpc_eth_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace pt::chain {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Enough of anvil's log to explain a failed start without flooding the error message.
constexpr std::size_t log_tail_bytes = 2048;

std::string readTail(const fs::path& file, std::size_t maxBytes)
{
    std::ifstream in(file, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(in.tellg());
    const std::size_t from = size > maxBytes ? size - maxBytes : 0;
    in.seekg(static_cast<std::streamoff>(from));
    std::string out(size - from, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    return out;
}

std::string readSmallFile(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    std::string s(4096, '\0');
    in.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<std::size_t>(in.gcount()));
    return s;
}

// Waits up to `bound` for `pid` to exit; true when it did (and was reaped).
bool waitForExit(pid_t pid, std::chrono::milliseconds bound)
{
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

// Whether `pid` has exited but not been reaped (an orphan waits for its reaper, which in a
// container may never come). /proc/<pid>/stat: "pid (comm) state ...", comm may hold spaces.
bool isZombie(pid_t pid)
{
    const std::string stat = readSmallFile("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// A process we may not have forked (a crashed node's anvil): poll until it is gone. If it is
// our own child after all, reap it, or it would linger as a zombie that kill(pid, 0) still sees.
bool waitForForeignExit(pid_t pid, std::chrono::milliseconds bound)
{
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid || ::kill(pid, 0) != 0 || isZombie(pid)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

// Stops an anvil that a previous run left on this data directory, so that two processes
// never dump state into the same file. Only a process whose command line names anvil and
// this directory is touched (pids are reused).
void stopStaleAnvil(const fs::path& pidFile, const fs::path& stateFile, std::chrono::milliseconds bound)
{
    std::ifstream in(pidFile);
    long pid = 0;
    if (!(in >> pid) || pid <= 1) return;
    // Arguments are NUL-separated: match the state file as one whole argument.
    const std::string cmdline = readSmallFile("/proc/" + std::to_string(pid) + "/cmdline");
    const std::string stateArg = std::string(1, '\0') + stateFile.string() + std::string(1, '\0');
    if (cmdline.find("anvil") == std::string::npos || cmdline.find(stateArg) == std::string::npos) return;
    ::kill(static_cast<pid_t>(pid), SIGTERM);
    if (!waitForForeignExit(static_cast<pid_t>(pid), bound)) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        waitForForeignExit(static_cast<pid_t>(pid), bound);
    }
}

// Whether process `pid` holds the socket listening on 127.0.0.1:`port`. An answer on the port
// alone does not prove the chain is ours: another process may have taken the port between
// our pick and anvil's bind, and our anvil is then about to exit with "address in use".
bool listensOn(pid_t pid, std::uint16_t port)
{
    std::ifstream tcp("/proc/net/tcp");
    std::string line;
    std::getline(tcp, line); // header
    char wanted[16];
    std::snprintf(wanted, sizeof wanted, "0100007F:%04X", static_cast<unsigned>(port));
    std::vector<std::string> inodes;
    while (std::getline(tcp, line)) {
        std::istringstream fields(line);
        std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
        if (!(fields >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
        if (local == wanted && st == "0A") inodes.push_back("socket:[" + inode + "]");
    }
    if (inodes.empty()) return false;
    std::error_code ec;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code linkEc;
        const auto target = fs::read_symlink(it->path(), linkEc).string();
        if (!linkEc && std::find(inodes.begin(), inodes.end(), target) != inodes.end()) return true;
    }
    return false;
}

// fork + exec with stdout/stderr to `logFile`. An exec failure shows as exit status 126/127,
// which the start loop reports with the log.
Result<pid_t> spawn(const std::vector<std::string>& args, const fs::path& logFile, bool stopWithParentThread)
{
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    const int logFd = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (logFd < 0) return makeError(ChainError::process_failed, "cannot open " + logFile.string() + ": " + std::strerror(errno));
    const int nullFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nullFd < 0) {
        ::close(logFd);
        if (nullFd >= 0) ::close(nullFd);
        return makeError(ChainError::process_failed, std::string("cannot set up the child process: ") + std::strerror(errno));
    }

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        if (stopWithParentThread) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent) ::_exit(125); // the parent died before prctl took effect
        }
        ::setpgid(0, 0); // its own group: a terminal's Ctrl-C reaches the node, which stops anvil cleanly
        ::dup2(nullFd, 0);
        ::dup2(logFd, 1);
        ::dup2(logFd, 2);
        // Keep the node's sockets and database out of the child.
        ::syscall(SYS_close_range, 3u, ~0u, 0u);
        ::execv(argv[0], argv.data());
        ::_exit(errno == ENOENT ? 127 : 126);
    }
    ::close(logFd);
    ::close(nullFd);
    if (pid < 0) return makeError(ChainError::process_failed, std::string("fork failed: ") + std::strerror(errno));
    return pid;
}

} // namespace

fs::path anvilBinaryIn(const fs::path& nodeToolsDir)
{
    return nodeToolsDir / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil";
}

Result<std::uint16_t> pickFreeLoopbackPort()
{
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc);
    boost::system::error_code ec;
    const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::address_v4::loopback(), 0);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (ec) return makeError(ChainError::process_failed, "cannot find a free loopback port: " + ec.message());
    const auto port = acceptor.local_endpoint(ec).port();
    if (ec) return makeError(ChainError::process_failed, "cannot find a free loopback port: " + ec.message());
    return port;
}

AnvilProcess::AnvilProcess(AnvilOptions options, pid_t pid, std::uint16_t port)
    : options_(std::move(options)), pid_(pid), port_(port), url_("http://127.0.0.1:" + std::to_string(port))
{
}

AnvilProcess::~AnvilProcess()
{
    (void)stop();
}

Result<std::unique_ptr<AnvilProcess>> AnvilProcess::start(const AnvilOptions& options)
{
    std::error_code fsErr;
    if (!fs::is_regular_file(options.binary, fsErr))
        return makeError(ChainError::process_failed, "anvil not found at " + options.binary.string() +
                                                         " (run the npm install in tools/node)");
    if (options.dataDir.empty()) return makeError(ChainError::invalid_argument, "anvil needs a data directory");
    fs::create_directories(options.dataDir, fsErr);
    if (fsErr) return makeError(ChainError::process_failed, "cannot create " + options.dataDir.string() + ": " + fsErr.message());

    const fs::path pidFile = options.dataDir / "anvil.pid";
    const fs::path logFile = options.dataDir / "anvil.log";
    stopStaleAnvil(pidFile, options.dataDir / "anvil-state.json", options.stopTimeout);

    std::string lastFailure;
    const unsigned attempts = options.port ? 1u : std::max(1u, options.portAttempts);
    for (unsigned attempt = 0; attempt < attempts; ++attempt) {
        auto port = options.port ? Result<std::uint16_t>(*options.port) : pickFreeLoopbackPort();
        if (!port) return port.error();
        std::vector<std::string> args = {options.binary.string(), "--host", "127.0.0.1", "--port", std::to_string(*port),
                                         "--chain-id", std::to_string(options.chainId), "--silent"};
        if (options.persistState) {
            args.insert(args.end(), {"--state", (options.dataDir / "anvil-state.json").string()});
            if (options.stateIntervalSeconds > 0)
                args.insert(args.end(), {"--state-interval", std::to_string(options.stateIntervalSeconds)});
        }
        args.insert(args.end(), options.extraArgs.begin(), options.extraArgs.end());

        auto pid = spawn(args, logFile, options.stopWithParentThread);
        if (!pid) return pid.error();
        std::unique_ptr<AnvilProcess> proc(new AnvilProcess(options, *pid, *port));
        {
            std::ofstream(pidFile, std::ios::trunc) << *pid << '\n';
        }

        HttpRpcOptions probe;
        probe.timeout = 1000ms;
        probe.maxRetries = 0;
        auto client = RpcEthClient::connect(proc->rpcUrl(), std::nullopt, probe);
        if (!client) return client.error();
        const auto deadline = std::chrono::steady_clock::now() + options.startTimeout;
        bool exited = false;
        for (;;) {
            int status = 0;
            if (::waitpid(*pid, &status, WNOHANG) == *pid) {
                exited = true;
                proc->pid_ = -1;
                lastFailure = "anvil exited (" +
                              (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status))
                                                 : "signal " + std::to_string(WTERMSIG(status))) +
                              "): " + readTail(logFile, log_tail_bytes);
                break;
            }
            auto id = (*client)->chainId();
            if (id && listensOn(*pid, *port)) {
                if (*id != options.chainId)
                    return makeError(ChainError::wrong_chain_id,
                                     "anvil serves chain " + id->str() + ", expected " + std::to_string(options.chainId));
                return proc;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                (void)proc->stop();
                return makeError(ChainError::process_failed, "anvil did not answer within " +
                                                                 std::to_string(options.startTimeout.count()) +
                                                                 " ms: " + readTail(logFile, log_tail_bytes));
            }
            std::this_thread::sleep_for(25ms);
        }
        // Lost the race for the port: pick another. Any other failure is final.
        if (exited && lastFailure.find("Address already in use") == std::string::npos) break;
    }
    std::error_code ignored;
    fs::remove(pidFile, ignored);
    return makeError(ChainError::process_failed, "cannot start anvil: " + lastFailure);
}

bool AnvilProcess::running()
{
    if (pid_ <= 0) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
        pid_ = -1;
        return false;
    }
    return true;
}

Status AnvilProcess::stop()
{
    if (pid_ <= 0) return {};
    const pid_t pid = pid_;
    pid_ = -1;
    Status result;
    ::kill(pid, SIGTERM); // anvil writes its state on SIGTERM
    if (!waitForExit(pid, options_.stopTimeout)) {
        ::kill(pid, SIGKILL);
        waitForExit(pid, options_.stopTimeout);
        result = makeError(ChainError::process_failed, "anvil did not stop within " +
                                                           std::to_string(options_.stopTimeout.count()) +
                                                           " ms and was killed; its latest state may be lost");
    }
    std::error_code ignored;
    fs::remove(options_.dataDir / "anvil.pid", ignored);
    return result;
}

} // namespace pt::chain
