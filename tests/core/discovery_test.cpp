// Finding the seller of a paid torrent: real nodes on loopback (embedded chain, paid
// channels) where the downloader is told nothing but the magnet link, and finds the seeder
//   - through an HTTP tracker (the npm bittorrent-tracker, a separate process),
//   - through the DHT of a closed network (a plain libtorrent DHT node as bootstrap),
//   - through the magnet link's direct peer (x.pe).
// Each test gives the seeder one way only (no --peer, the other two absent, LSD off) and
// checks the magnet link carries just that; a control test shows that with none of them
// the downloader finds no one, so a pass cannot come from a way the test did not mean.
#include "paytorrent/node.hpp"
#include "src/torrent_session.hpp"

#include "support/files.hpp"
#include "support/http_tracker.hpp"
#include "support/paid_nodes.hpp"
#include "support/temp_dir.hpp"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_info.hpp>

#include <gtest/gtest.h>

#include <thread>

using namespace paytorrent;
using namespace pt::test;
using namespace std::chrono_literals;
using pt::Wei;
namespace lt = libtorrent;

namespace {

constexpr std::size_t kFileBytes = 3 * mib + 4321; // a short last piece
const Wei kPrice(pt::U256("1000000000000"));       // 10^12 wei per MiB
const Wei kBudget(pt::U256("1000000000000000000"));
// Finding the seeder, the metadata and 3 MiB of paid transfer: a good run takes 2-5 s.
constexpr auto kFindAndTransfer = 20s;
// How long the control test watches a downloader that was given no way to the seeder.
constexpr auto kNoPeerWindow = 4s;

std::string hex(const lt::sha1_hash& h)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : h) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 0x0f];
    }
    return out;
}

std::string loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// What libtorrent reads from a magnet link: its trackers and direct peers.
struct MagnetContent {
    std::vector<std::string> trackers;
    std::vector<std::string> peers;
};

MagnetContent readMagnet(const std::string& magnet)
{
    lt::error_code ec;
    const lt::add_torrent_params atp = lt::parse_magnet_uri(magnet, ec);
    EXPECT_FALSE(ec) << ec.message() << ": " << magnet;
    MagnetContent out{atp.trackers, {}};
    for (const auto& ep : atp.peers) out.peers.push_back(ep.address().to_string() + ":" + std::to_string(ep.port()));
    return out;
}

// A plain libtorrent DHT node holding no torrent: the bootstrap node of the closed network,
// which the seeder announces to and the downloader asks. Its settings relax the per-IP
// defences as the nodes' own do with explicit bootstrap nodes (all three share 127.0.0.1).
class DhtBootstrapNode {
public:
    DhtBootstrapNode()
    {
        lt::settings_pack p;
        p.set_str(lt::settings_pack::listen_interfaces, "127.0.0.1:0");
        p.set_bool(lt::settings_pack::enable_dht, true);
        p.set_str(lt::settings_pack::dht_bootstrap_nodes, ""); // the first node knows no one
        p.set_bool(lt::settings_pack::dht_restrict_routing_ips, false);
        p.set_bool(lt::settings_pack::dht_restrict_search_ips, false);
        p.set_bool(lt::settings_pack::enable_lsd, false);
        p.set_bool(lt::settings_pack::enable_upnp, false);
        p.set_bool(lt::settings_pack::enable_natpmp, false);
        p.set_int(lt::settings_pack::alert_mask, lt::alert_category::dht);
        session_ = std::make_unique<lt::session>(p);
    }

    // The DHT's UDP port is the session's listen port.
    int port() const { return session_->listen_port(); }

    // True once a node has announced, to this one, that it has `infoHash` at 127.0.0.1:peerPort.
    bool waitForAnnounce(const std::string& infoHash, int peerPort, std::chrono::milliseconds timeout)
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            session_->wait_for_alert(100ms);
            std::vector<lt::alert*> alerts;
            session_->pop_alerts(&alerts);
            for (auto* a : alerts)
                if (auto* an = lt::alert_cast<lt::dht_announce_alert>(a))
                    if (hex(an->info_hash) == infoHash && an->port == peerPort) return true;
        }
        return false;
    }

