// Interoperability with stock BitTorrent clients that nobody here wrote: transmission-cli
// 3.00, aria2c 1.36 and python3-libtorrent 2.0.8 (Debian 12 packages), each a real process
// on loopback, TCP only, on free ports (../shared/reference/interop-peers.md).
//
//  - A free torrent goes from our seeder to each stock client, and from each stock client to
//    our leecher (added by magnet link, so the metadata comes from the stock seeder too):
//    the file arrives identical.
//  - A paid torrent (the paid-streaming plugin with a price) gives a stock leecher, which
//    has no extension and cannot pay, exactly 0 payload bytes over 10 s, and the seeder
//    sends nothing and sees no request storm.
//
// Client quirks met on loopback (worked around here, not hidden):
//  - transmission-cli cannot be told of a peer and, with no tracker, never dials: our side
//    dials it (interop-peers.md adds that it refuses to dial 127.x addresses). As a seeder
//    it sends nothing until its rechoke pass, about 10 s after the connection. It runs its
//    -f script on completion only given an absolute path (a relative one fails with "Child
//    process setup failed").
//  - transmission-cli's progress lines, written to a file, sit in stdio's buffer for ~10 s:
//    it runs under `stdbuf -o0`.
//  - aria2c has no "add peer" option: our side dials it.
//  - A stock client started while its port is being reused fails to bind: the port is
//    re-picked (freeLoopbackPort releases the port it found).
// Every child runs in a ChildProcess, which kills it (and its process group) on every path
// out of a test; each test bounds its own time well under 60 s.
#include "extension/paid_streaming.hpp"
#include "src/torrent_session.hpp"
#include "support/child_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <libtorrent/extensions.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_info.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

using namespace paytorrent::core;
using namespace std::chrono_literals;
using pt::test::ChildOptions;
using pt::test::ChildProcess;
using pt::test::TempDir;
namespace lt = libtorrent;

namespace {

constexpr std::size_t kFileBytes = 4 * 1024 * 1024 + 12345; // a short last piece
constexpr int kPieceBytes = 256 * 1024;
constexpr const char* kFileName = "payload.bin";
// Every wait in a test draws on one budget, so that a test ends (children stopped) within
// about this long whatever goes wrong; a good run takes 2-16 s. ctest's timeout is far longer.
constexpr auto kTestBudget = 50s;
// Each transfer, including a stock seeder's ~10 s rechoke delay, fits well within this.
constexpr auto kTransferLimit = 40s;
// How long a stock leecher is watched against a paid seeder.
constexpr auto kPaidWindow = 10s;
const std::string kPython = "/usr/bin/python3"; // Debian's, the one with the libtorrent module

// ---- small helpers ----

std::string readFile(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const std::filesystem::path& p, const std::string& text)
{
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// The end of a child's output for a failure message (progress lines end in \r).
std::string tail(std::string text, std::size_t n = 1500)
{
    for (auto& c : text)
        if (c == '\r') c = '\n';
    return text.size() > n ? "..." + text.substr(text.size() - n) : text;
}

std::string describe(const ChildProcess& child)
{
    std::string cmd;
    for (const auto& a : child.argv()) cmd += a + " ";
    return "\n--- " + cmd + "output:\n" + tail(child.output()) + "\n---";
}

template <class Pred>
bool waitFor(Pred pred, std::chrono::milliseconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return pred();
}

SessionConfig loopbackConfig()
{
    SessionConfig c;
    c.listenInterfaces = "127.0.0.1:0";
    c.enableDht = c.enableLsd = c.enableUpnp = false;
    c.enableUtp = false; // TCP only
    return c;
}

// Dials `peer` from our session until `done` holds, redialling while no peer is connected
// (a stock client refuses connections for a torrent it has not finished loading).
bool dialUntil(TorrentSession& session, const std::string& infoHash, int peerPort, const std::function<bool()>& done,
               std::chrono::milliseconds limit)
{
    const std::string peer = "127.0.0.1:" + std::to_string(peerPort);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto nextDial = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        const auto st = session.status(infoHash);
        if (std::chrono::steady_clock::now() >= nextDial && (!st || st->numPeers == 0)) {
            EXPECT_TRUE(session.connectPeer(infoHash, peer));
            nextDial = std::chrono::steady_clock::now() + 2s;
        }
        std::this_thread::sleep_for(100ms);
    }
    return done();
}

// ---- the stock clients ----

std::unique_ptr<ChildProcess> startPythonPeer(const std::filesystem::path& torrent,
                                              const std::filesystem::path& dataDir, int port,
                                              const std::vector<int>& dial, bool seed, std::chrono::seconds duration,
                                              const std::filesystem::path& log)
{
    std::vector<std::string> argv{kPython, pt::test::sourcePath("tests/py/lt_peer.py"),
                                  "--torrent", torrent.string(), "--save", dataDir.string(),
                                  "--port", std::to_string(port), "--duration", std::to_string(duration.count())};
    for (int p : dial) argv.insert(argv.end(), {"--connect", "127.0.0.1:" + std::to_string(p)});
    argv.push_back(seed ? "--seed" : "--exit-on-finish");
    return std::make_unique<ChildProcess>(argv, ChildOptions{{}, log});
}

// The JSON lines lt_peer.py printed.
std::vector<nlohmann::json> pythonEvents(const ChildProcess& child)
{
    std::vector<nlohmann::json> events;
    std::istringstream lines(child.output());
    std::string line;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object()) events.push_back(std::move(j));
    }
    return events;
}

