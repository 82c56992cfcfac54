// The transfer benchmark (include/paytorrent/transfer_bench.hpp): a seeder child process on
// the embedded chain, the downloader here, one fresh downloader node per download.
//
// What is timed is what a user of `get` waits for: from download() (the magnet link added)
// to libtorrent's torrent_finished (every piece received and hash-checked). For a paid
// download that includes the handshake, the channel proposal, the deposit on chain and the
// first payment, which the first-paid-byte figure shows on its own.
#include "paytorrent/transfer_bench.hpp"

#include "paytorrent/node.hpp"
#include "bench_timing.hpp"
#include "scratch_dir.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

namespace paytorrent {

using pt::Error;
using pt::Result;
using pt::Status;
using pt::Wei;
using Clock = std::chrono::steady_clock;

namespace {

class TransferBenchErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "transfer bench"; }
    std::string message(int ev) const override
    {
        switch (static_cast<TransferBenchError>(ev)) {
        case TransferBenchError::bad_option: return "bad option";
        case TransferBenchError::io: return "I/O error";
        case TransferBenchError::seeder_failed: return "the seeder process failed";
        case TransferBenchError::download_failed: return "a download failed";
        case TransferBenchError::cancelled: return "cancelled";
        }
        return "unknown transfer bench error";
    }
};

constexpr std::uint64_t one_kib = 1024;
constexpr std::uint64_t one_mib = 1024 * one_kib;
// Sizes the benchmark accepts: a file of at least one block, at most 1 TiB.
constexpr std::uint64_t max_byte_size = std::uint64_t{1} << 40;
constexpr std::uint64_t min_file_size = 16 * one_kib;
// The extension's bounds (extension/protocol.hpp): an increment buys at least one block,
// and no window exceeds 1 GiB.
constexpr std::uint64_t min_increment = 16 * one_kib;
constexpr std::uint64_t max_window = std::uint64_t{1} << 30;
constexpr int max_rounds = 100;
// The seeder's stdout before its ready line: a few log lines at most. Anything longer is
// not the seeder we started.
constexpr std::size_t max_seeder_line_bytes = 64 * 1024;
constexpr std::size_t max_seeder_preamble_bytes = 1024 * 1024;
// Hashing the file twice (create + check) for each of two torrents, on a busy machine.
constexpr std::chrono::seconds seeder_ready_limit{900};
constexpr std::chrono::seconds seeder_exit_limit{30};
constexpr std::chrono::seconds close_limit{60};
// A download whose byte count has not moved for this long has stalled (on loopback a
// healthy one moves every status update, four times a second).
constexpr std::chrono::seconds stall_limit{30};
// How often the downloader looks at its ledger until the first paid data has arrived.
constexpr std::chrono::milliseconds first_byte_poll{1};
// A keystore cheap to open: the benchmark's keys live for one download and hold test ether.
constexpr std::uint64_t bench_scrypt_n = 1024;
// The signatures' speed is timed in this many alternating slices of signing and recovering,
// each this long, once the downloads are over.
constexpr int signature_slices = 3;
constexpr std::chrono::milliseconds signature_slice{100};

Error benchError(TransferBenchError code, std::string message)
{
    return pt::makeError(code, "bench transfer: " + std::move(message));
}

double secondsBetween(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double median(std::vector<double> v)
{
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return x < 0; }), v.end());
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// utime + stime of another process, from /proc/PID/stat (fields 14 and 15, after the
// parenthesised command name, which may itself hold spaces). 0 when it cannot be read.
double otherProcessCpuSeconds(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return 0;
    const auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    std::uint64_t utime = 0;
    std::uint64_t stime = 0;
    // Fields from 3 (state) on: utime is the 14th field overall, the 12th here.
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    const long ticks = ::sysconf(_SC_CLK_TCK);
    return ticks > 0 ? static_cast<double>(utime + stime) / static_cast<double>(ticks) : 0;
}

// The whole machine's CPU time, all cores, from the first line of /proc/stat: busy is user,
// nice, system, irq, softirq and steal; idle is idle and iowait. It covers what the two
// processes' own counts miss (the kernel's loopback, page-cache and disk work done in other
// contexts) and shows whether the machine had any core left.
struct MachineCpu {
    double busy = -1; // core-seconds; -1: unknown
    double idle = -1; // core-seconds; -1: unknown
};

MachineCpu machineCpu()
{
    std::ifstream in("/proc/stat");
    std::string label;
    std::uint64_t f[8] = {}; // user nice system idle iowait irq softirq steal
    if (!(in >> label) || label != "cpu") return {};
    for (auto& x : f)
        if (!(in >> x)) return {};
    const long ticks = ::sysconf(_SC_CLK_TCK);
    if (ticks <= 0) return {};
    const auto seconds = [&](std::uint64_t t) { return static_cast<double>(t) / static_cast<double>(ticks); };
    return {seconds(f[0] + f[1] + f[2] + f[5] + f[6] + f[7]), seconds(f[3] + f[4])};
}

double loadAverage()
{
    std::ifstream in("/proc/loadavg");
    double load = 0;
    in >> load;
    return load;
}