private:
    std::unique_ptr<lt::session> session_;
};

class Discovery : public ::testing::Test {
protected:
    // Opens the seeder (starting the chain) and the downloader on the same chain, and writes
    // the file to share.
    void openNodes(NodeOptions seederOptions, NodeOptions leecherOptions)
    {
        ASSERT_NO_FATAL_FAILURE(openSeeder(std::move(seederOptions)));
        leecherOptions.chainRpc = seeder->chain().rpc;
        leecherOptions.adjudicator = seeder->chain().adjudicator;
        auto l = Node::open(std::move(leecherOptions));
        ASSERT_TRUE(l) << l.error().describe();
        leecher = std::move(*l);
    }

    void openSeeder(NodeOptions options)
    {
        auto s = Node::open(std::move(options));
        ASSERT_TRUE(s) << s.error().describe();
        seeder = std::move(*s);
        std::filesystem::create_directories(dir / "share");
        data = writeRandomFile(dir / "share" / "film.bin", kFileBytes, 23);
    }

    void seed(const SeedOptions& options)
    {
        auto r = seeder->seed(dir / "share" / "film.bin", kPrice, options);
        ASSERT_TRUE(r) << r.error().describe();
        seeded = *r;
    }

    // Downloads `source` given no peer at all: the seeder must be found `how`. Then checks the
    // file, the payment bound and the settlement.
    void expectPaidDownload(const std::string& source, const std::string& how)
    {
        DownloadRequest req{source, dir / "out", kPrice, kBudget, {}};
        auto ih = leecher->download(req);
        ASSERT_TRUE(ih) << ih.error().describe();
        ASSERT_EQ(*ih, seeded.infoHash);
        const bool finished = waitFor([&] { auto s = leecher->status(*ih); return s && s->isFinished; },
                                      kFindAndTransfer);
        if (!finished) {
            const auto s = leecher->status(*ih);
            FAIL() << "the downloader did not find and download the paid torrent through " << how << " within "
                   << std::chrono::duration_cast<std::chrono::seconds>(kFindAndTransfer).count() << " s: "
                   << (s ? s->state + ", " + std::to_string(s->totalDone) + "/" + std::to_string(s->totalWanted) +
                               " bytes, " + std::to_string(s->numPeers) + " peers"
                         : std::string("no status"));
        }
        EXPECT_EQ(readFile(dir / "out" / "film.bin"), data);

        const auto closed = leecher->closeChannels(*ih, 60s);
        ASSERT_EQ(closed.size(), 1u);
        EXPECT_EQ(closed[0].status, "closed") << closed[0].error;
        const Wei paid = closed[0].paid;
        EXPECT_GE(paid, cost(kFileBytes, kPrice));
        EXPECT_LE(paid, cost(kFileBytes, kPrice) + cost(1 * mib, kPrice)); // + the 1 MiB credit window
        Wei earned;
        for (const auto& c : seeder->channels())
            if (c.role == "seller" && c.torrent == *ih) earned = earned + c.paid;
        EXPECT_EQ(earned, paid);
    }

    TempDir dir;
    std::unique_ptr<Node> seeder;
    std::unique_ptr<Node> leecher;
    std::string data;
    SeedResult seeded;
};