std::unique_ptr<ChildProcess> startAria2c(const std::filesystem::path& torrent, const std::filesystem::path& dataDir,
                                          int port, bool seed, const std::filesystem::path& log)
{
    std::vector<std::string> argv{"aria2c", "--no-conf=true", "--enable-dht=false", "--enable-dht6=false",
                                  "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                                  "--interface=127.0.0.1", "--disable-ipv6=true",
                                  "--listen-port=" + std::to_string(port), "--dir=" + dataDir.string(),
                                  "--file-allocation=none", "--enable-color=false", "--summary-interval=1",
                                  "--console-log-level=notice"};
    if (seed) argv.insert(argv.end(), {"--check-integrity=true", "--seed-ratio=0.0", "--seed-time=5"});
    else argv.push_back("--seed-time=0"); // exit 0 as soon as the download is complete
    argv.push_back(torrent.string());
    return std::make_unique<ChildProcess>(argv, ChildOptions{{}, log});
}

// transmission-cli with a private config dir: no DHT, LPD, uTP, PEX or port mapping, bound
// to loopback. With `doneMarker`, its completion script creates that file.
std::unique_ptr<ChildProcess> startTransmission(const std::filesystem::path& torrent,
                                                const std::filesystem::path& dataDir, int port,
                                                const std::filesystem::path& workDir,
                                                const std::optional<std::filesystem::path>& doneMarker)
{
    const auto config = workDir / ("transmission-config-" + std::to_string(port));
    std::filesystem::create_directories(config);
    const nlohmann::json settings = {
        {"dht-enabled", false},          {"lpd-enabled", false},
        {"utp-enabled", false},          {"pex-enabled", false},
        {"port-forwarding-enabled", false},
        {"peer-port", port},             {"peer-port-random-on-start", false},
        {"bind-address-ipv4", "127.0.0.1"}, {"bind-address-ipv6", "::1"},
        {"rpc-enabled", false},          {"blocklist-enabled", false},
        {"ratio-limit-enabled", false},  {"idle-seeding-limit-enabled", false},
        {"incomplete-dir-enabled", false},
    };
    writeFile(config / "settings.json", settings.dump(2));
    // stdbuf: its progress lines go to a file, where stdio would hold them back in 4 KiB
    // blocks (about 10 s of output); unbuffered, the test sees them as they come.
    std::vector<std::string> argv{"stdbuf", "-o0", "transmission-cli", "-g", config.string(), "-w", dataDir.string(),
                                  "-p", std::to_string(port), "-M"};
    if (doneMarker) {
        const auto script = workDir / ("transmission-done-" + std::to_string(port) + ".sh");
        writeFile(script, "#!/bin/sh\ntouch '" + doneMarker->string() + "'\n");
        ::chmod(script.c_str(), 0755);
        argv.insert(argv.end(), {"-f", std::filesystem::absolute(script).string()});
    }
    argv.push_back(torrent.string());
    const auto log = workDir / ("transmission-" + std::to_string(port) + ".log");
    return std::make_unique<ChildProcess>(argv, ChildOptions{{}, log});
}

// ---- a test-only observer on the seeder: what each connection asked for and got ----

struct TrafficCounts {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> requests{0};     // request messages received
    std::atomic<std::uint64_t> payloadSent{0};  // payload bytes written to sockets
    std::atomic<std::uint64_t> piecesSent{0};
    std::atomic<std::uint64_t> unchokesSent{0};
};