std::string fileSystemOf(const std::filesystem::path& p)
{
    struct statfs s {};
    if (::statfs(p.c_str(), &s) != 0) return "unknown";
    switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53: return "ext4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794C7630: return "overlayfs";
    case 0x6969: return "nfs";
    default: return fmt::format("0x{:x}", static_cast<unsigned long>(s.f_type));
    }
}

std::string randomHex(std::size_t bytes)
{
    std::random_device rd;
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", rd() & 0xff);
    return out;
}

// Writes `size` pseudo-random bytes (incompressible, no two pieces alike), makes them
// durable so that no write-back competes with the transfer, and reads them once so that
// the seeder serves from the page cache.
Status writeTestFile(const std::filesystem::path& path, std::uint64_t size)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return benchError(TransferBenchError::io, "cannot create " + path.string() + ": " + std::strerror(errno));
    std::mt19937_64 rng(std::random_device{}());
    std::vector<std::uint64_t> chunk(4 * one_mib / sizeof(std::uint64_t));
    std::uint64_t left = size;
    while (left > 0) {
        for (auto& w : chunk) w = rng();
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size() * sizeof(std::uint64_t)));
        const char* p = reinterpret_cast<const char*>(chunk.data());
        std::size_t done = 0;
        while (done < n) {
            const ssize_t w = ::write(fd, p + done, n - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                const std::string why = std::strerror(errno);
                ::close(fd);
                return benchError(TransferBenchError::io, "cannot write " + path.string() + ": " + why);
            }
            done += static_cast<std::size_t>(w);
        }
        left -= n;
    }
    const bool synced = ::fdatasync(fd) == 0;
    ::close(fd);
    if (!synced) return benchError(TransferBenchError::io, "cannot sync " + path.string() + ": " + std::strerror(errno));

    const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return benchError(TransferBenchError::io, "cannot read " + path.string() + ": " + std::strerror(errno));
    std::vector<char> buf(4 * one_mib);
    while (true) {
        const ssize_t r = ::read(in, buf.data(), buf.size());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
    }
    ::close(in);
    return {};
}

// The seeder: a child process with a pipe on its standard input (the password, then
// nothing until we close it: that is its signal to stop) and one on its standard output
// (the ready line; afterwards whatever it prints is passed on to our standard error, so a
// chatty child never blocks on a full pipe). Its standard error is ours.
class SeederProcess {
public:
    static Result<std::unique_ptr<SeederProcess>> start(const std::vector<std::string>& argv, const std::string& input)
    {
        if (argv.empty()) return benchError(TransferBenchError::bad_option, "no seeder command");
        int in[2];
        int out[2];
        if (::pipe2(in, O_CLOEXEC) != 0) return benchError(TransferBenchError::seeder_failed, std::string("pipe: ") + std::strerror(errno));
        if (::pipe2(out, O_CLOEXEC) != 0) {
            ::close(in[0]);
            ::close(in[1]);
            return benchError(TransferBenchError::seeder_failed, std::string("pipe: ") + std::strerror(errno));
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const pid_t pid = ::fork();
        if (pid == 0) {
            // Child: only async-signal-safe calls until exec.
            ::dup2(in[0], STDIN_FILENO);
            ::dup2(out[1], STDOUT_FILENO);
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        const int forkErrno = errno;
        ::close(in[0]);
        ::close(out[1]);
        if (pid < 0) {
            ::close(in[1]);
            ::close(out[0]);
            return benchError(TransferBenchError::seeder_failed, std::string("fork: ") + std::strerror(forkErrno));
        }
        std::unique_ptr<SeederProcess> p(new SeederProcess(pid, in[1], out[0]));
        // A seeder that died at once makes this write fail with EPIPE: ignore the signal,
        // and let readReady() report the exit.
        struct sigaction ignore {};
        struct sigaction previous {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, &previous);
        const std::string line = input + "\n";
        (void)!::write(p->stdin_, line.data(), line.size());
        ::sigaction(SIGPIPE, &previous, nullptr);
        return p;
    }

    ~SeederProcess() { (void)stop(); }
    SeederProcess(const SeederProcess&) = delete;
    SeederProcess& operator=(const SeederProcess&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] double cpuSeconds() const { return otherProcessCpuSeconds(pid_); }

    // Reads lines until the seeder's ready line (a JSON object with "event": "seeding"),
    // then hands its output over to the drain thread.
    Result<nlohmann::json> readReady(std::chrono::seconds limit, const std::function<bool()>& cancelled)
    {
        const auto deadline = Clock::now() + limit;
        std::string buffer;
        std::size_t total = 0;
        while (true) {
            for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
                const std::string line = buffer.substr(0, nl);
                buffer.erase(0, nl + 1);
                auto j = nlohmann::json::parse(line, nullptr, false);
                if (!j.is_discarded() && j.is_object() && j.value("event", "") == "seeding") {
                    startDrain(std::move(buffer));
                    return j;
                }
                if (!line.empty()) (void)!::write(STDERR_FILENO, (line + "\n").data(), line.size() + 1);
            }
            if (buffer.size() > max_seeder_line_bytes || total > max_seeder_preamble_bytes)
                return benchError(TransferBenchError::seeder_failed, "the seeder printed too much before it was ready");
            if (cancelled && cancelled()) return benchError(TransferBenchError::cancelled, "interrupted");
            const auto now = Clock::now();
            if (now >= deadline)
                return benchError(TransferBenchError::seeder_failed,
                                  fmt::format("the seeder was not ready within {} s", limit.count()));
            pollfd pfd{stdout_, POLLIN, 0};
            const int wait = static_cast<int>(std::min<std::int64_t>(
                1000, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1));
            const int r = ::poll(&pfd, 1, wait);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) continue;
            char chunk[4096];
            const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                if (!buffer.empty()) (void)!::write(STDERR_FILENO, buffer.data(), buffer.size());
                return benchError(TransferBenchError::seeder_failed, "the seeder exited before it was ready (" + exitText() + ")");
            }
            buffer.append(chunk, static_cast<std::size_t>(n));
            total += static_cast<std::size_t>(n);
        }
    }

    // Closes its input (the seeder then stops its node and exits), waits, and ends it if it
    // does not. Idempotent.
    Status stop()
    {
        if (pid_ <= 0) return {};
        if (stdin_ >= 0) {
            ::close(stdin_);
            stdin_ = -1;
        }
        Status result;
        if (!waitExit(seeder_exit_limit)) {
            ::kill(pid_, SIGTERM);
            if (!waitExit(std::chrono::seconds(5))) {
                ::kill(pid_, SIGKILL);
                waitExit(std::chrono::seconds(5));
            }
            result = benchError(TransferBenchError::seeder_failed, "the seeder did not stop by itself and was killed");
        }
        if (drain_.joinable()) drain_.join();
        if (stdout_ >= 0) {
            ::close(stdout_);
            stdout_ = -1;
        }
        pid_ = -1;
        return result;
    }