TEST_F(Discovery, FindsThePaidSeederThroughATrackerOnly)
{
    HttpTracker tracker(dir / "tracker.log");
    // Both local-only: no DHT, no LSD.
    ASSERT_NO_FATAL_FAILURE(openNodes(nodeOptions(dir / "seeder"), nodeOptions(dir / "leecher")));
    ASSERT_NO_FATAL_FAILURE(seed(SeedOptions{{tracker.announceUrl()}, {}}));

    const auto magnet = readMagnet(seeded.magnet);
    EXPECT_EQ(magnet.trackers, std::vector<std::string>{tracker.announceUrl()});
    EXPECT_TRUE(magnet.peers.empty());
    lt::error_code ec;
    const lt::torrent_info ti(seeded.torrentFile.string(), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(ti.trackers().size(), 1u);
    EXPECT_EQ(ti.trackers()[0].url, tracker.announceUrl());

    // The downloader asks the tracker after the seeder has told it where it is.
    ASSERT_TRUE(tracker.waitForStart(seeder->listenPort(), 10s))
        << "the seeder never announced to the tracker; tracker log:\n" << tracker.output();
    ASSERT_NO_FATAL_FAILURE(expectPaidDownload(seeded.magnet, "the tracker"));
    EXPECT_TRUE(tracker.waitForStart(leecher->listenPort(), 0ms)) << tracker.output();
}

TEST_F(Discovery, FindsThePaidSeederThroughTheDhtOnly)
{
    DhtBootstrapNode bootstrap;
    ASSERT_GT(bootstrap.port(), 0);
    // Local-only (no LSD, UPnP, uTP) with the DHT on, joined through the bootstrap node.
    auto withDht = [&](const std::filesystem::path& d) {
        NodeOptions o = nodeOptions(d);
        o.dht = true;
        o.dhtBootstrap = {loopback(bootstrap.port())};
        return o;
    };
    ASSERT_NO_FATAL_FAILURE(openNodes(withDht(dir / "seeder"), withDht(dir / "leecher")));
    ASSERT_NO_FATAL_FAILURE(seed(SeedOptions{}));

    // Nothing but the info-hash (and the price terms) in the link.
    const auto magnet = readMagnet(seeded.magnet);
    EXPECT_TRUE(magnet.trackers.empty());
    EXPECT_TRUE(magnet.peers.empty());
    EXPECT_EQ(seeded.magnet.find("x.pe"), std::string::npos);

    ASSERT_TRUE(bootstrap.waitForAnnounce(seeded.infoHash, seeder->listenPort(), 15s))
        << "the seeder never announced the torrent to the DHT";
    ASSERT_NO_FATAL_FAILURE(expectPaidDownload(seeded.magnet, "the DHT"));
}

TEST_F(Discovery, FindsThePaidSeederThroughTheMagnetLinksDirectPeerOnly)
{
    ASSERT_NO_FATAL_FAILURE(openNodes(nodeOptions(dir / "seeder"), nodeOptions(dir / "leecher")));
    const std::string self = loopback(seeder->listenPort());
    ASSERT_NO_FATAL_FAILURE(seed(SeedOptions{{}, {self}}));

    const auto magnet = readMagnet(seeded.magnet);
    EXPECT_TRUE(magnet.trackers.empty());
    EXPECT_EQ(magnet.peers, std::vector<std::string>{self});
    ASSERT_NO_FATAL_FAILURE(expectPaidDownload(seeded.magnet, "the magnet link's x.pe"));
}

// The control: the same nodes and link with no tracker, no DHT and no x.pe find no one.
TEST_F(Discovery, WithNoTrackerDhtOrDirectPeerTheDownloaderFindsNoOne)
{
    ASSERT_NO_FATAL_FAILURE(openNodes(nodeOptions(dir / "seeder"), nodeOptions(dir / "leecher")));
    ASSERT_NO_FATAL_FAILURE(seed(SeedOptions{}));
    auto ih = leecher->download(DownloadRequest{seeded.magnet, dir / "out", kPrice, kBudget, {}});
    ASSERT_TRUE(ih) << ih.error().describe();
    const bool foundSomeone = waitFor([&] { auto s = leecher->status(*ih); return s && s->numPeers > 0; },
                                      kNoPeerWindow);
    EXPECT_FALSE(foundSomeone);
    const auto s = leecher->status(*ih);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->totalDone, 0);
    EXPECT_FALSE(s->isFinished);
}