class ObserverPeer final : public lt::peer_plugin {
public:
    explicit ObserverPeer(std::shared_ptr<TrafficCounts> counts) : counts_(std::move(counts)) {}
    bool on_request(lt::peer_request const&) override
    {
        ++counts_->requests;
        return false; // only counts: the next plugin (the paid gate) decides
    }
    void sent_payload(int bytes) override { counts_->payloadSent += static_cast<std::uint64_t>(std::max(bytes, 0)); }
    void sent_piece(lt::peer_request const&) override { ++counts_->piecesSent; }
    void sent_unchoke() override { ++counts_->unchokesSent; }

private:
    std::shared_ptr<TrafficCounts> counts_;
};

class ObserverTorrent final : public lt::torrent_plugin {
public:
    explicit ObserverTorrent(std::shared_ptr<TrafficCounts> counts) : counts_(std::move(counts)) {}
    std::shared_ptr<lt::peer_plugin> new_connection(lt::peer_connection_handle const& pc) override
    {
        if (pc.type() != lt::connection_type::bittorrent) return nullptr;
        ++counts_->connections;
        return std::make_shared<ObserverPeer>(counts_);
    }

private:
    std::shared_ptr<TrafficCounts> counts_;
};

// Installed before the paid-streaming plugin, so that it sees every request before the
// gate swallows it (libtorrent asks peer plugins in the order they were added).
class TrafficObserver final : public lt::plugin {
public:
    std::shared_ptr<lt::torrent_plugin> new_torrent(lt::torrent_handle const&, lt::client_data_t) override
    {
        return std::make_shared<ObserverTorrent>(counts);
    }
    const std::shared_ptr<TrafficCounts> counts = std::make_shared<TrafficCounts>();
};

// Stands in for the payment engine: a stock peer must never reach it.
class CountingEvents final : public pt::ext::PeerEvents {
public:
    void onPeerJoined(const pt::ext::PeerInfo&) override { ++joined; }
    void onMessage(pt::ext::PeerKey, pt::ext::Message) override { ++messages; }
    void onCreditExhausted(pt::ext::PeerKey, std::uint64_t) override { ++exhausted; }
    void onPayloadReceived(pt::ext::PeerKey, std::uint64_t) override {}
    void onPaymentReleased(pt::ext::PeerKey, std::uint64_t) override { ++messages; }
    void onPeerError(pt::ext::PeerKey, const pt::Error&) override { ++errors; }
    void onPeerLeft(pt::ext::PeerKey, const pt::ext::PeerCountersSnapshot&) override {}

    std::atomic<int> joined{0}, messages{0}, exhausted{0}, errors{0};
};

// ---- fixture: a few MiB of random data and its v1 .torrent ----