private:
    SeederProcess(pid_t pid, int in, int out) : pid_(pid), stdin_(in), stdout_(out) {}

    void startDrain(std::string pending)
    {
        drain_ = std::thread([fd = stdout_, pending = std::move(pending)] {
            if (!pending.empty()) (void)!::write(STDERR_FILENO, pending.data(), pending.size());
            char chunk[4096];
            while (true) {
                const ssize_t n = ::read(fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) return;
                (void)!::write(STDERR_FILENO, chunk, static_cast<std::size_t>(n));
            }
        });
    }

    bool waitExit(std::chrono::seconds limit)
    {
        const auto deadline = Clock::now() + limit;
        while (true) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_ || (r < 0 && errno == ECHILD)) {
                status_ = status;
                return true;
            }
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    std::string exitText()
    {
        waitExit(std::chrono::seconds(5));
        if (WIFEXITED(status_)) return "exit code " + std::to_string(WEXITSTATUS(status_));
        if (WIFSIGNALED(status_)) return "signal " + std::to_string(WTERMSIG(status_));
        return "still running";
    }

    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    int status_ = 0;
    std::thread drain_;
};

// What the seeder's ready line says.
struct SeederInfo {
    int port = 0;
    std::string rpc;
    std::string adjudicator;
    std::string freeMagnet;
    std::string paidMagnet;
};

Result<SeederInfo> parseReady(const nlohmann::json& j)
{
    try {
        SeederInfo s;
        s.port = j.at("port").get<int>();
        s.rpc = j.at("chain").at("rpc").get<std::string>();
        s.adjudicator = j.at("chain").at("adjudicator").get<std::string>();
        s.freeMagnet = j.at("free").at("magnet").get<std::string>();
        s.paidMagnet = j.at("paid").at("magnet").get<std::string>();
        if (s.port <= 0 || s.port > 65535) throw std::out_of_range("port");
        return s;
    } catch (const nlohmann::json::exception& e) {
        return benchError(TransferBenchError::seeder_failed, std::string("unexpected ready line: ") + e.what());
    } catch (const std::out_of_range&) {
        return benchError(TransferBenchError::seeder_failed, "the seeder's port is out of range");
    }
}

// One download, free (increment 0) or paid.
struct Sample {
    double seconds = 0;
    double proposed = -1;
    double open = -1;
    double firstPayment = -1;
    double firstByte = -1;
    std::uint64_t payments = 0;
    std::uint64_t stops = 0;
    PaymentAnswerTimes answer;
    Wei paid;
    std::string channelStatus;
    double downloaderCpu = 0;
    double seederCpu = 0;
    MachineCpu machine; // during the download
};

struct Context {
    const TransferBenchOptions& options;
    const std::filesystem::path& scratch;
    const std::string& password;
    const SeederInfo& seeder;
    SeederProcess& seederProcess;
};

bool cancelled(const TransferBenchOptions& o) { return o.cancelled && o.cancelled(); }

Error cancelledError() { return benchError(TransferBenchError::cancelled, "interrupted"); }

void say(const TransferBenchOptions& o, const std::string& line)
{
    if (o.progress) o.progress(line);
}

