#include "torrent_session.hpp"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/extensions.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/write_resume_data.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace lt = libtorrent;

namespace paytorrent::core {
namespace {

class TorrentErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "torrent"; }
    std::string message(int ev) const override
    {
        switch (static_cast<TorrentError>(ev)) {
        case TorrentError::invalid_magnet: return "invalid magnet link";
        case TorrentError::invalid_torrent: return "invalid .torrent file";
        case TorrentError::not_found: return "no such torrent";
        case TorrentError::create_failed: return "cannot create the torrent";
        case TorrentError::io: return "data directory I/O error";
        case TorrentError::invalid_endpoint: return "invalid HOST:PORT";
        }
        return "unknown torrent error";
    }
};

std::string hashHex(const lt::sha1_hash& h)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : h) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 0x0f];
    }
    return out;
}

std::optional<lt::sha1_hash> parseHash(const std::string& hex)
{
    if (hex.size() != 40) return std::nullopt;
    lt::sha1_hash h;
    for (std::size_t i = 0; i < 20; ++i) {
        int v = 0;
        for (int k = 0; k < 2; ++k) {
            const char c = hex[2 * i + static_cast<std::size_t>(k)];
            int d = -1;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
            if (d < 0) return std::nullopt;
            v = v * 16 + d;
        }
        h[static_cast<int>(i)] = static_cast<char>(v);
    }
    return h;
}

const char* stateName(lt::torrent_status::state_t s)
{
    switch (s) {
    case lt::torrent_status::checking_files: return "checking";
    case lt::torrent_status::downloading_metadata: return "metadata";
    case lt::torrent_status::downloading: return "downloading";
    case lt::torrent_status::finished: return "finished";
    case lt::torrent_status::seeding: return "seeding";
    case lt::torrent_status::checking_resume_data: return "checking";
    default: return "unknown";
    }
}

TorrentStatus toStatus(const lt::torrent_status& st)
{
    TorrentStatus s;
    s.infoHash = hashHex(st.info_hashes.v1);
    s.name = st.name;
    s.paused = static_cast<bool>(st.flags & lt::torrent_flags::paused);
    s.state = s.paused ? "paused" : stateName(st.state);
    s.totalWanted = st.total_wanted;
    s.totalDone = st.total_wanted_done;
    s.downloadRate = st.download_payload_rate;
    s.uploadRate = st.upload_payload_rate;
    s.totalPayloadUpload = st.all_time_upload;
    s.totalPayloadDownload = st.all_time_download;
    s.numPeers = st.num_peers;
    s.isSeeding = st.is_seeding;
    s.isFinished = st.is_finished;
    if (st.errc) s.error = st.errc.message();
    return s;
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percentDecoded(std::string_view v)
{
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != '%') {
            out += v[i];
            continue;
        }
        if (i + 2 >= v.size() || hexDigit(v[i + 1]) < 0 || hexDigit(v[i + 2]) < 0) return std::nullopt;
        out += static_cast<char>(hexDigit(v[i + 1]) * 16 + hexDigit(v[i + 2]));
        i += 2;
    }
    return out;
}

// libtorrent takes an x.pe value verbatim ("x.pe=192.0.2.7:6881") and drops one whose writer
// percent-encoded it ("192.0.2.7%3A6881"), as generic URL encoders do: those peers are
// decoded and added here, so that every direct peer a magnet link names gets dialled.
void addEncodedMagnetPeers(std::string_view uri, lt::add_torrent_params& atp)
{
    const auto query = uri.find('?');
    if (query == std::string_view::npos) return;
    uri.remove_prefix(query + 1);
    while (!uri.empty()) {
        const auto amp = uri.find('&');
        const std::string_view param = uri.substr(0, amp);
        uri = amp == std::string_view::npos ? std::string_view{} : uri.substr(amp + 1);
        const auto eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        std::string name(param.substr(0, eq));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name != "x.pe") continue;
        const std::string_view value = param.substr(eq + 1);
        if (value.find('%') == std::string_view::npos) continue; // libtorrent has it already
        auto text = percentDecoded(value);
        if (!text) continue;
        auto hostPort = parseHostPort(*text);
        if (!hostPort) continue;
        boost::system::error_code ec;
        const auto addr = boost::asio::ip::make_address(hostPort->first, ec);
        if (ec) continue; // x.pe names an address, never a host name
        const lt::tcp::endpoint ep(addr, static_cast<std::uint16_t>(hostPort->second));
        if (std::find(atp.peers.begin(), atp.peers.end(), ep) == atp.peers.end()) atp.peers.push_back(ep);
    }
}

