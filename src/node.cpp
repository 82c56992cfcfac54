#include "paytorrent/node.hpp"

#include "adjudicator_port.hpp"
#include "channel_lifecycle.hpp"
#include "payment_engine.hpp"
#include "torrent_session.hpp"

#include "extension/paid_streaming.hpp"
#include "wallet/chain/local_chain.hpp"
#include "wallet/chain/rpc_eth_client.hpp"
#include "wallet/keystore/keystore.hpp"
#include "wallet/keystore/keystore_file.hpp"
#include "wallet/store/store.hpp"

#include <boost/asio/ip/address.hpp>
#include <libtorrent/settings_pack.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <mutex>

namespace paytorrent {

using namespace pt;

namespace {

class NodeErrorCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "node"; }
    std::string message(int ev) const override
    {
        switch (static_cast<NodeError>(ev)) {
        case NodeError::no_password: return "no keystore password";
        case NodeError::bad_option: return "bad option";
        case NodeError::chain_unavailable: return "chain unavailable";
        case NodeError::refused_terms: return "terms refused";
        case NodeError::unknown_torrent: return "unknown torrent";
        }
        return "unknown node error";
    }
};

const Wei one_ether(U256("1000000000000000000"));

std::filesystem::path defaultNodeTools()
{
    if (const char* d = std::getenv("PAYTORRENT_NODE_TOOLS"); d && *d) return d;
    return PT_NODE_TOOLS_DIR;
}

std::string settingText(store::Store& s, const std::string& key)
{
    auto v = s.getSetting(key);
    if (!v || !*v) return {};
    return std::string((*v)->begin(), (*v)->end());
}

Status putText(store::Store& s, const std::string& key, const std::string& text)
{
    return s.putSetting(key, ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

ext::InfoHashBytes infoHashKey(const std::string& hex)
{
    auto r = ext::InfoHashBytes::fromHex(hex);
    return r ? *r : ext::InfoHashBytes{};
}

// Percent-decoding of a magnet parameter value.
std::string percentDecode(std::string_view v)
{
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size()) {
            auto byte = fromHex(v.substr(i + 1, 2));
            if (byte && byte->size() == 1) {
                out += static_cast<char>((*byte)[0]);
                i += 2;
                continue;
            }
        }
        out += v[i] == '+' ? ' ' : v[i];
    }
    return out;
}

} // namespace

const std::error_category& nodeErrorCategory() noexcept
{
    static const NodeErrorCategory category;
    return category;
}

Result<MagnetTerms> parseMagnetTerms(const std::string& magnet)
{
    // Magnet links are short; anything this long is not one a user pasted.
    constexpr std::size_t max_magnet_bytes = 64 * 1024;
    if (magnet.size() > max_magnet_bytes || magnet.rfind("magnet:?", 0) != 0)
        return makeError(NodeError::bad_option, "not a magnet link");
    MagnetTerms t;
    std::string_view rest(magnet);
    rest.remove_prefix(8);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view param = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        const auto eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = param.substr(0, eq);
        const std::string value = percentDecode(param.substr(eq + 1));
        if (key == "x.pt.price") {
            auto w = Wei::parse(value);
            if (!w || w->value() == 0) return makeError(NodeError::bad_option, "the magnet link's x.pt.price is not a positive wei amount");
            t.pricePerMiB = *w;
        } else if (key == "x.pt.chain") {
            auto c = parseU256(value);
            if (!c) return makeError(NodeError::bad_option, "the magnet link's x.pt.chain is not a chain id");
            t.chainId = c->str();
        } else if (key == "x.pt.adjudicator") {
            auto a = Address::fromHex(value);
            if (!a) return makeError(NodeError::bad_option, "the magnet link's x.pt.adjudicator is not an address");
            t.adjudicator = a->toChecksum();
        }
    }
    return t;
}

Status checkDownloadSource(const std::string& source)
{
    if (source.rfind("magnet:", 0) == 0)
        if (auto terms = parseMagnetTerms(source); !terms) return terms.error();
    return core::TorrentSession::checkSource(source);
}

Status checkSeedPath(const std::filesystem::path& path) { return core::TorrentSession::checkShareable(path); }