Result<Sample> downloadOnce(const Context& ctx, std::uint64_t increment, std::uint64_t window, const std::string& label)
{
    const TransferBenchOptions& o = ctx.options;
    const bool paid = increment > 0;
    const auto dir = ctx.scratch / "runs" / label;
    struct RemoveDir {
        std::filesystem::path p;
        ~RemoveDir()
        {
            std::error_code ec;
            std::filesystem::remove_all(p, ec);
        }
    } removeDir{dir};

    NodeOptions no;
    no.dataDir = DataDir{dir / "node"};
    no.password = ctx.password;
    no.chainRpc = ctx.seeder.rpc;
    no.adjudicator = ctx.seeder.adjudicator;
    no.nodeToolsDir = o.nodeToolsDir;
    no.listen = "127.0.0.1:0";
    no.localOnly = true;
    no.highThroughput = true;
    if (paid) {
        no.paymentIncrement = increment;
        no.creditWindow = window;
    }
    no.scryptN = bench_scrypt_n;
    no.watchtower = false;
    auto opened = Node::open(no);
    if (!opened) return benchError(TransferBenchError::download_failed, label + ": cannot start the downloader: " + opened.error().describe());
    std::unique_ptr<Node> node = std::move(*opened);

    struct Shared {
        std::mutex mutex;
        std::condition_variable cv;
        std::map<std::string, Clock::time_point> finished;
        std::optional<Clock::time_point> firstPayment;
        std::uint64_t payments = 0;
    };
    auto shared = std::make_shared<Shared>();
    node->onFinished([shared](const std::string& ih) {
        const auto now = Clock::now();
        std::lock_guard lock(shared->mutex);
        shared->finished.emplace(ih, now);
        shared->cv.notify_all();
    });
    node->onPayment([shared](const ChannelInfo& c, const Wei&) {
        if (c.role != "buyer") return;
        const auto now = Clock::now();
        std::lock_guard lock(shared->mutex);
        if (!shared->firstPayment) shared->firstPayment = now;
        ++shared->payments;
    });

    // Enough for the file and two windows: the deposit covers the whole download.
    const Wei budget(o.pricePerMiB.value() * pt::U256((o.size + 2 * window) / one_mib + 2));
    DownloadRequest req{paid ? ctx.seeder.paidMagnet : ctx.seeder.freeMagnet, dir / "out", o.pricePerMiB, budget,
                        {"127.0.0.1:" + std::to_string(ctx.seeder.port)}};

    Sample s;
    const double cpu0 = processCpuSeconds();
    const double seederCpu0 = ctx.seederProcess.cpuSeconds();
    const MachineCpu machine0 = machineCpu();
    const auto t0 = Clock::now();
    auto ih = node->download(req);
    if (!ih) return benchError(TransferBenchError::download_failed, label + ": " + ih.error().describe());
    const auto deadline = t0 + o.runTimeout;

    auto finishedAt = [&]() -> std::optional<Clock::time_point> {
        std::lock_guard lock(shared->mutex);
        auto it = shared->finished.find(*ih);
        if (it == shared->finished.end()) return std::nullopt;
        return it->second;
    };
    // Until the first paid data arrives, watch the ledger closely for each step.
    if (paid) {
        while (Clock::now() < deadline && s.firstByte < 0 && !finishedAt() && !cancelled(o)) {
            for (const auto& c : node->channels()) {
                if (c.torrent != *ih || c.role != "buyer") continue;
                const double t = secondsBetween(t0, Clock::now());
                if (s.proposed < 0) s.proposed = t;
                if (s.open < 0 && c.status != "proposed") s.open = t;
                if (s.firstByte < 0 && c.bytes > 0) s.firstByte = t;
            }
            std::this_thread::sleep_for(first_byte_poll);
        }
    }
    // Woken by the finish; every 100 ms otherwise, to notice a cancel or a stall.
    std::int64_t lastDone = -1;
    auto lastProgress = Clock::now();
    while (Clock::now() < deadline && !cancelled(o)) {
        {
            std::unique_lock lock(shared->mutex);
            if (shared->cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return shared->finished.count(*ih) > 0; }))
                break;
        }
        const auto st = node->status(*ih);
        const std::int64_t done = st ? st->totalDone : 0;
        if (done != lastDone) {
            lastDone = done;
            lastProgress = Clock::now();
        } else if (Clock::now() - lastProgress > stall_limit) {
            return benchError(TransferBenchError::download_failed,
                              fmt::format("{}: no progress for {} s at {} of {} bytes", label, stall_limit.count(), done, o.size));
        }
    }
    if (cancelled(o)) return cancelledError();
    const auto done = finishedAt();
    const double cpu1 = processCpuSeconds();
    const double seederCpu1 = ctx.seederProcess.cpuSeconds();
    const MachineCpu machine1 = machineCpu();
    if (!done) {
        auto st = node->status(*ih);
        return benchError(TransferBenchError::download_failed,
                          fmt::format("{}: not finished after {} s ({} of {} bytes)", label, o.runTimeout.count(),
                                      st ? st->totalDone : 0, o.size));
    }
    s.seconds = secondsBetween(t0, *done);
    s.downloaderCpu = cpu1 - cpu0;
    s.seederCpu = seederCpu1 - seederCpu0;
    if (machine0.busy >= 0 && machine1.busy >= 0)
        s.machine = {machine1.busy - machine0.busy, machine1.idle - machine0.idle};
    {
        std::lock_guard lock(shared->mutex);
        if (shared->firstPayment) s.firstPayment = secondsBetween(t0, *shared->firstPayment);
    }
    std::error_code ec;
    const auto got = std::filesystem::file_size(dir / "out" / (paid ? "transfer-paid.bin" : "transfer-free.bin"), ec);
    if (ec || got != o.size)
        return benchError(TransferBenchError::download_failed,
                          fmt::format("{}: the downloaded file has {} bytes, not {}", label, ec ? 0 : got, o.size));

    if (paid) {
        // Not timed: the buyer closes its channel cooperatively, as `get` does.
        const auto closed = node->closeChannels(*ih, close_limit);
        for (const auto& c : closed) {
            if (c.role != "buyer") continue;
            s.paid = s.paid + c.paid;
            s.stops += c.stops;
            s.answer = c.paymentAnswer; // one seller
            s.channelStatus = c.status;
        }
        if (s.paid.value() == 0)
            return benchError(TransferBenchError::download_failed, label + ": the paid download paid nothing");
        // Counted once the channel is closed: a countersignature's commit may come up to
        // the lazy-commit delay after the last byte.
        std::lock_guard lock(shared->mutex);
        s.payments = shared->payments;
        if (s.firstByte < 0) s.firstByte = s.firstPayment; // finished before the poll saw it
    }
    node.reset();
    return s;
}