TEST_F(Discovery, SeedRefusesMalformedTrackersAndMagnetPeersWithoutEchoingTheUrl)
{
    ASSERT_NO_FATAL_FAILURE(openSeeder(nodeOptions(dir / "seeder")));
    const auto refused = [&](const SeedOptions& o) {
        auto r = seeder->seed(dir / "share" / "film.bin", kPrice, o);
        if (r) return std::string("accepted");
        EXPECT_EQ(r.error().code, NodeError::bad_option);
        return r.error().describe();
    };
    // A private tracker's URL carries the user's passkey: it must not reach the message.
    const std::string ftp = refused(SeedOptions{{"ftp://tracker.example/passkey-7f3a9c/announce"}, {}});
    EXPECT_NE(ftp, "accepted");
    EXPECT_EQ(ftp.find("passkey-7f3a9c"), std::string::npos) << ftp;
    EXPECT_NE(refused(SeedOptions{{"http://tracker.example/ann ounce"}, {}}), "accepted");
    EXPECT_NE(refused(SeedOptions{{"http://" + std::string(3000, 'a') + "/announce"}, {}}), "accepted");
    EXPECT_NE(refused(SeedOptions{{}, {"tracker.example:6881"}}), "accepted"); // x.pe takes no host name
    EXPECT_NE(refused(SeedOptions{{}, {"127.0.0.1"}}), "accepted");            // nor a missing port
    EXPECT_NE(refused(SeedOptions{{}, {"127.0.0.1:70000"}}), "accepted");
    // Nothing half-done: no torrent was added.
    EXPECT_TRUE(seeder->torrents().empty());

    // Accepted forms: udp:// trackers, IPv6 direct peers (bracketed in x.pe).
    auto ok = seeder->seed(dir / "share" / "film.bin", kPrice,
                           SeedOptions{{"udp://127.0.0.1:6969"}, {"[::1]:6881", "127.0.0.1:6882"}});
    ASSERT_TRUE(ok) << ok.error().describe();
    const auto magnet = readMagnet(ok->magnet);
    EXPECT_EQ(magnet.trackers, std::vector<std::string>{"udp://127.0.0.1:6969"});
    EXPECT_EQ(magnet.peers, (std::vector<std::string>{"::1:6881", "127.0.0.1:6882"}));
}

TEST(DiscoveryOptions, NodeRefusesAMalformedDhtBootstrapNodeBeforeStartingAnything)
{
    TempDir dir;
    for (const std::string bad : {"127.0.0.1", "127.0.0.1:0", "a,b:6881", "host name:6881"}) {
        NodeOptions o = nodeOptions(dir / "n");
        o.dht = true;
        o.dhtBootstrap = {"127.0.0.1:6881", bad};
        auto r = Node::open(o);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, NodeError::bad_option);
        EXPECT_NE(r.error().describe().find("DHT bootstrap node"), std::string::npos) << r.error().describe();
        EXPECT_FALSE(std::filesystem::exists(dir / "n")); // refused before the data directory was made
    }
}

// The public DHT's per-IP defences stay as libtorrent ships them unless the user names the
// nodes of a closed network.
TEST(DhtSettings, RelaxesThePerIpDefencesOnlyWithExplicitBootstrapNodes)
{
    core::SessionConfig config;
    config.listenInterfaces = "127.0.0.1:0";
    config.enableLsd = config.enableUpnp = config.enableUtp = false;
    config.enableDht = true;
    const auto settingsOf = [](core::TorrentSession& s) {
        return static_cast<lt::session*>(s.nativeSession())->get_settings();
    };
    {
        core::TorrentSession publicDht(config);
        const auto p = settingsOf(publicDht);
        EXPECT_TRUE(p.get_bool(lt::settings_pack::enable_dht));
        EXPECT_TRUE(p.get_bool(lt::settings_pack::dht_restrict_routing_ips));
        EXPECT_TRUE(p.get_bool(lt::settings_pack::dht_restrict_search_ips));
        EXPECT_TRUE(p.get_bool(lt::settings_pack::dht_ignore_dark_internet));
        EXPECT_NE(p.get_str(lt::settings_pack::dht_bootstrap_nodes), "");
    }
    config.dhtBootstrapNodes = {"127.0.0.1:9", "[::1]:9"};
    core::TorrentSession closedDht(config);
    const auto p = settingsOf(closedDht);
    EXPECT_TRUE(p.get_bool(lt::settings_pack::enable_dht));
    EXPECT_EQ(p.get_str(lt::settings_pack::dht_bootstrap_nodes), "127.0.0.1:9,[::1]:9");
    EXPECT_FALSE(p.get_bool(lt::settings_pack::dht_restrict_routing_ips));
    EXPECT_FALSE(p.get_bool(lt::settings_pack::dht_restrict_search_ips));
    EXPECT_FALSE(p.get_bool(lt::settings_pack::dht_ignore_dark_internet));
}