class Interop : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::filesystem::create_directories(seedDir());
        std::filesystem::create_directories(leechDir());
        std::mt19937_64 rng(std::random_device{}());
        data_.resize(kFileBytes);
        for (auto& c : data_) c = static_cast<char>(rng());
        writeFile(seedDir() / kFileName, data_);
        CreateOptions options;
        options.pieceSize = kPieceBytes;
        auto created = TorrentSession::createTorrent(seedDir() / kFileName, options);
        ASSERT_TRUE(created) << created.error().describe();
        torrent_ = *created;
        std::ofstream(torrentPath(), std::ios::binary)
            .write(torrent_.torrentFile.data(), static_cast<std::streamsize>(torrent_.torrentFile.size()));
    }

    std::filesystem::path seedDir() const { return dir_ / "seed"; }
    std::filesystem::path leechDir() const { return dir_ / "leech"; }
    std::filesystem::path torrentPath() const { return dir_ / "payload.torrent"; }
    std::filesystem::path log(const std::string& name) const { return dir_ / (name + ".log"); }

    // `want`, or what is left of the test's budget if that is less.
    std::chrono::milliseconds upTo(std::chrono::milliseconds want) const
    {
        using std::chrono::milliseconds;
        const auto left = std::chrono::duration_cast<milliseconds>(deadline_ - std::chrono::steady_clock::now());
        return std::clamp(left, milliseconds(0), want);
    }

    // Starts a child that must listen on a port of its own: picks a free port, starts it,
    // and waits until it listens. freeLoopbackPort releases the port it found, so another
    // process can take it first; then the child fails to bind and a new port is tried.
    std::pair<std::unique_ptr<ChildProcess>, int> startListening(
        const std::function<std::unique_ptr<ChildProcess>(int)>& start)
    {
        std::string failures;
        for (int attempt = 0; attempt < 3; ++attempt) {
            const int port = pt::test::freeLoopbackPort();
            auto child = start(port);
            waitFor([&] { return !child->running() || pt::test::waitForTcpListen(port, 0ms); }, upTo(8s));
            if (child->running() && pt::test::waitForTcpListen(port, 0ms)) {
                std::this_thread::sleep_for(200ms); // the listener may be someone else's: check it lives
                if (child->running()) return {std::move(child), port};
            }
            failures += describe(*child);
        }
        ADD_FAILURE() << "the child never listened on its port:" << failures;
        return {nullptr, 0};
    }

    // The leecher's copy equals the original, byte for byte.
    ::testing::AssertionResult leechedFileIsIdentical() const
    {
        const std::string got = readFile(leechDir() / kFileName);
        if (got == data_) return ::testing::AssertionSuccess();
        std::size_t firstDiff = 0;
        while (firstDiff < std::min(got.size(), data_.size()) && got[firstDiff] == data_[firstDiff]) ++firstDiff;
        return ::testing::AssertionFailure() << "leeched file has " << got.size() << " bytes, expected " << data_.size()
                                             << "; first difference at byte " << firstDiff;
    }

    // Our seeder of the free torrent, seeding before it returns.
    std::unique_ptr<TorrentSession> startOurSeeder(SessionConfig config = loopbackConfig())
    {
        auto session = std::make_unique<TorrentSession>(std::move(config));
        auto added = session->addTorrentBuffer(torrent_.torrentFile, seedDir());
        EXPECT_TRUE(added) << added.error().describe();
        EXPECT_TRUE(waitFor([&] { auto s = session->status(torrent_.infoHash); return s && s->isSeeding; }, upTo(10s)));
        EXPECT_GT(session->listenPort(), 0);
        return session;
    }

    // Our seeder counted at least the file's size in payload uploaded. The count is a cached
    // status, refreshed about 4 times a second, so it may lag the transfer a little.
    ::testing::AssertionResult uploadedTheWholeFile(TorrentSession& seeder) const
    {
        const auto uploaded = [&] {
            auto st = seeder.status(torrent_.infoHash);
            return st ? st->totalPayloadUpload : -1;
        };
        if (waitFor([&] { return uploaded() >= static_cast<std::int64_t>(kFileBytes); }, 3s))
            return ::testing::AssertionSuccess();
        return ::testing::AssertionFailure() << "our seeder counted " << uploaded() << " payload bytes uploaded";
    }

    // Our leecher: adds the torrent by magnet link (so the metadata must come from the stock
    // seeder, BEP 9), dials the stock seeder at `port`, and waits for the whole file.
    void leechFromStockSeeder(int port, const ChildProcess& seeder)
    {
        TorrentSession leecher(loopbackConfig());
        auto added = leecher.addMagnet(torrent_.magnet, leechDir());
        ASSERT_TRUE(added) << added.error().describe();
        ASSERT_EQ(*added, torrent_.infoHash);
        const bool done = dialUntil(
            leecher, *added, port, [&] { auto s = leecher.status(*added); return s && s->isSeeding; },
            upTo(kTransferLimit));
        const auto st = leecher.status(*added);
        ASSERT_TRUE(done) << "our leecher has " << (st ? st->totalDone : -1) << " of " << kFileBytes << " bytes, state "
                          << (st ? st->state : "none") << describe(seeder);
        EXPECT_TRUE(leechedFileIsIdentical());
        // The counters lag the completion by up to a status refresh.
        const auto downloaded = [&] { return leecher.status(*added)->totalPayloadDownload; };
        EXPECT_TRUE(waitFor([&] { return downloaded() >= static_cast<std::int64_t>(kFileBytes); }, 3s))
            << "our leecher counted " << downloaded() << " payload bytes";
    }

    TempDir dir_{"pt-interop"};
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::now() + kTestBudget;
    std::string data_;
    CreatedTorrent torrent_;
};

// ================= 0. The guard the tests rely on =================

// A process that no longer runs: gone, or a zombie waiting for a reaper.
bool processGone(pid_t pid)
{
    if (::kill(pid, 0) != 0) return true;
    const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close == std::string::npos || stat.substr(close + 2, 1) == "Z";
}