TransferRun summarise(std::uint64_t increment, std::uint64_t window, const std::vector<Sample>& samples, std::uint64_t size)
{
    TransferRun r;
    r.increment = increment;
    r.creditWindow = window;
    std::vector<double> proposed, open, firstPayment, dcpu, scpu, mbusy, mshare, answer50, answer90, answer99;
    for (const auto& s : samples) {
        r.secondsPerRound.push_back(s.seconds);
        proposed.push_back(s.proposed);
        open.push_back(s.open);
        firstPayment.push_back(s.firstPayment);
        r.firstPaidBytePerRound.push_back(s.firstByte);
        dcpu.push_back(s.downloaderCpu);
        scpu.push_back(s.seederCpu);
        mbusy.push_back(s.machine.busy);
        const double all = s.machine.busy + s.machine.idle;
        mshare.push_back(s.machine.busy >= 0 && all > 0 ? s.machine.busy / all : -1);
        if (s.answer.count > 0) {
            answer50.push_back(s.answer.p50Ms);
            answer90.push_back(s.answer.p90Ms);
            answer99.push_back(s.answer.p99Ms);
        }
    }
    r.seconds = median(r.secondsPerRound);
    r.mbPerSecond = r.seconds > 0 ? static_cast<double>(size) / r.seconds / 1e6 : 0;
    r.downloaderCpuSeconds = median(dcpu);
    r.seederCpuSeconds = median(scpu);
    r.machineBusyCoreSeconds = median(mbusy);
    r.machineBusyShare = median(mshare);
    if (increment > 0) {
        r.channelProposedSeconds = median(proposed);
        r.channelOpenSeconds = median(open);
        r.firstPaymentSeconds = median(firstPayment);
        r.firstPaidByteSeconds = median(r.firstPaidBytePerRound);
        r.payments = samples.back().payments;
        r.stops = samples.back().stops;
        if (!answer50.empty())
            r.paymentAnswer = {samples.back().answer.count, median(answer50), median(answer90), median(answer99)};
        r.paid = samples.back().paid;
        r.channelStatus = samples.back().channelStatus;
    } else {
        r.firstPaidBytePerRound.clear();
    }
    return r;
}

// What a payment costs in each paid run, against the signatures' own time on this machine
// (timed now, with the downloads over and the seeder stopped).
Status costPayments(TransferBenchReport& report)
{
    if (report.paid.empty()) return {};
    auto timer = SignatureTimer::create();
    if (!timer) return timer.error();
    for (int i = 0; i < signature_slices; ++i)
        if (auto s = timer->measure(signature_slice, 0); !s) return s;
    report.signaturesPerSecond = timer->sign().perSecond();
    report.recoveriesPerSecond = timer->recover().perSecond();
    const double signatureSeconds = timer->secondsPerPayment();
    report.signatureMillisPerPayment = 1e3 * signatureSeconds;
    const double unpaidCpu = report.unpaid.downloaderCpuSeconds + report.unpaid.seederCpuSeconds;
    for (auto& r : report.paid) {
        if (r.payments == 0 || unpaidCpu <= 0) continue;
        const double payments = static_cast<double>(r.payments);
        r.cpuMillisPerPayment = 1e3 * (r.downloaderCpuSeconds + r.seederCpuSeconds - unpaidCpu) / payments;
        r.signatureBoundRatio = unpaidCpu / (unpaidCpu + payments * signatureSeconds);
    }
    return {};
}