Status checkPaymentSizes(std::uint64_t paymentIncrement, std::uint64_t creditWindow)
{
    if (paymentIncrement < ext::min_payment_increment || creditWindow < paymentIncrement ||
        creditWindow > ext::max_credit_window)
        return makeError(NodeError::bad_option, "the payment increment must be at least 16 KiB and at most the credit "
                                                "window, and the window at most 1 GiB");
    return {};
}

struct Node::Impl {
    NodeOptions options;
    std::optional<PrivateKey> key;
    std::unique_ptr<chain::LocalChain> local;
    std::shared_ptr<chain::EthRpc> rpc;
    std::shared_ptr<chain::TransactionSender> sender;
    ChainSummary chain;
    U256 chainId;
    Address adjudicator;
    std::optional<store::Store> store;
    std::unique_ptr<core::AdjudicatorPort> port;
    std::shared_ptr<core::PaymentEngine> engine;
    std::shared_ptr<ext::PaidStreaming> paid;
    std::unique_ptr<core::TorrentSession> session;
    std::unique_ptr<core::ChannelLifecycle> lifecycle; // challenge, withdraw, watchtower

    std::mutex mutex;
    std::function<void(const std::string&)> finishedHandler; // guarded by mutex

    ~Impl()
    {
        // The watchtower first (it talks to the chain), then the network (no more peer
        // events), then the engine, then chain and storage.
        lifecycle.reset();
        session.reset();
        paid.reset();
        engine.reset();
        port.reset();
        store.reset();
        local.reset();
    }

    // The store belongs to the engine thread; everyone else goes through here.
    template <class F>
    auto onEngine(F&& f)
    {
        using R = decltype(f());
        std::optional<R> out;
        engine->sync([&] { out.emplace(f()); });
        return std::move(*out);
    }

    Status openKey()
    {
        if (!options.password)
            return makeError(NodeError::no_password,
                             "the keystore needs a password: set PAYTORRENT_PASSWORD or give --password-file");
        const auto file = options.dataDir.keyFile();
        if (std::filesystem::exists(file)) {
            auto k = loadKeystore(file, *options.password);
            if (!k) return k.error();
            key = *k;
            return {};
        }
        auto k = PrivateKey::generate();
        if (!k) return k.error();
        ScryptParams params;
        params.n = options.scryptN;
        if (auto s = saveKeystore(file, *k, *options.password, params); !s) return s;
        key = *k;
        return {};
    }

    Status openChain()
    {
        const Address me = key->address();
        if (!options.chainRpc) {
            chain::LocalChainOptions lc;
            lc.nodeToolsDir = options.nodeToolsDir.value_or(defaultNodeTools());
            lc.dataDir = options.dataDir.chainDir();
            auto started = chain::LocalChain::start(lc);
            if (!started) return makeError(NodeError::chain_unavailable, "cannot start the local chain: " + started.error().describe());
            local = std::move(*started);
            rpc = local->rpc();
            chainId = local->info().chainId;
            adjudicator = local->info().adjudicator;
            chain.rpc = local->info().rpc;
            chain.embedded = true;
            if (auto f = chain::ensureFunded(local->faucet(), me, one_ether, Wei(one_ether.value() * 100)); !f)
                return makeError(NodeError::chain_unavailable, "cannot fund the wallet: " + f.error().describe());
        } else {
            if (!options.adjudicator)
                return makeError(NodeError::bad_option, "--chain-rpc needs --adjudicator ADDRESS");
            auto adj = Address::fromHex(*options.adjudicator);
            if (!adj) return makeError(NodeError::bad_option, "--adjudicator: " + adj.error().describe());
            auto client = chain::RpcEthClient::connect(*options.chainRpc);
            if (!client) return makeError(NodeError::chain_unavailable, *options.chainRpc + ": " + client.error().describe());
            rpc = *client;
            auto id = rpc->chainId();
            if (!id) return makeError(NodeError::chain_unavailable, *options.chainRpc + ": " + id.error().describe());
            chainId = *id;
            adjudicator = *adj;
            chain.rpc = *options.chainRpc;
            // On a development chain the node tops itself up; elsewhere the user funds it.
            if (auto dev = chain::isDevelopmentChain(*rpc); dev && *dev) {
                if (auto f = chain::fundFromDevAccountIfLow(rpc, chainId, me, one_ether, Wei(one_ether.value() * 100)); !f)
                    return makeError(NodeError::chain_unavailable, "cannot fund the wallet: " + f.error().describe());
            }
        }
        chain.chainId = chainId.str();
        chain.adjudicator = adjudicator.toChecksum();
        auto s = chain::TransactionSender::create(rpc, *key, chainId);
        if (!s) return makeError(NodeError::chain_unavailable, s.error().describe());
        sender = *s;
        port = std::make_unique<core::AdjudicatorPort>(sender, chain::Adjudicator(rpc, adjudicator));
        return {};
    }