// The one settings table: every setting PayTorrent changes from libtorrent's defaults.
lt::settings_pack makeSettings(const SessionConfig& c)
{
    lt::settings_pack p = c.highThroughput ? lt::high_performance_seed() : lt::settings_pack{};
    p.set_str(lt::settings_pack::listen_interfaces, c.listenInterfaces);
    p.set_str(lt::settings_pack::user_agent, "PayTorrent/0.1");
    p.set_int(lt::settings_pack::alert_mask,
              lt::alert_category::error | lt::alert_category::status | lt::alert_category::storage);
    p.set_bool(lt::settings_pack::enable_dht, c.enableDht);
    if (c.enableDht && !c.dhtBootstrapNodes.empty()) {
        std::string nodes;
        for (const auto& n : c.dhtBootstrapNodes) nodes += (nodes.empty() ? "" : ",") + n;
        p.set_str(lt::settings_pack::dht_bootstrap_nodes, nodes);
        // Explicit bootstrap nodes mean a closed network whose DHT nodes the user runs. The
        // defaults below defend the public DHT against routing-table poisoning by admitting
        // one node per IP (and per /24) into the routing table and into each lookup; on a
        // closed network several nodes share an address (one host, a NAT) or a /24 (a LAN),
        // and with the defaults each node would keep at most one of them: a lookup could miss
        // the node that stores a torrent's peers.
        p.set_bool(lt::settings_pack::dht_restrict_routing_ips, false);
        p.set_bool(lt::settings_pack::dht_restrict_search_ips, false);
        // A closed network may number itself from blocks that are unrouted ("dark") on the
        // Internet, whose traffic the default drops.
        p.set_bool(lt::settings_pack::dht_ignore_dark_internet, false);
    }
    p.set_bool(lt::settings_pack::enable_lsd, c.enableLsd);
    p.set_bool(lt::settings_pack::enable_upnp, c.enableUpnp);
    p.set_bool(lt::settings_pack::enable_natpmp, c.enableUpnp);
    p.set_bool(lt::settings_pack::enable_outgoing_utp, c.enableUtp);
    p.set_bool(lt::settings_pack::enable_incoming_utp, c.enableUtp);
    // Several peers of one machine (tests, a LAN) must be able to connect to each other.
    p.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
    // A paid seeder must not let a choked peer fetch "allowed fast" pieces for free.
    p.set_int(lt::settings_pack::allowed_fast_set_size, 0);
    if (c.highThroughput) {
        // Measured on loopback (docs/benchmarks.md): larger watermarks and queues keep the
        // pipe full; the leecher's disk and SHA-1 are the limit after that.
        p.set_int(lt::settings_pack::send_buffer_watermark, 8 * 1024 * 1024);
        p.set_int(lt::settings_pack::max_queued_disk_bytes, 32 * 1024 * 1024);
        p.set_int(lt::settings_pack::aio_threads, 2);
        p.set_int(lt::settings_pack::hashing_threads, 2);
        p.set_int(lt::settings_pack::send_socket_buffer_size, 4 * 1024 * 1024);
        p.set_int(lt::settings_pack::recv_socket_buffer_size, 4 * 1024 * 1024);
        p.set_int(lt::settings_pack::max_out_request_queue, 1500);
    }
    if (c.tune) c.tune(p);
    return p;
}

} // namespace

const std::error_category& torrentErrorCategory() noexcept
{
    static const TorrentErrorCategory category;
    return category;
}