Status validate(const TransferBenchOptions& o)
{
    if (o.size < min_file_size || o.size > max_byte_size)
        return benchError(TransferBenchError::bad_option, "the size must be between 16 KiB and 1 TiB");
    if (o.increments.empty()) return benchError(TransferBenchError::bad_option, "no payment increment to measure");
    for (auto inc : o.increments)
        if (inc < min_increment || inc > max_window / 2)
            return benchError(TransferBenchError::bad_option, "payment increments must be between 16 KiB and 512 MiB");
    if (o.creditWindow < min_increment || o.creditWindow > max_window)
        return benchError(TransferBenchError::bad_option, "the credit window must be between 16 KiB and 1 GiB");
    if (o.rounds < 1 || o.rounds > max_rounds) return benchError(TransferBenchError::bad_option, "rounds must be 1 to 100");
    // Up to 10^24 wei (a million ether) per MiB: budgets computed from it stay far below 2^256.
    if (o.pricePerMiB.value() == 0 || o.pricePerMiB.value() > pt::U256("1000000000000000000000000"))
        return benchError(TransferBenchError::bad_option, "the price must be between 1 and 10^24 wei per MiB");
    if (o.seederCommand.empty()) return benchError(TransferBenchError::bad_option, "no seeder command");
    return {};
}

} // namespace

const std::error_category& transferBenchErrorCategory() noexcept
{
    static const TransferBenchErrorCategory category;
    return category;
}

std::uint64_t effectiveWindow(std::uint64_t window, std::uint64_t increment) noexcept
{
    return increment < window ? window : 2 * increment;
}

const TransferRun* TransferBenchReport::paidAt(std::uint64_t increment) const
{
    for (const auto& r : paid)
        if (r.increment == increment) return &r;
    return nullptr;
}

Result<TransferBenchReport> runTransferBench(const TransferBenchOptions& o)
{
    if (auto v = validate(o); !v) return v.error();
    TransferBenchReport report;
    report.size = o.size;
    report.pricePerMiB = o.pricePerMiB;
    report.rounds = o.rounds;
    report.creditWindow = o.creditWindow;
    report.cores = std::thread::hardware_concurrency();
    report.loadBefore = loadAverage();

    auto scratch = ScratchDir::create(o.directory, "paytorrent-bench-transfer-");
    if (!scratch) return benchError(TransferBenchError::io, scratch.error().message);
    report.directory = scratch->path();
    report.fileSystem = fileSystemOf(scratch->path());
    const auto share = scratch->path() / "share";
    std::error_code ec;
    std::filesystem::create_directories(share, ec);
    if (ec) return benchError(TransferBenchError::io, "cannot create " + share.string() + ": " + ec.message());

    say(o, fmt::format("writing a {} test file in {}", formatByteSize(o.size), scratch->path().string()));
    const auto freeFile = share / "transfer-free.bin";
    const auto paidFile = share / "transfer-paid.bin";
    if (auto w = writeTestFile(freeFile, o.size); !w) return w.error();
    // The same bytes under another name: another info-hash, one copy in the page cache.
    std::filesystem::create_hard_link(freeFile, paidFile, ec);
    if (ec) {
        ec.clear();
        std::filesystem::copy_file(freeFile, paidFile, ec);
        if (ec) return benchError(TransferBenchError::io, "cannot copy the test file: " + ec.message());
    }

    const std::string password = randomHex(16);
    std::vector<std::string> argv = o.seederCommand;
    for (const std::string& a : {std::string("--data-dir"), (scratch->path() / "seeder").string(), std::string("--free"),
                                 freeFile.string(), std::string("--paid"), paidFile.string(), std::string("--price"),
                                 o.pricePerMiB.toDecimal()})
        argv.push_back(a);
    if (o.nodeToolsDir) {
        argv.push_back("--node-tools");
        argv.push_back(o.nodeToolsDir->string());
    }
    say(o, "starting the seeder (embedded chain; hashing the file for two torrents)");
    auto seeder = SeederProcess::start(argv, password);
    if (!seeder) return seeder.error();
    auto ready = (*seeder)->readReady(seeder_ready_limit, o.cancelled);
    if (!ready) return ready.error();
    auto info = parseReady(*ready);
    if (!info) return info.error();
    say(o, fmt::format("seeder {} on 127.0.0.1:{}, chain {}", (*seeder)->pid(), info->port, info->rpc));

    const Context ctx{o, scratch->path(), password, *info, **seeder};
    // The first download in a fresh pair of processes runs measurably slower (the
    // downloader spends up to twice the CPU on it): one unpaid download warms up and is not
    // counted, so that it does not lower the baseline every ratio divides by.
    auto warm = downloadOnce(ctx, 0, 0, "warm-up");
    if (!warm) return warm.error();
    say(o, fmt::format("warm-up (not counted): {:.2f} s, {:.1f} MB/s", warm->seconds, static_cast<double>(o.size) / warm->seconds / 1e6));
    std::vector<Sample> unpaid;
    std::vector<std::vector<Sample>> paid(o.increments.size());
    for (int round = 1; round <= o.rounds; ++round) {
        const std::string suffix = o.rounds > 1 ? fmt::format(" (round {} of {})", round, o.rounds) : std::string();
        auto free = downloadOnce(ctx, 0, 0, fmt::format("unpaid-{}", round));
        if (!free) return free.error();
        unpaid.push_back(*free);
        say(o, fmt::format("unpaid{}: {:.2f} s, {:.1f} MB/s", suffix, free->seconds, static_cast<double>(o.size) / free->seconds / 1e6));
        for (std::size_t i = 0; i < o.increments.size(); ++i) {
            if (cancelled(o)) return cancelledError();
            const std::uint64_t inc = o.increments[i];
            const std::uint64_t window = effectiveWindow(o.creditWindow, inc);
            auto s = downloadOnce(ctx, inc, window, fmt::format("paid-{}-{}", inc, round));
            if (!s) return s.error();
            paid[i].push_back(*s);
            say(o, fmt::format("paid, increment {}{}: {:.2f} s, {:.1f} MB/s, {} payments, {} stops, first paid byte {:.3f} s",
                               formatByteSize(inc), suffix, s->seconds, static_cast<double>(o.size) / s->seconds / 1e6,
                               s->payments, s->stops, s->firstByte));
        }
    }
    if (auto stopped = (*seeder)->stop(); !stopped) say(o, stopped.error().describe());

    report.unpaid = summarise(0, 0, unpaid, o.size);
    report.unpaid.ratio = 1;
    std::vector<double> firstBytes;
    for (std::size_t i = 0; i < o.increments.size(); ++i) {
        TransferRun r = summarise(o.increments[i], effectiveWindow(o.creditWindow, o.increments[i]), paid[i], o.size);
        r.ratio = report.unpaid.mbPerSecond > 0 ? r.mbPerSecond / report.unpaid.mbPerSecond : 0;
        for (double t : r.firstPaidBytePerRound) firstBytes.push_back(t);
        report.paid.push_back(std::move(r));
    }
    if (auto costed = costPayments(report); !costed) return costed.error();
    report.firstPaidByteMedian = median(firstBytes);
    report.firstPaidByteMax = firstBytes.empty() ? -1 : *std::max_element(firstBytes.begin(), firstBytes.end());
    report.loadAfter = loadAverage();
    return report;
}