TEST(InteropChildGuard, StopsTheChildAndWhatItStartedEvenIfTheyIgnoreSigterm)
{
    TempDir dir("pt-interop-guard");
    const auto pidFile = dir / "grandchild.pid";
    pid_t child = 0, grandchild = 0;
    {
        // A shell that ignores SIGTERM (and so does the sleep it starts in the background).
        ChildProcess sh({"sh", "-c", "trap '' TERM; sleep 30 & echo $! > '" + pidFile.string() + "'; wait"},
                        ChildOptions{{}, dir / "sh.log"});
        child = sh.pid();
        ASSERT_TRUE(waitFor([&] { return readFile(pidFile).find('\n') != std::string::npos; }, 5s));
        grandchild = std::stoi(readFile(pidFile));
        EXPECT_TRUE(sh.running());
        EXPECT_FALSE(processGone(grandchild));
        const auto before = std::chrono::steady_clock::now();
        sh.stop(300ms);
        EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
        EXPECT_FALSE(sh.running());
        EXPECT_EQ(sh.termSignal(), SIGKILL);
        EXPECT_FALSE(sh.exitCode());
    }
    EXPECT_TRUE(processGone(child));
    EXPECT_TRUE(waitFor([&] { return processGone(grandchild); }, 2s)) << "the background sleep outlived the guard";
}

TEST(InteropChildGuard, ReportsExitCodeAndOutput)
{
    TempDir dir("pt-interop-guard");
    ChildProcess sh({"sh", "-c", "echo ready; echo oops >&2; exit 7"}, ChildOptions{{}, dir / "out.log"});
    EXPECT_TRUE(sh.waitForOutput("ready", 5s));
    ASSERT_TRUE(sh.waitForExit(5s));
    EXPECT_EQ(sh.exitCode(), 7);
    EXPECT_EQ(sh.termSignal(), 0);
    EXPECT_EQ(sh.output(), "ready\noops\n");
    EXPECT_FALSE(sh.waitForOutput("never written", 5s)) << "waiting on a dead child must end at once";
    EXPECT_THROW(ChildProcess({"/nonexistent/program"}), std::runtime_error);
}

// ================= 1. Free torrent: our seeder -> stock leecher =================

TEST_F(Interop, OurSeederToPythonLibtorrent)
{
    auto seeder = startOurSeeder();
    // The stock leecher dials us (libtorrent dials loopback peers).
    auto peer = startPythonPeer(torrentPath(), leechDir(), 0, {seeder->listenPort()}, false,
                                std::chrono::duration_cast<std::chrono::seconds>(kTransferLimit), log("python"));
    ASSERT_TRUE(peer->waitForExit(upTo(kTransferLimit))) << "still downloading" << describe(*peer);
    ASSERT_EQ(peer->exitCode(), 0) << describe(*peer);
    const auto events = pythonEvents(*peer);
    const bool finished =
        std::any_of(events.begin(), events.end(), [](const auto& e) { return e["event"] == "finished"; });
    EXPECT_TRUE(finished) << describe(*peer);
    EXPECT_TRUE(leechedFileIsIdentical());
    EXPECT_TRUE(uploadedTheWholeFile(*seeder));
}

TEST_F(Interop, OurSeederToAria2c)
{
    auto seeder = startOurSeeder();
    auto [aria, port] = startListening(
        [&](int p) { return startAria2c(torrentPath(), leechDir(), p, false, log("aria2c-" + std::to_string(p))); });
    ASSERT_TRUE(aria);
    ChildProcess& child = *aria;
    // aria2c cannot be told of a peer: we dial it. With --seed-time=0 it exits 0 when done.
    const bool exited =
        dialUntil(*seeder, torrent_.infoHash, port, [&] { return !child.running(); }, upTo(kTransferLimit));
    ASSERT_TRUE(exited) << "aria2c still downloading" << describe(*aria);
    EXPECT_EQ(aria->exitCode(), 0) << describe(*aria);
    EXPECT_NE(aria->output().find("Download complete"), std::string::npos) << describe(*aria);
    EXPECT_TRUE(leechedFileIsIdentical());
    EXPECT_TRUE(uploadedTheWholeFile(*seeder));
}