struct TorrentSession::Impl {
    SessionConfig config;
    std::unique_ptr<lt::session> session;
    std::thread alertThread;
    std::atomic<bool> stopping{false};
    // libtorrent announces a torrent to the DHT at once only if the DHT already runs when
    // the torrent starts; one started earlier (the DHT starts only once its bootstrap names
    // resolve, and restarts when settings or the network change) would wait for the periodic
    // round, dht_announce_interval (15 min). The pump announces every torrent each time it
    // sees the DHT come up. As the pump last saw it; alert thread only.
    bool dhtRunning = false;

    mutable std::mutex mutex;
    std::map<std::string, TorrentStatus> statuses; // guarded by mutex
    std::function<void(const std::string&)> finishedHandler; // guarded by mutex
    std::function<void(const std::string&, std::int64_t)> metadataHandler; // guarded by mutex
    int outstandingResume = 0;                               // guarded by mutex
    std::condition_variable resumeDone;

    std::filesystem::path resumeFile(const std::string& infoHash) const
    {
        return config.resumeDir / (infoHash + ".resume");
    }

    void writeResume(const lt::add_torrent_params& params)
    {
        if (config.resumeDir.empty()) return;
        const std::string ih = hashHex(params.info_hashes.v1);
        const std::vector<char> buf = lt::write_resume_data_buf(params);
        // Write then rename, so a crash leaves the old file or the new one, never half.
        const auto tmp = resumeFile(ih).string() + ".tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
            if (!out) return;
        }
        std::error_code ec;
        std::filesystem::rename(tmp, resumeFile(ih), ec);
    }

    void loadResume()
    {
        if (config.resumeDir.empty()) return;
        std::error_code ec;
        std::filesystem::create_directories(config.resumeDir, ec);
        for (const auto& entry : std::filesystem::directory_iterator(config.resumeDir, ec)) {
            if (entry.path().extension() != ".resume") continue;
            std::ifstream in(entry.path(), std::ios::binary);
            std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            lt::error_code err;
            lt::add_torrent_params atp = lt::read_resume_data(buf, err);
            if (err) continue; // a damaged resume file: the torrent can be added again
            if (config.beforeResume) config.beforeResume(hashHex(atp.ti ? atp.ti->info_hashes().v1 : atp.info_hashes.v1));
            session->async_add_torrent(std::move(atp));
        }
    }

    void handle(lt::alert* a)
    {
        if (auto* su = lt::alert_cast<lt::state_update_alert>(a)) {
            std::lock_guard lock(mutex);
            for (const auto& st : su->status) statuses[hashHex(st.info_hashes.v1)] = toStatus(st);
        } else if (auto* added = lt::alert_cast<lt::add_torrent_alert>(a)) {
            if (!added->error && added->handle.is_valid()) {
                const auto st = added->handle.status();
                {
                    std::lock_guard lock(mutex);
                    statuses[hashHex(st.info_hashes.v1)] = toStatus(st);
                }
                if (st.has_metadata) metadataKnown(added->handle);
            }
        } else if (auto* fin = lt::alert_cast<lt::torrent_finished_alert>(a)) {
            fin->handle.save_resume_data(lt::torrent_handle::save_info_dict);
            std::function<void(const std::string&)> handler;
            {
                std::lock_guard lock(mutex);
                handler = finishedHandler;
                const auto st = fin->handle.status();
                statuses[hashHex(st.info_hashes.v1)] = toStatus(st);
            }
            if (handler) handler(hashHex(fin->handle.info_hashes().v1));
        } else if (auto* rd = lt::alert_cast<lt::save_resume_data_alert>(a)) {
            writeResume(rd->params);
            resumeAnswered();
        } else if (lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
            resumeAnswered();
        } else if (auto* md = lt::alert_cast<lt::metadata_received_alert>(a)) {
            md->handle.save_resume_data(lt::torrent_handle::save_info_dict);
            metadataKnown(md->handle);
        } else if (auto* rm = lt::alert_cast<lt::torrent_removed_alert>(a)) {
            const std::string ih = hashHex(rm->info_hashes.v1);
            std::error_code ec;
            if (!config.resumeDir.empty()) std::filesystem::remove(resumeFile(ih), ec);
            std::lock_guard lock(mutex);
            statuses.erase(ih);
        }
    }

    void metadataKnown(const lt::torrent_handle& h)
    {
        auto ti = h.torrent_file();
        if (!ti) return;
        std::function<void(const std::string&, std::int64_t)> handler;
        {
            std::lock_guard lock(mutex);
            handler = metadataHandler;
        }
        if (handler) handler(hashHex(h.info_hashes().v1), ti->total_size());
    }

    void resumeAnswered()
    {
        std::lock_guard lock(mutex);
        if (outstandingResume > 0) --outstandingResume;
        resumeDone.notify_all();
    }

    void pump()
    {
        auto lastUpdate = std::chrono::steady_clock::now();
        while (!stopping) {
            session->wait_for_alert(std::chrono::milliseconds(200));
            std::vector<lt::alert*> alerts;
            session->pop_alerts(&alerts);
            for (auto* a : alerts) handle(a);
            if (std::chrono::steady_clock::now() - lastUpdate > std::chrono::milliseconds(250)) {
                session->post_torrent_updates();
                lastUpdate = std::chrono::steady_clock::now();
                if (config.enableDht) {
                    const bool running = session->is_dht_running();
                    if (running && !dhtRunning)
                        for (auto& h : session->get_torrents()) h.force_dht_announce();
                    dhtRunning = running;
                }
            }
        }
    }

    std::optional<lt::torrent_handle> find(const std::string& infoHash) const
    {
        auto h = parseHash(infoHash);
        if (!h) return std::nullopt;
        auto th = session->find_torrent(*h);
        if (!th.is_valid()) return std::nullopt;
        return th;
    }

    pt::Result<std::string> add(lt::add_torrent_params atp, const std::filesystem::path& savePath,
                                const BeforeAdd& beforeAdd)
    {
        atp.save_path = savePath.string();
        if (beforeAdd) beforeAdd(hashHex(atp.ti ? atp.ti->info_hashes().v1 : atp.info_hashes.v1));
        lt::error_code ec;
        lt::torrent_handle h = session->add_torrent(std::move(atp), ec);
        if (ec) return pt::makeError(TorrentError::invalid_torrent, ec.message());
        const auto st = h.status();
        const std::string ih = hashHex(h.info_hashes().v1);
        {
            std::lock_guard lock(mutex);
            statuses[ih] = toStatus(st);
        }
        h.save_resume_data(lt::torrent_handle::save_info_dict);
        return ih;
    }
};