nlohmann::json toJson(const TransferBenchReport& r)
{
    auto run = [&](const TransferRun& t) {
        nlohmann::json j{{"seconds", t.seconds},
                         {"seconds_per_round", t.secondsPerRound},
                         {"mb_per_s", t.mbPerSecond},
                         {"ratio_to_unpaid", t.ratio},
                         {"downloader_cpu_seconds", t.downloaderCpuSeconds},
                         {"seeder_cpu_seconds", t.seederCpuSeconds},
                         {"machine_busy_core_seconds", t.machineBusyCoreSeconds},
                         {"machine_busy_share", t.machineBusyShare}};
        if (t.increment > 0) {
            j["increment_bytes"] = t.increment;
            j["credit_window_bytes"] = t.creditWindow;
            j["first_paid_byte_seconds"] = t.firstPaidByteSeconds;
            j["first_paid_byte_seconds_per_round"] = t.firstPaidBytePerRound;
            j["steps_seconds"] = {{"channel_proposed", t.channelProposedSeconds},
                                  {"deposit_mined", t.channelOpenSeconds},
                                  {"first_payment_countersigned", t.firstPaymentSeconds},
                                  {"first_paid_byte", t.firstPaidByteSeconds}};
            j["payments"] = t.payments;
            j["stops"] = t.stops;
            j["payment_answer_ms"] = {{"timed", t.paymentAnswer.count},
                                      {"p50", t.paymentAnswer.p50Ms},
                                      {"p90", t.paymentAnswer.p90Ms},
                                      {"p99", t.paymentAnswer.p99Ms}};
            j["bytes_per_payment"] = t.payments > 0 ? static_cast<double>(r.size) / static_cast<double>(t.payments) : 0.0;
            j["paid_wei"] = t.paid.toDecimal();
            j["cpu_ms_per_payment"] = t.cpuMillisPerPayment;
            j["ratio_if_only_signatures"] = t.signatureBoundRatio;
            j["channel_status"] = t.channelStatus;
        }
        return j;
    };
    nlohmann::json paid = nlohmann::json::array();
    for (const auto& p : r.paid) paid.push_back(run(p));
    auto goal = [](double value, double target, bool atLeast) {
        return nlohmann::json{{"value", value}, {"goal", target}, {"met", value >= 0 && (atLeast ? value >= target : value <= target)}};
    };
    nlohmann::json goals = nlohmann::json::object();
    if (const auto* p = r.paidAt(256 * one_kib)) goals["ratio_at_256_kib"] = goal(p->ratio, TransferBenchReport::ratioGoal256k, true);
    if (const auto* p = r.paidAt(16 * one_kib)) goals["ratio_at_16_kib"] = goal(p->ratio, TransferBenchReport::ratioGoal16k, true);
    goals["first_paid_byte_max_seconds"] = goal(r.firstPaidByteMax, TransferBenchReport::firstPaidByteGoalSeconds, false);
    return {{"size_bytes", r.size},
            {"price_wei_per_mib", r.pricePerMiB.toDecimal()},
            {"rounds", r.rounds},
            {"credit_window_bytes", r.creditWindow},
            {"unpaid", run(r.unpaid)},
            {"paid", paid},
            {"first_paid_byte_seconds", {{"median", r.firstPaidByteMedian}, {"max", r.firstPaidByteMax}}},
            {"signatures",
             {{"signatures_per_s", r.signaturesPerSecond},
              {"recoveries_per_s", r.recoveriesPerSecond},
              {"ms_per_payment", r.signatureMillisPerPayment}}},
            {"goals", goals},
            {"machine",
             {{"cores", r.cores},
              {"load_average_before", r.loadBefore},
              {"load_average_after", r.loadAfter},
              {"file_system", r.fileSystem},
              {"directory", r.directory.string()}}}};
}