TEST_F(Interop, OurSeederToTransmission)
{
    auto seeder = startOurSeeder();
    const auto marker = dir_ / "transmission-done";
    auto [transmission, port] = startListening(
        [&](int p) { return startTransmission(torrentPath(), leechDir(), p, dir_.path(), marker); });
    ASSERT_TRUE(transmission);
    // transmission-cli cannot be told of a peer: we dial it. It runs the -f script on completion
    // (after its own hash checks) and then seeds on; the guard stops it.
    const bool done = dialUntil(*seeder, torrent_.infoHash, port, [&] { return std::filesystem::exists(marker); },
                                upTo(kTransferLimit));
    ASSERT_TRUE(done) << "transmission did not complete" << describe(*transmission);
    EXPECT_TRUE(leechedFileIsIdentical());
    EXPECT_TRUE(uploadedTheWholeFile(*seeder));
}

// ================= 2. Free torrent: stock seeder -> our leecher =================

TEST_F(Interop, PythonLibtorrentSeederToUs)
{
    auto [peer, port] = startListening([&](int p) {
        return startPythonPeer(torrentPath(), seedDir(), p, {}, true, 55s, log("python-" + std::to_string(p)));
    });
    ASSERT_TRUE(peer);
    ASSERT_TRUE(peer->waitForOutput("\"is_seeding\": true", upTo(10s)))
        << "python3-libtorrent never seeded" << describe(*peer);
    leechFromStockSeeder(port, *peer);
}

TEST_F(Interop, Aria2cSeederToUs)
{
    auto [aria, port] = startListening(
        [&](int p) { return startAria2c(torrentPath(), seedDir(), p, true, log("aria2c-" + std::to_string(p))); });
    ASSERT_TRUE(aria);
    // Its summary shows SEED once --check-integrity has verified the file.
    ASSERT_TRUE(aria->waitForOutput("SEED(", upTo(15s))) << "aria2c never seeded" << describe(*aria);
    leechFromStockSeeder(port, *aria);
}

TEST_F(Interop, TransmissionSeederToUs)
{
    auto [transmission, port] = startListening(
        [&](int p) { return startTransmission(torrentPath(), seedDir(), p, dir_.path(), std::nullopt); });
    ASSERT_TRUE(transmission);
    ASSERT_TRUE(transmission->waitForOutput("Seeding", upTo(15s)))
        << "transmission never seeded" << describe(*transmission);
    leechFromStockSeeder(port, *transmission);
}

// ================= 3. Paid torrent: a stock leecher gets nothing =================

enum class Stock { python_libtorrent, aria2c, transmission };

const char* nameOf(Stock s)
{
    switch (s) {
    case Stock::python_libtorrent: return "PythonLibtorrent";
    case Stock::aria2c: return "Aria2c";
    case Stock::transmission: return "Transmission";
    }
    return "Unknown";
}

// Names the client in test listings and failure messages.
void PrintTo(Stock s, std::ostream* os)
{
    *os << nameOf(s);
}