TorrentSession::TorrentSession(SessionConfig config) : impl_(std::make_unique<Impl>())
{
    impl_->config = std::move(config);
    lt::session_params params(makeSettings(impl_->config));
    // session_params starts with libtorrent's default plugins (ut_metadata, ut_pex,
    // smart_ban): magnet links need ut_metadata, so ours are added, not substituted.
    for (const auto& p : impl_->config.plugins) params.extensions.push_back(p);
    impl_->session = std::make_unique<lt::session>(std::move(params));
    impl_->loadResume();
    impl_->alertThread = std::thread([this] { impl_->pump(); });
}

TorrentSession::~TorrentSession()
{
    saveAllResumeData(std::chrono::seconds(5));
    impl_->stopping = true;
    if (impl_->alertThread.joinable()) impl_->alertThread.join();
    impl_->session.reset();
}

namespace {

// The files a torrent of `path` would hold, by its absolute path; an error when there is
// nothing to share.
pt::Result<lt::file_storage> filesToShare(const std::filesystem::path& path, std::filesystem::path& abs)
{
    std::error_code fsErr;
    abs = std::filesystem::absolute(path, fsErr);
    if (fsErr || !std::filesystem::exists(abs))
        return pt::makeError(TorrentError::create_failed, "no such file or folder: " + path.string());
    lt::file_storage fs;
    lt::add_files(fs, abs.string());
    if (fs.num_files() == 0 || fs.total_size() == 0)
        return pt::makeError(TorrentError::create_failed, "nothing to share in " + path.string());
    return fs;
}

} // namespace