// --- the seeder process ---------------------------------------------------------------------

Status runTransferSeeder(const TransferSeederOptions& o, std::ostream& out, const std::function<bool()>& keepRunning)
{
    NodeOptions no;
    no.dataDir = DataDir{o.dataDir};
    no.password = o.password;
    no.nodeToolsDir = o.nodeToolsDir;
    no.listen = "127.0.0.1:0";
    no.localOnly = true;
    no.highThroughput = true;
    no.scryptN = o.scryptN;
    no.watchtower = false;
    auto opened = Node::open(no);
    if (!opened) return opened.error();
    auto& node = *opened;
    auto free = node->seed(o.freeFile, std::nullopt);
    if (!free) return free.error();
    auto paid = node->seed(o.paidFile, o.pricePerMiB);
    if (!paid) return paid.error();

    // libtorrent checks the files it was given before it seeds them.
    const auto deadline = Clock::now() + seeder_ready_limit;
    auto seeding = [&](const std::string& ih) {
        auto st = node->status(ih);
        return st && st->isSeeding;
    };
    while (!(seeding(free->infoHash) && seeding(paid->infoHash))) {
        if (Clock::now() >= deadline || !keepRunning())
            return benchError(TransferBenchError::seeder_failed, "the torrents did not start seeding");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    out << nlohmann::json{{"event", "seeding"},
                          {"port", node->listenPort()},
                          {"chain",
                           {{"rpc", node->chain().rpc},
                            {"chainId", node->chain().chainId},
                            {"adjudicator", node->chain().adjudicator}}},
                          {"free", {{"infoHash", free->infoHash}, {"magnet", free->magnet}}},
                          {"paid", {{"infoHash", paid->infoHash}, {"magnet", paid->magnet}}}}
               .dump()
        << std::endl;
    while (keepRunning()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return {};
}

// --- sizes ----------------------------------------------------------------------------------

Result<std::uint64_t> parseByteSize(const std::string& text)
{
    // A size is a handful of characters; refuse anything long before looking at it.
    constexpr std::size_t max_size_text = 32;
    // Not benchError: seed and get parse their sizes with this too.
    auto bad = [&] {
        return pt::makeError(TransferBenchError::bad_option,
                             "not a size: '" + text.substr(0, max_size_text) + "' (examples: 1GiB, 256MiB, 16KiB, 1048576)");
    };
    if (text.empty() || text.size() > max_size_text) return bad();
    std::size_t i = 0;
    std::uint64_t number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        number = number * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (number > max_byte_size) return bad();
        ++i;
    }
    if (i == 0) return bad();
    while (i < text.size() && text[i] == ' ') ++i;
    std::string unit;
    for (; i < text.size(); ++i) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    static const std::map<std::string, std::uint64_t> units{
        {"", 1},          {"b", 1},
        {"k", one_kib},   {"kib", one_kib},   {"ki", one_kib},   {"kb", 1000},
        {"m", one_mib},   {"mib", one_mib},   {"mi", one_mib},   {"mb", 1000 * 1000},
        {"g", one_mib * 1024}, {"gib", one_mib * 1024}, {"gi", one_mib * 1024}, {"gb", 1000 * 1000 * 1000}};
    auto u = units.find(unit);
    if (u == units.end()) return bad();
    if (number > max_byte_size / u->second) return bad();
    return number * u->second;
}

std::string formatByteSize(std::uint64_t bytes)
{
    auto fmtUnit = [](std::uint64_t b, std::uint64_t unit, const char* name) {
        if (b % unit == 0) return fmt::format("{} {}", b / unit, name);
        return fmt::format("{:.1f} {}", static_cast<double>(b) / static_cast<double>(unit), name);
    };
    if (bytes >= one_mib * 1024) return fmtUnit(bytes, one_mib * 1024, "GiB");
    if (bytes >= one_mib) return fmtUnit(bytes, one_mib, "MiB");
    if (bytes >= one_kib) return fmtUnit(bytes, one_kib, "KiB");
    return fmt::format("{} B", bytes);
}

} // namespace paytorrent