// A seeder selling the torrent with the paid-streaming plugin, with the test observer in
// front of the plugin.
class PaidSeeder {
public:
    PaidSeeder(const CreatedTorrent& torrent, const std::filesystem::path& seedDir)
    {
        events_ = std::make_shared<CountingEvents>();
        pt::ext::Terms node;
        node.signer.bytes.fill(0x51);
        node.chainId = 31337;
        node.adjudicator.bytes.fill(0xad);
        auto created = pt::ext::PaidStreaming::create(node, events_);
        if (!created) throw std::runtime_error("PaidStreaming::create: " + created.error().describe());
        paid_ = *created;

        SessionConfig config = loopbackConfig();
        config.plugins = {observer_, paid_->sessionPlugin()};
        session_ = std::make_unique<TorrentSession>(std::move(config));
        lt::settings_pack seller;
        pt::ext::applyPaidSellerSettings(seller);
        native().apply_settings(seller);

        const lt::torrent_info info(torrent.torrentFile, lt::from_span);
        infoHash_ = info.info_hashes();
        paid_->setTorrent(pt::ext::infoHashKey(infoHash_), pt::Wei(std::uint64_t{1'000'000'000})); // 1 gwei/MiB
        auto added = session_->addTorrentBuffer(torrent.torrentFile, seedDir);
        EXPECT_TRUE(added) << added.error().describe();
        ih_ = torrent.infoHash;
        EXPECT_TRUE(waitFor([&] { auto s = session_->status(ih_); return s && s->isSeeding; }, 10s));
    }
    ~PaidSeeder()
    {
        session_.reset(); // before the engine stand-in the plugin points at
    }

    TorrentSession& session() { return *session_; }
    const TrafficCounts& traffic() const { return *observer_->counts; }
    const CountingEvents& events() const { return *events_; }

    // Client names of the peers connected now (libtorrent's reading of their peer ids), and
    // how many of them we are choking.
    std::pair<std::set<std::string>, int> peers()
    {
        std::vector<lt::peer_info> infos;
        native().find_torrent(infoHash_.get_best()).get_peer_info(infos);
        std::set<std::string> clients;
        int choked = 0;
        for (const auto& p : infos) {
            if (!p.client.empty()) clients.insert(p.client); // empty until the handshake
            if (p.flags & lt::peer_info::choked) ++choked;
        }
        return {clients, choked};
    }

private:
    lt::session& native() { return *static_cast<lt::session*>(session_->nativeSession()); }

    std::shared_ptr<CountingEvents> events_;
    std::shared_ptr<TrafficObserver> observer_ = std::make_shared<TrafficObserver>();
    std::shared_ptr<pt::ext::PaidStreaming> paid_;
    std::unique_ptr<TorrentSession> session_;
    lt::info_hash_t infoHash_;
    std::string ih_;
};

class InteropPaid : public Interop, public ::testing::WithParamInterface<Stock> {
protected:
    // The watch window itself is not cut short: everything before it shares what is left.
    InteropPaid() { deadline_ -= kPaidWindow; }
};

TEST_P(InteropPaid, StockLeecherGetsNothingAndMakesNoRequestStorm)
{
    PaidSeeder seeder(torrent_, seedDir());
    const std::string& ih = torrent_.infoHash;

    std::unique_ptr<ChildProcess> leecher;
    int port = 0;
    std::string expectedClient;
    switch (GetParam()) {
    case Stock::python_libtorrent:
        // It dials us, and reports what it downloaded when stopped (SIGTERM) after the window.
        leecher = startPythonPeer(torrentPath(), leechDir(), 0, {seeder.session().listenPort()}, false, 40s,
                                  log("python"));
        expectedClient = "libtorrent";
        break;
    case Stock::aria2c:
        std::tie(leecher, port) = startListening([&](int p) {
            return startAria2c(torrentPath(), leechDir(), p, false, log("aria2c-" + std::to_string(p)));
        });
        expectedClient = "aria2";
        break;
    case Stock::transmission:
        std::tie(leecher, port) = startListening(
            [&](int p) { return startTransmission(torrentPath(), leechDir(), p, dir_.path(), std::nullopt); });
        expectedClient = "Transmission";
        break;
    }
    ASSERT_TRUE(leecher);

    // Connect (python3-libtorrent dials us; we dial aria2c and transmission), then watch.
    const auto anyPeer = [&] { return !seeder.peers().first.empty(); };
    const bool connected =
        port == 0 ? waitFor(anyPeer, upTo(15s)) : dialUntil(seeder.session(), ih, port, anyPeer, upTo(20s));
    ASSERT_TRUE(connected) << "the stock leecher never connected" << describe(*leecher);
    std::set<std::string> clientsSeen;
    int chokedSamples = 0, connectedSamples = 0;
    bool connectedAtEnd = false;
    std::optional<std::uint64_t> requestsAtHalfTime;
    const auto windowStart = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - windowStart < kPaidWindow) {
        auto [clients, choked] = seeder.peers();
        clientsSeen.insert(clients.begin(), clients.end());
        connectedAtEnd = !clients.empty();
        if (connectedAtEnd) ++connectedSamples;
        if (!clients.empty() && choked == static_cast<int>(clients.size())) ++chokedSamples;
        if (!requestsAtHalfTime && std::chrono::steady_clock::now() - windowStart >= kPaidWindow / 2)
            requestsAtHalfTime = seeder.traffic().requests.load();
        std::this_thread::sleep_for(250ms);
    }
    const std::uint64_t requests = seeder.traffic().requests.load();

    // The stock client's own account of what it received.
    switch (GetParam()) {
    case Stock::python_libtorrent: {
        leecher->stop(5s); // SIGTERM: it prints its totals and exits 0
        ASSERT_EQ(leecher->exitCode(), 0) << describe(*leecher);
        const auto events = pythonEvents(*leecher);
        ASSERT_FALSE(events.empty()) << describe(*leecher);
        const auto& last = events.back();
        EXPECT_EQ(last["event"], "done") << describe(*leecher);
        EXPECT_EQ(last["payload_download"], 0) << describe(*leecher);
        EXPECT_EQ(last["progress"], 0.0) << describe(*leecher);
        int maxPeers = 0;
        for (const auto& e : events)
            if (e.contains("peers")) maxPeers = std::max(maxPeers, e["peers"].get<int>());
        EXPECT_GE(maxPeers, 1) << "python3-libtorrent never saw our seeder" << describe(*leecher);
        break;
    }
    case Stock::aria2c: {
        // Its summary lines read "[#gid DONE/TOTAL(PCT%) CN:n ...]": the last one must show 0B done.
        const std::string out = leecher->output();
        static const std::regex readout(R"(\[#[0-9a-f]+ ([0-9.]+[KMG]?i?B)/[0-9.]+[KMG]?i?B\(([0-9]+)%\) CN:([0-9]+))");
        std::string lastDone, lastConnections;
        int readouts = 0;
        for (std::sregex_iterator it(out.begin(), out.end(), readout), end; it != end; ++it, ++readouts) {
            lastDone = (*it)[1];
            lastConnections = (*it)[3];
        }
        EXPECT_GE(readouts, 3) << describe(*leecher);
        EXPECT_EQ(lastDone, "0B") << describe(*leecher);
        EXPECT_EQ(lastConnections, "1") << "aria2c dropped our seeder" << describe(*leecher);
        EXPECT_TRUE(leecher->running()) << describe(*leecher);
        break;
    }
    case Stock::transmission: {
        const std::string out = leecher->output();
        EXPECT_NE(out.find("Progress: 0.0%"), std::string::npos) << describe(*leecher);
        static const std::regex progress(R"(Progress: ([0-9.]+)%)");
        std::string lastProgress;
        for (std::sregex_iterator it(out.begin(), out.end(), progress), end; it != end; ++it) lastProgress = (*it)[1];
        EXPECT_EQ(lastProgress, "0.0") << describe(*leecher);
        EXPECT_TRUE(leecher->running()) << describe(*leecher);
        break;
    }
    }
    leecher->stop();

    // The seeder's account: a stock client of the expected kind connected, stayed choked,
    // and was sent nothing; its requests (the few it sends before our choke arrives) stop.
    bool sawExpected = false;
    std::string seen;
    for (const auto& c : clientsSeen) {
        seen += "'" + c + "' ";
        if (c.find(expectedClient) != std::string::npos) sawExpected = true;
    }
    EXPECT_TRUE(sawExpected) << "clients seen: " << seen;
    EXPECT_GT(connectedSamples, 0);
    // Not disconnected for lacking the extension (docs/protocol.md, section 7).
    EXPECT_TRUE(connectedAtEnd) << "the stock peer was gone by the end of the window";
    EXPECT_EQ(chokedSamples, connectedSamples) << "an unpaid stock peer was seen unchoked";
    EXPECT_EQ(seeder.traffic().payloadSent.load(), 0u);
    EXPECT_EQ(seeder.traffic().piecesSent.load(), 0u);
    auto st = seeder.session().status(ih);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->totalPayloadUpload, 0);
    // A storm is tens of thousands of requests a second (libtorrent-plugins.md). A stock
    // client that is choked sends none; a handful may precede our choke.
    EXPECT_LE(requests, 64u) << "requests over " << kPaidWindow.count() << " s";
    EXPECT_LE(requests - requestsAtHalfTime.value_or(0), 4u) << "requests still coming in the second half";
    // A stock peer never reaches the payment engine, and is not treated as a hostile one.
    EXPECT_EQ(seeder.events().joined.load(), 0);
    EXPECT_EQ(seeder.events().messages.load(), 0);
    EXPECT_EQ(seeder.events().errors.load(), 0);
    RecordProperty("requests", static_cast<int>(requests));
    RecordProperty("connections", static_cast<int>(seeder.traffic().connections.load()));
    std::cout << "[ interop  ] " << seen << ": " << requests << " requests, " << seeder.traffic().connections.load()
              << " connection(s), " << seeder.traffic().unchokesSent.load() << " unchoke(s) undone, connected in "
              << connectedSamples << " samples, " << seeder.traffic().payloadSent.load() << " payload bytes sent\n";
}

INSTANTIATE_TEST_SUITE_P(Stock, InteropPaid,
                         ::testing::Values(Stock::python_libtorrent, Stock::aria2c, Stock::transmission),
                         [](const ::testing::TestParamInfo<Stock>& p) { return std::string(nameOf(p.param)); });

} // namespace