pt::Status TorrentSession::checkShareable(const std::filesystem::path& path)
{
    std::filesystem::path abs;
    auto fs = filesToShare(path, abs);
    if (!fs) return fs.error();
    return {};
}

pt::Result<CreatedTorrent> TorrentSession::createTorrent(const std::filesystem::path& path, const CreateOptions& options)
{
    std::filesystem::path abs;
    auto fs = filesToShare(path, abs);
    if (!fs) return fs.error();
    lt::create_torrent ct(*fs, options.pieceSize, lt::create_torrent::v1_only);
    for (const auto& t : options.trackers) ct.add_tracker(t);
    if (!options.comment.empty()) ct.set_comment(options.comment.c_str());
    ct.set_creator("PayTorrent");
    lt::error_code ec;
    lt::set_piece_hashes(ct, abs.parent_path().string(), ec);
    if (ec) return pt::makeError(TorrentError::create_failed, ec.message());
    CreatedTorrent out;
    lt::bencode(std::back_inserter(out.torrentFile), ct.generate());
    lt::error_code loadErr;
    lt::torrent_info ti(out.torrentFile.data(), static_cast<int>(out.torrentFile.size()), loadErr);
    if (loadErr) return pt::makeError(TorrentError::create_failed, loadErr.message());
    out.infoHash = hashHex(ti.info_hashes().v1);
    out.magnet = lt::make_magnet_uri(ti);
    return out;
}

namespace {

pt::Result<lt::add_torrent_params> magnetParams(const std::string& uri)
{
    lt::error_code ec;
    lt::add_torrent_params atp = lt::parse_magnet_uri(uri, ec);
    if (ec) return pt::makeError(TorrentError::invalid_magnet, ec.message());
    addEncodedMagnetPeers(uri, atp);
    return atp;
}

pt::Result<lt::add_torrent_params> torrentParams(const std::vector<char>& torrent)
{
    lt::error_code ec;
    auto ti = std::make_shared<lt::torrent_info>(torrent.data(), static_cast<int>(torrent.size()), ec);
    if (ec) return pt::makeError(TorrentError::invalid_torrent, ec.message());
    lt::add_torrent_params atp;
    atp.ti = std::move(ti);
    return atp;
}

pt::Result<std::vector<char>> readTorrentFile(const std::filesystem::path& torrentFile)
{
    std::ifstream in(torrentFile, std::ios::binary);
    if (!in) return pt::makeError(TorrentError::invalid_torrent, "cannot read " + torrentFile.string());
    // .torrent files of real content are well under this; anything larger is refused.
    constexpr std::size_t max_torrent_file = 64 * 1024 * 1024;
    std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (buf.size() > max_torrent_file)
        return pt::makeError(TorrentError::invalid_torrent, torrentFile.string() + " is larger than 64 MiB");
    return buf;
}

} // namespace

pt::Status TorrentSession::checkSource(const std::string& source)
{
    if (source.rfind("magnet:", 0) == 0) {
        auto atp = magnetParams(source);
        if (!atp) return atp.error();
        return {};
    }
    auto buf = readTorrentFile(source);
    if (!buf) return buf.error();
    auto atp = torrentParams(*buf);
    if (!atp) return atp.error();
    return {};
}

pt::Result<std::string> TorrentSession::addMagnet(const std::string& uri, const std::filesystem::path& savePath,
                                                  const BeforeAdd& beforeAdd)
{
    auto atp = magnetParams(uri);
    if (!atp) return atp.error();
    return impl_->add(std::move(*atp), savePath, beforeAdd);
}

pt::Result<std::string> TorrentSession::addTorrentFile(const std::filesystem::path& torrentFile,
                                                       const std::filesystem::path& savePath,
                                                       const BeforeAdd& beforeAdd)
{
    auto buf = readTorrentFile(torrentFile);
    if (!buf) return buf.error();
    return addTorrentBuffer(*buf, savePath, beforeAdd);
}

pt::Result<std::string> TorrentSession::addTorrentBuffer(const std::vector<char>& torrent,
                                                         const std::filesystem::path& savePath,
                                                         const BeforeAdd& beforeAdd)
{
    auto atp = torrentParams(torrent);
    if (!atp) return atp.error();
    return impl_->add(std::move(*atp), savePath, beforeAdd);
}