// libtorrent announces a torrent to the DHT at once only if the DHT already ran when the
// torrent started (else at its 15-minute round); the session announces its torrents whenever
// the DHT comes up. Here the DHT comes up after the torrent, as it does when its bootstrap
// names resolve late or it restarts.
TEST(DhtAnnounce, ATorrentStartedBeforeTheDhtIsAnnouncedWhenTheDhtComesUp)
{
    TempDir dir;
    DhtBootstrapNode bootstrap;
    core::SessionConfig config;
    config.listenInterfaces = "127.0.0.1:0";
    config.enableLsd = config.enableUpnp = config.enableUtp = false;
    config.enableDht = true;
    config.dhtBootstrapNodes = {loopback(bootstrap.port())};
    config.tune = [](lt::settings_pack& p) { p.set_bool(lt::settings_pack::enable_dht, false); }; // not yet
    core::TorrentSession seeder(config);
    auto* native = static_cast<lt::session*>(seeder.nativeSession());

    std::filesystem::create_directories(dir / "share");
    writeRandomFile(dir / "share" / "early.bin", 100 * 1024, 9);
    auto created = core::TorrentSession::createTorrent(dir / "share" / "early.bin", {});
    ASSERT_TRUE(created) << created.error().describe();
    ASSERT_TRUE(seeder.addTorrentBuffer(created->torrentFile, dir / "share"));
    ASSERT_TRUE(waitFor([&] { auto s = seeder.status(created->infoHash); return s && s->isSeeding; }, 10s));
    EXPECT_FALSE(native->is_dht_running());

    lt::settings_pack on;
    on.set_bool(lt::settings_pack::enable_dht, true);
    native->apply_settings(on);
    EXPECT_TRUE(bootstrap.waitForAnnounce(created->infoHash, seeder.listenPort(), 10s))
        << "the torrent was not announced when the DHT came up";
}

// Generic URL encoders write "x.pe=127.0.0.1%3A6881", which libtorrent alone would drop.
TEST(MagnetPeers, APercentEncodedDirectPeerIsDialledToo)
{
    TempDir dir;
    core::SessionConfig config;
    config.listenInterfaces = "127.0.0.1:0";
    config.enableDht = config.enableLsd = config.enableUpnp = config.enableUtp = false;
    core::TorrentSession seeder(config);
    core::TorrentSession leecher(config);
    std::filesystem::create_directories(dir / "share");
    const std::string data = writeRandomFile(dir / "share" / "small.bin", 300 * 1024, 5);
    auto created = core::TorrentSession::createTorrent(dir / "share" / "small.bin", {});
    ASSERT_TRUE(created) << created.error().describe();
    ASSERT_TRUE(seeder.addTorrentBuffer(created->torrentFile, dir / "share"));
    ASSERT_TRUE(waitFor([&] { return seeder.listenPort() > 0; }, 5s));

    const std::string magnet =
        created->magnet + "&X.PE=127.0.0.1%3A" + std::to_string(seeder.listenPort()) + "&x.pe=not%3Aan%3Aendpoint";
    auto ih = leecher.addMagnet(magnet, dir / "out");
    ASSERT_TRUE(ih) << ih.error().describe();
    EXPECT_TRUE(waitFor([&] { auto s = leecher.status(*ih); return s && s->isFinished; }, 15s))
        << "the percent-encoded x.pe peer was not dialled";
    EXPECT_EQ(readFile(dir / "out" / "small.bin"), data);
}

} // namespace