    // Declares a torrent to the extension (from what the store remembers of it).
    void declare(const std::string& ih)
    {
        std::optional<Wei> price;
        std::optional<core::BuyTerms> buy;
        onEngine([&] {
            const std::string p = settingText(*store, "torrent.price." + ih);
            if (auto w = Wei::parse(p); w && !p.empty()) price = *w;
            const std::string b = settingText(*store, "torrent.buy." + ih);
            const auto sep = b.find(',');
            // A download that finished in an earlier run is a seed now: buying again would pay
            // each seller it meets a window ahead for nothing (download() buys anew).
            if (sep != std::string::npos && settingText(*store, "torrent.bought." + ih).empty()) {
                auto maxPrice = Wei::parse(b.substr(0, sep));
                auto budget = Wei::parse(b.substr(sep + 1));
                if (maxPrice && budget) buy = core::BuyTerms{*maxPrice, *budget, 0};
            }
            return 0;
        });
        if (price) {
            paid->setTorrent(infoHashKey(ih), price);
        } else if (buy) {
            paid->setTorrent(infoHashKey(ih), std::nullopt);
            engine->buy(ih, *buy);
        }
    }
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

Result<std::unique_ptr<Node>> Node::open(NodeOptions options)
{
    // PAYTORRENT_LOG=debug|info|warn: the log level (spdlog's default logger, which the CLI
    // sends to stderr). Secrets are never logged.
    if (const char* level = std::getenv("PAYTORRENT_LOG"); level && *level)
        spdlog::set_level(spdlog::level::from_str(level));
    if (auto sizes = checkPaymentSizes(options.paymentIncrement, options.creditWindow); !sizes) return sizes.error();
    if (options.watchtowerInterval.count() <= 0)
        return makeError(NodeError::bad_option, "the watchtower interval must be positive");
    for (const auto& n : options.dhtBootstrap) {
        if (auto hp = core::parseHostPort(n); !hp)
            return makeError(NodeError::bad_option, "DHT bootstrap node: " + hp.error().message);
        // libtorrent takes the list as one comma-separated string.
        if (n.find_first_of(", \t") != std::string::npos)
            return makeError(NodeError::bad_option, "DHT bootstrap node: a comma or a space in " + n);
    }
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    const DataDir& dir = impl->options.dataDir;
    std::error_code ec;
    for (const auto& d : {dir.root, dir.chainDir(), dir.torrentsDir(), dir.downloadsDir()}) {
        std::filesystem::create_directories(d, ec);
        if (ec) return makeError(NodeError::bad_option, "cannot create " + d.string() + ": " + ec.message());
    }
    std::filesystem::permissions(dir.root, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);

    if (auto s = impl->openKey(); !s) return s.error();
    // The payment engine's connection: every payment commits through it, and leaves its
    // fsync to the engine's syncer thread.
    store::Store::Options storeOptions;
    storeOptions.backgroundCheckpoint = true;
    storeOptions.deferredSync = true;
    auto st = store::Store::open(dir.database(), std::move(storeOptions));
    if (!st) return st.error();
    impl->store.emplace(std::move(*st));
    if (auto s = impl->openChain(); !s) return s.error();

    core::EngineConfig ec2;
    ec2.chainId = impl->chainId;
    ec2.adjudicator = impl->adjudicator;
    ec2.challengeDuration = impl->options.challengeDuration;
    ec2.paymentIncrement = impl->options.paymentIncrement;
    ec2.creditWindow = impl->options.creditWindow;
    impl->engine = std::make_shared<core::PaymentEngine>(ec2, *impl->key, *impl->store, *impl->port);

    core::LifecycleConfig lc;
    lc.database = dir.database();
    lc.pollInterval = impl->options.watchtowerInterval;
    auto lifecycle = core::ChannelLifecycle::open(lc, *impl->key, impl->sender, impl->adjudicator);
    if (!lifecycle) return lifecycle.error();
    impl->lifecycle = std::move(*lifecycle);
    if (impl->options.watchtower) impl->lifecycle->startWatchtower();

    ext::Terms terms;
    terms.signer.bytes = impl->key->address().bytes;
    if (impl->chainId > std::numeric_limits<std::uint64_t>::max())
        return makeError(NodeError::bad_option, "chain ids above 2^64 are not supported by the extension");
    terms.chainId = static_cast<std::uint64_t>(impl->chainId);
    terms.adjudicator.bytes = impl->adjudicator.bytes;
    terms.paymentIncrement = impl->options.paymentIncrement;
    terms.creditWindow = impl->options.creditWindow;
    ext::PaidStreamingOptions paidOptions;
    paidOptions.receivedNotifyBytes = core::received_notify_bytes;
    auto paid = ext::PaidStreaming::create(terms, impl->engine, paidOptions);
    if (!paid) return paid.error();
    impl->paid = *paid;
    impl->engine->attach(impl->paid);

    core::SessionConfig sc;
    sc.listenInterfaces = impl->options.listen;
    sc.resumeDir = dir.torrentsDir();
    sc.highThroughput = impl->options.highThroughput;
    if (impl->options.localOnly) sc.enableDht = sc.enableLsd = sc.enableUpnp = sc.enableUtp = false;
    if (impl->options.dht) sc.enableDht = *impl->options.dht;
    sc.dhtBootstrapNodes = impl->options.dhtBootstrap;
    sc.plugins.push_back(impl->paid->sessionPlugin());
    sc.tune = [](libtorrent::settings_pack& p) {
        ext::applyPaidSellerSettings(p);
        // A buyer's outstanding requests to a paid seller are bounded by the queue that
        // seller advertises ("reqq", docs/protocol.md section 4), which libtorrent obeys.
        // Two seeds normally drop their connection at once; a buyer that just finished still
        // needs it to exchange the final state with each seller.
        p.set_bool(libtorrent::settings_pack::close_redundant_connections, false);
    };
    Impl* raw = impl.get();
    sc.beforeResume = [raw](const std::string& ih) { raw->declare(ih); };
    impl->session = std::make_unique<core::TorrentSession>(std::move(sc));
    impl->session->onMetadata([raw](const std::string& ih, std::int64_t bytes) {
        if (bytes > 0) raw->engine->setTorrentBytes(ih, static_cast<std::uint64_t>(bytes));
    });
    impl->session->onFinished([raw](const std::string& ih) {
        // A finished download is not bought again when the node restarts (declare()).
        const Status marked = raw->onEngine([&] {
            if (settingText(*raw->store, "torrent.buy." + ih).empty()) return Status{};
            return putText(*raw->store, "torrent.bought." + ih, "1");
        });
        if (!marked)
            spdlog::warn("torrent {}: cannot record the download as finished ({}); a restart would buy it again",
                         ih, marked.error().describe());
        std::function<void(const std::string&)> h;
        {
            std::lock_guard lock(raw->mutex);
            h = raw->finishedHandler;
        }
        if (h) h(ih);
    });
    return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Result<std::string> Node::walletAddress(NodeOptions options)
{
    Impl impl;
    impl.options = std::move(options);
    std::error_code ec;
    std::filesystem::create_directories(impl.options.dataDir.root, ec);
    if (ec) return makeError(NodeError::bad_option, "cannot create " + impl.options.dataDir.root.string() + ": " + ec.message());
    if (auto s = impl.openKey(); !s) return s.error();
    return impl.key->address().toChecksum();
}

std::string Node::address() const { return impl_->key->address().toChecksum(); }
const ChainSummary& Node::chain() const { return impl_->chain; }
int Node::listenPort() const { return impl_->session->listenPort(); }

Result<Wei> Node::balance()
{
    return impl_->rpc->getBalance(impl_->key->address(), chain::BlockTag::latest());
}

Wei Node::gasSpent() const { return impl_->port->feesPaid(); }

namespace {

// An announce URL is typed or pasted by a user: anything longer is not one.
constexpr std::size_t max_tracker_url_bytes = 2048;

// The URL itself never goes into the message: a private tracker's carries the user's passkey.
Status checkTrackerUrl(const std::string& url)
{
    if (url.size() > max_tracker_url_bytes)
        return makeError(NodeError::bad_option, "a tracker URL is longer than 2048 bytes");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0 && url.rfind("udp://", 0) != 0)
        return makeError(NodeError::bad_option, "a tracker URL must start with http://, https:// or udp://");
    for (const char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return makeError(NodeError::bad_option, "a tracker URL contains a space or a control character");
    return {};
}

// An x.pe value as libtorrent reads it: an IP address (no host name) and a port.
Result<std::string> magnetPeerValue(const std::string& text)
{
    auto hp = core::parseHostPort(text);
    if (!hp) return makeError(NodeError::bad_option, "magnet peer: " + hp.error().message);
    boost::system::error_code ec;
    const auto addr = boost::asio::ip::make_address(hp->first, ec);
    if (ec) return makeError(NodeError::bad_option, "magnet peer " + text + ": x.pe takes an IP address, not a host name");
    const std::string port = std::to_string(hp->second);
    return addr.is_v6() ? "[" + addr.to_string() + "]:" + port : addr.to_string() + ":" + port;
}

} // namespace

Result<SeedResult> Node::seed(const std::filesystem::path& path, std::optional<Wei> pricePerMiB)
{
    return seed(path, std::move(pricePerMiB), SeedOptions{});
}

Result<SeedResult> Node::seed(const std::filesystem::path& path, std::optional<Wei> pricePerMiB,
                              const SeedOptions& options)
{
    if (pricePerMiB && pricePerMiB->value() == 0) pricePerMiB.reset(); // a price of 0 is free
    core::CreateOptions create;
    for (const auto& url : options.trackers) {
        if (auto s = checkTrackerUrl(url); !s) return s.error();
        create.trackers.push_back(url);
    }
    std::string directPeers;
    for (const auto& peer : options.magnetPeers) {
        auto value = magnetPeerValue(peer);
        if (!value) return value.error();
        directPeers += "&x.pe=" + *value; // verbatim: libtorrent does not decode x.pe
    }
    auto created = core::TorrentSession::createTorrent(path, create);
    if (!created) return created.error();
    SeedResult out;
    out.infoHash = created->infoHash;
    out.torrentFile = impl_->options.dataDir.torrentsDir() / (created->infoHash + ".torrent");
    {
        std::ofstream f(out.torrentFile, std::ios::binary | std::ios::trunc);
        f.write(created->torrentFile.data(), static_cast<std::streamsize>(created->torrentFile.size()));
        if (!f) return makeError(NodeError::bad_option, "cannot write " + out.torrentFile.string());
    }
    out.magnet = created->magnet + directPeers;
    if (pricePerMiB) {
        out.magnet += "&x.pt.price=" + pricePerMiB->toDecimal() + "&x.pt.chain=" + impl_->chain.chainId +
                      "&x.pt.adjudicator=" + impl_->chain.adjudicator;
        const std::string ih = created->infoHash;
        const Wei price = *pricePerMiB;
        auto saved = impl_->onEngine([&] { return putText(*impl_->store, "torrent.price." + ih, price.toDecimal()); });
        if (!saved) return saved.error();
    }
    const auto savePath = std::filesystem::absolute(path).parent_path();
    auto added = impl_->session->addTorrentBuffer(created->torrentFile, savePath, [&](const std::string& ih) {
        impl_->paid->setTorrent(infoHashKey(ih), pricePerMiB);
    });
    if (!added) return added.error();
    return out;
}

Result<std::string> Node::download(const DownloadRequest& request)
{
    const bool isMagnet = request.source.rfind("magnet:", 0) == 0;
    if (isMagnet) {
        auto terms = parseMagnetTerms(request.source);
        if (!terms) return terms.error();
        if (terms->pricePerMiB && *terms->pricePerMiB > request.maxPricePerMiB)
            return makeError(NodeError::refused_terms, "the seeder asks " + terms->pricePerMiB->toDecimal() +
                                                           " wei per MiB, more than the maximum " +
                                                           request.maxPricePerMiB.toDecimal());
        if (terms->chainId && *terms->chainId != impl_->chain.chainId)
            return makeError(NodeError::refused_terms, "the torrent is paid on chain " + *terms->chainId +
                                                           ", this node uses chain " + impl_->chain.chainId);
    }
    std::error_code ec;
    std::filesystem::create_directories(request.outDir, ec);
    if (ec) return makeError(NodeError::bad_option, "cannot create " + request.outDir.string() + ": " + ec.message());
    auto before = [&](const std::string& ih) {
        const std::string buyText = request.maxPricePerMiB.toDecimal() + "," + request.budget.toDecimal();
        (void)impl_->onEngine([&] {
            if (auto s = putText(*impl_->store, "torrent.buy." + ih, buyText); !s) return s;
            return putText(*impl_->store, "torrent.bought." + ih, "");
        });
        impl_->paid->setTorrent(infoHashKey(ih), std::nullopt);
        impl_->engine->buy(ih, core::BuyTerms{request.maxPricePerMiB, request.budget, 0});
    };
    auto added = isMagnet ? impl_->session->addMagnet(request.source, request.outDir, before)
                          : impl_->session->addTorrentFile(request.source, request.outDir, before);
    if (!added) return added.error();
    for (const auto& peer : request.peers)
        if (auto s = impl_->session->connectPeer(*added, peer); !s) return s.error();
    return *added;
}

namespace {

ChannelInfo toInfo(const core::ChannelSummary& s)
{
    ChannelInfo c;
    c.id = s.id.hex();
    c.torrent = s.torrent;
    c.peer = s.peer;
    c.role = s.weSell ? "seller" : "buyer";
    c.bytes = s.bytes;
    c.paid = s.paid;
    c.deposit = s.deposit;
    c.status = s.status;
    c.error = s.error;
    c.stops = s.stops;
    if (s.paymentAnswer.count > 0)
        c.paymentAnswer = {s.paymentAnswer.count, s.paymentAnswer.p50Us / 1000, s.paymentAnswer.p90Us / 1000,
                           s.paymentAnswer.p99Us / 1000};
    return c;
}

} // namespace

std::vector<ChannelInfo> Node::closeChannels(const std::string& infoHash, std::chrono::milliseconds timeout)
{
    std::promise<std::vector<core::ChannelSummary>> done;
    auto f = done.get_future();
    impl_->engine->closeChannels(infoHash, timeout, [&](std::vector<core::ChannelSummary> s) { done.set_value(std::move(s)); });
    std::vector<ChannelInfo> out;
    for (const auto& s : f.get()) out.push_back(toInfo(s));
    return out;
}

std::optional<TorrentStatus> Node::status(const std::string& infoHash) const { return impl_->session->status(infoHash); }
std::vector<TorrentStatus> Node::torrents() const { return impl_->session->torrents(); }

std::vector<ChannelInfo> Node::channels() const
{
    std::vector<ChannelInfo> out;
    std::map<std::string, std::size_t> live; // id -> index in out
    for (const auto& s : impl_->engine->channels()) {
        out.push_back(toInfo(s));
        live[out.back().id] = out.size() - 1;
    }
    // Channels of earlier runs, from the store.
    impl_->onEngine([&] {
        auto all = impl_->store->listChannels();
        if (!all) return 0;
        for (const auto& rec : *all) {
            if (auto it = live.find(rec.id.hex()); it != live.end()) {
                // The watchtower marks a channel closed once it is paid out on chain (e.g. the
                // buyer concluded it), which the engine's live summary never hears of: the
                // store's terminal status wins.
                if (rec.status == store::ChannelStatus::closed) out[it->second].status = "closed";
                continue;
            }
            ChannelInfo c;
            c.id = rec.id.hex();
            c.role = rec.role == store::ChannelRole::beneficiary ? "seller" : "buyer";
            c.peer = rec.counterparty.toChecksum();
            c.status = std::string(store::toString(rec.status));
            if (auto latest = impl_->store->latestState(rec.id); latest && *latest) {
                const auto& items = (*latest)->state.outcome.at(0).allocationItems;
                c.paid = items.at(0).amount;
                c.deposit = items.at(0).amount + items.at(1).amount;
            }
            out.push_back(c);
        }
        return 0;
    });
    return out;
}

namespace {

PeerLedger toPeerLedger(const store::LedgerPeer& p)
{
    PeerLedger out;
    out.peer = p.peer;
    out.bytesServed = p.bytesServed;
    out.bytesReceived = p.bytesReceived;
    out.earned = p.earned;
    out.paid = p.paid;
    for (const auto& c : p.channels) out.channels.push_back(c.id.hex());
    return out;
}

// Raises (or adds) the bytes of a running channel in the stored ledger: the stored count is
// the one at its last payment, the live one is now. A channel that has moved bytes but
// made no payment yet joins under its torrent and peer.
void mergeLive(std::vector<store::LedgerTorrent>& torrents, const core::ChannelSummary& s)
{
    auto t = std::find_if(torrents.begin(), torrents.end(), [&](const auto& x) { return x.torrent == s.torrent; });
    if (t == torrents.end()) {
        if (s.bytes == 0) return;
        t = torrents.insert(torrents.end(), store::LedgerTorrent{});
        t->torrent = s.torrent;
    }
    store::LedgerChannel* channel = nullptr;
    for (auto& p : t->peers)
        for (auto& c : p.channels)
            if (c.id == s.id) channel = &c;
    if (!channel) {
        if (s.bytes == 0) return;
        auto p = std::find_if(t->peers.begin(), t->peers.end(), [&](const auto& x) { return x.peer == s.peer; });
        if (p == t->peers.end()) {
            p = t->peers.insert(t->peers.end(), store::LedgerPeer{});
            p->peer = s.peer;
        }
        p->channels.push_back(store::LedgerChannel{});
        channel = &p->channels.back();
        channel->id = s.id;
    }
    std::uint64_t& bytes = s.weSell ? channel->bytesServed : channel->bytesReceived;
    bytes = std::max(bytes, s.bytes);
}

} // namespace

Result<std::vector<TorrentLedger>> Node::ledger(const std::optional<std::string>& infoHash) const
{
    std::optional<std::string> filter;
    if (infoHash) {
        filter = *infoHash;
        for (auto& ch : *filter) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch))); // stored lowercase
    }
    auto stored = impl_->onEngine([&] {
        return impl_->store->ledger(filter ? std::optional<std::string_view>(*filter) : std::nullopt);
    });
    if (!stored) return stored.error();
    for (const auto& s : impl_->engine->channels())
        if (!s.torrent.empty() && (!filter || s.torrent == *filter)) mergeLive(*stored, s);

    std::vector<TorrentLedger> out;
    for (auto& t : *stored) {
        if (auto r = store::sumLedger(t); !r) return r.error();
        TorrentLedger l;
        l.infoHash = t.torrent;
        if (auto st = impl_->session->status(t.torrent)) l.name = st->name;
        l.bytesServed = t.bytesServed;
        l.bytesReceived = t.bytesReceived;
        l.earned = t.earned;
        l.paid = t.paid;
        l.channels = t.channelCount;
        for (const auto& p : t.peers) l.peers.push_back(toPeerLedger(p));
        out.push_back(std::move(l));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.infoHash < b.infoHash; });
    return out;
}