pt::Status TorrentSession::pause(const std::string& infoHash)
{
    auto h = impl_->find(infoHash);
    if (!h) return pt::makeError(TorrentError::not_found, infoHash);
    h->unset_flags(lt::torrent_flags::auto_managed);
    h->pause(lt::torrent_handle::graceful_pause);
    h->save_resume_data(lt::torrent_handle::save_info_dict);
    return {};
}

pt::Status TorrentSession::resume(const std::string& infoHash)
{
    auto h = impl_->find(infoHash);
    if (!h) return pt::makeError(TorrentError::not_found, infoHash);
    h->resume();
    h->save_resume_data(lt::torrent_handle::save_info_dict);
    return {};
}

pt::Status TorrentSession::remove(const std::string& infoHash, bool deleteFiles)
{
    auto h = impl_->find(infoHash);
    if (!h) return pt::makeError(TorrentError::not_found, infoHash);
    impl_->session->remove_torrent(*h, deleteFiles ? lt::session::delete_files : lt::remove_flags_t{});
    return {};
}

pt::Status TorrentSession::connectPeer(const std::string& infoHash, const std::string& hostPort)
{
    auto h = impl_->find(infoHash);
    if (!h) return pt::makeError(TorrentError::not_found, infoHash);
    auto ep = parseHostPort(hostPort);
    if (!ep) return ep.error();
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(ep->first, ec);
    if (ec) return pt::makeError(TorrentError::invalid_endpoint, "not an IP address: " + ep->first);
    h->connect_peer(lt::tcp::endpoint(addr, static_cast<std::uint16_t>(ep->second)));
    return {};
}

std::optional<TorrentStatus> TorrentSession::status(const std::string& infoHash) const
{
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->statuses.find(infoHash);
    if (it == impl_->statuses.end()) return std::nullopt;
    return it->second;
}

std::vector<TorrentStatus> TorrentSession::torrents() const
{
    std::lock_guard lock(impl_->mutex);
    std::vector<TorrentStatus> out;
    for (const auto& [k, v] : impl_->statuses) out.push_back(v);
    return out;
}

int TorrentSession::listenPort() const { return impl_->session->listen_port(); }

void TorrentSession::onFinished(std::function<void(const std::string&)> handler)
{
    std::lock_guard lock(impl_->mutex);
    impl_->finishedHandler = std::move(handler);
}

void TorrentSession::onMetadata(std::function<void(const std::string&, std::int64_t)> handler)
{
    std::lock_guard lock(impl_->mutex);
    impl_->metadataHandler = std::move(handler);
}

void TorrentSession::saveAllResumeData(std::chrono::milliseconds timeout)
{
    if (impl_->config.resumeDir.empty()) return;
    auto handles = impl_->session->get_torrents();
    {
        std::lock_guard lock(impl_->mutex);
        impl_->outstandingResume += static_cast<int>(handles.size());
    }
    for (auto& h : handles) h.save_resume_data(lt::torrent_handle::save_info_dict);
    std::unique_lock lock(impl_->mutex);
    impl_->resumeDone.wait_for(lock, timeout, [&] { return impl_->outstandingResume == 0; });
    impl_->outstandingResume = 0;
}

void* TorrentSession::nativeSession() noexcept { return impl_->session.get(); }

pt::Result<std::pair<std::string, int>> parseHostPort(const std::string& text)
{
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return pt::makeError(TorrentError::invalid_endpoint, "expected [V6]:PORT, got " + text);
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos || colon == 0)
            return pt::makeError(TorrentError::invalid_endpoint, "expected HOST:PORT, got " + text);
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
        return pt::makeError(TorrentError::invalid_endpoint, "bad port in " + text);
    const int p = std::stoi(port);
    if (p < 1 || p > 65535) return pt::makeError(TorrentError::invalid_endpoint, "port out of range in " + text);
    return std::make_pair(host, p);
}

} // namespace paytorrent::core