Status Node::connectPeer(const std::string& infoHash, const std::string& hostPort)
{
    return impl_->session->connectPeer(infoHash, hostPort);
}

namespace {

ChainTransaction toTransaction(const chain::Receipt& r)
{
    return ChainTransaction{r.transactionHash.hex(), r.blockNumber, r.gasUsed, r.fee()};
}

} // namespace

Result<ChallengeReport> Node::challenge(const std::string& channelId)
{
    auto id = nitro::ChannelId::fromHex(channelId);
    if (!id) return makeError(NodeError::bad_option, "not a channel id (32 bytes of hex): " + channelId.substr(0, 80));
    auto c = impl_->lifecycle->challenge(*id);
    if (!c) return c.error();
    return ChallengeReport{c->channel.hex(), c->turnNum, c->finalizesAt, toTransaction(c->receipt)};
}

Result<WithdrawReport> Node::withdraw(const std::string& channelId)
{
    auto id = nitro::ChannelId::fromHex(channelId);
    if (!id) return makeError(NodeError::bad_option, "not a channel id (32 bytes of hex): " + channelId.substr(0, 80));
    auto w = impl_->lifecycle->withdraw(*id);
    if (!w) return w.error();
    WithdrawReport out;
    out.channelId = w->channel.hex();
    out.action = std::string(core::toString(w->action));
    out.amount = w->toUs;
    if (w->receipt) out.transaction = toTransaction(*w->receipt);
    return out;
}

void Node::onPayment(std::function<void(const ChannelInfo&, const Wei&)> handler)
{
    impl_->engine->onPayment([h = std::move(handler)](const core::ChannelSummary& s, const Wei& amount) {
        if (h) h(toInfo(s), amount);
    });
}

void Node::onFinished(std::function<void(const std::string&)> handler)
{
    std::lock_guard lock(impl_->mutex);
    impl_->finishedHandler = std::move(handler);
}

} // namespace paytorrent
