// The node: one data directory, one key, one chain, one BitTorrent session, one payment
// engine. The facade both front ends use; everything it returns is a plain value.
//
// Threads: methods may be called from any thread. Callbacks run on the node's own threads
// (the engine thread or libtorrent's alert thread): hop to your own before touching a GUI.
#pragma once

#include "paytorrent/data_dir.hpp"
#include "paytorrent/torrent_status.hpp"
#include "wallet/common/result.hpp"
#include "wallet/common/wei.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace paytorrent {

enum class NodeError {
    no_password = 1,   // the keystore needs a password and none was given
    bad_option,        // an option out of range or malformed
    chain_unavailable, // the chain could not be started or reached
    refused_terms,     // the torrent's price or chain is not acceptable
    unknown_torrent,
};
const std::error_category& nodeErrorCategory() noexcept;
inline std::error_code make_error_code(NodeError e) noexcept { return {static_cast<int>(e), nodeErrorCategory()}; }

struct NodeOptions {
    DataDir dataDir;
    std::optional<std::string> password;  // of the keystore (created on first start)
    std::optional<std::string> chainRpc;  // none: start the embedded local chain
    std::optional<std::string> adjudicator; // required with chainRpc (0x address)
    std::optional<std::filesystem::path> nodeToolsDir; // anvil and nitro-protocol (npm install)
    std::string listen = "0.0.0.0:6881";  // libtorrent listen_interfaces
    bool localOnly = false;               // no DHT, LSD, UPnP, uTP (loopback tests and benchmarks)
    // The DHT on (true) or off (false) whatever localOnly says; unset: on unless localOnly.
    std::optional<bool> dht;
    // DHT nodes to join, "HOST:PORT", instead of the public routers: a closed network (a lab,
    // a LAN, several nodes on one host). The DHT then trusts nodes that share an address or a
    // /24, which the public DHT's defaults refuse (docs/architecture.md, "Finding peers").
    std::vector<std::string> dhtBootstrap;
    bool highThroughput = false;          // the tuned libtorrent settings of docs/benchmarks.md
    std::uint64_t paymentIncrement = 256 * 1024; // bytes' worth per payment
    std::uint64_t creditWindow = 1024 * 1024;    // bytes' worth paid ahead of what arrived
    std::uint64_t challengeDuration = 3600;      // seconds, for new channels
    std::uint64_t scryptN = std::uint64_t{1} << 17; // keystore cost for a new key
    // The watchtower (docs/chain.md): answers a stale challenge of our channels with
    // checkpoint and withdraws from finalized ones, polling the chain at this interval.
    // One-shot commands turn it off (they exit before it could finish anything).
    bool watchtower = true;
    std::chrono::milliseconds watchtowerInterval{1000};
};

struct ChainSummary {
    std::string rpc;
    std::string chainId;     // decimal
    std::string adjudicator; // EIP-55
    bool embedded = false;
};

struct SeedResult {
    std::string infoHash;
    std::string magnet; // with x.pt.* price and chain fields when paid
    std::filesystem::path torrentFile;
};

// How a seeded torrent can be found besides the DHT.
struct SeedOptions {
    // Announce URLs (http://, https://, udp://): written into the .torrent and, as tr=, into
    // the magnet link.
    std::vector<std::string> trackers;
    // "IP:PORT" or "[IPv6]:PORT" of peers that have the torrent (normally this node's own
    // reachable endpoint), written into the magnet link as x.pe= for downloaders to dial.
    std::vector<std::string> magnetPeers;
};

struct DownloadRequest {
    std::string source;                 // a magnet link or a .torrent path
    std::filesystem::path outDir;
    pt::Wei maxPricePerMiB;
    pt::Wei budget;
    std::vector<std::string> peers;     // HOST:PORT to dial
};

// From sending a payment to receiving its countersignature, as the buyer timed it on its
// network thread: the seller's validation, signature and durable commit, both sides' thread
// hops and the round trip. Milliseconds, quantiles within an eighth (LatencyHistogram).
struct PaymentAnswerTimes {
    std::uint64_t count = 0; // payments timed; the quantiles are -1 without any
    double p50Ms = -1;
    double p90Ms = -1;
    double p99Ms = -1;
};

struct ChannelInfo {
    std::string id;      // 0x channel id
    std::string torrent; // info-hash
    std::string peer;    // endpoint
    std::string role;    // "seller" (we earn) or "buyer" (we pay)
    std::uint64_t bytes = 0;
    pt::Wei paid;
    pt::Wei deposit;
    std::string status;
    std::string error;
    std::uint64_t stops = 0; // times the seller stopped us for want of credit (we buy; this run)
    PaymentAnswerTimes paymentAnswer; // we buy; this run
};

// The ledger (Node::ledger): per torrent, then per peer, what was served, received, earned
// and paid over paid channels. Bytes are payload bytes on the channels' connections.
struct PeerLedger {
    std::string peer; // endpoint label of the payments (the counterparty's address if none)
    std::uint64_t bytesServed = 0;   // to this peer, on channels in which we earn
    std::uint64_t bytesReceived = 0; // from this peer, on channels in which we pay
    pt::Wei earned;
    pt::Wei paid;
    std::vector<std::string> channels; // 0x channel ids
};

struct TorrentLedger {
    std::string infoHash;
    std::string name; // empty when the session does not know the torrent (any more)
    std::uint64_t bytesServed = 0;
    std::uint64_t bytesReceived = 0;
    pt::Wei earned;
    pt::Wei paid;
    std::uint64_t channels = 0; // distinct channels
    std::vector<PeerLedger> peers;
};

// One transaction the node sent.
struct ChainTransaction {
    std::string hash; // 0x
    std::uint64_t block = 0;
    std::uint64_t gasUsed = 0;
    pt::Wei fee; // gasUsed * effective gas price, paid by this node
};

struct ChallengeReport {
    std::string channelId;
    std::uint64_t turnNum = 0;     // of the state put on chain
    std::uint64_t finalizesAt = 0; // unix seconds (chain time) when the window ends
    ChainTransaction transaction;
};

struct WithdrawReport {
    std::string channelId;
    std::string action; // "transferred", "concluded" or "already_paid_out"
    pt::Wei amount;     // this node's share of what was paid out (0 when already paid out)
    std::optional<ChainTransaction> transaction;
};

// Price and chain a magnet link announces (x.pt.price, x.pt.chain, x.pt.adjudicator).
struct MagnetTerms {
    std::optional<pt::Wei> pricePerMiB;
    std::optional<std::string> chainId;
    std::optional<std::string> adjudicator;
};
[[nodiscard]] pt::Result<MagnetTerms> parseMagnetTerms(const std::string& magnet);
// Whether Node::download would accept `source` as a magnet link (its terms included) or a
// readable .torrent file, checked without a node: a command refuses a bad source before it
// asks for the wallet's password or starts a chain.
[[nodiscard]] pt::Status checkDownloadSource(const std::string& source);
// Whether Node::seed would find something to share at `path`, checked without a node.
[[nodiscard]] pt::Status checkSeedPath(const std::filesystem::path& path);
// Whether Node::open accepts this payment increment and credit window (NodeOptions):
// 16 KiB <= increment <= window <= 1 GiB.
[[nodiscard]] pt::Status checkPaymentSizes(std::uint64_t paymentIncrement, std::uint64_t creditWindow);

class Node {
public:
    [[nodiscard]] static pt::Result<std::unique_ptr<Node>> open(NodeOptions options);
    // The wallet's address (EIP-55), loading the keystore or creating it as open() would,
    // without starting a chain or a session.
    [[nodiscard]] static pt::Result<std::string> walletAddress(NodeOptions options);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    [[nodiscard]] std::string address() const; // EIP-55
    [[nodiscard]] const ChainSummary& chain() const;
    [[nodiscard]] pt::Result<pt::Wei> balance();
    // Gas this node has paid for its channel transactions since it started (deposits,
    // conclusions): what, besides payments, its balance moved by.
    [[nodiscard]] pt::Wei gasSpent() const;
    [[nodiscard]] int listenPort() const;

    // Creates a torrent of `path`, seeds it (at `pricePerMiB`, or free), writes the .torrent
    // into the data directory, and returns its magnet link.
    [[nodiscard]] pt::Result<SeedResult> seed(const std::filesystem::path& path, std::optional<pt::Wei> pricePerMiB);
    // The same, with trackers and direct peers for the .torrent and the magnet link.
    [[nodiscard]] pt::Result<SeedResult> seed(const std::filesystem::path& path, std::optional<pt::Wei> pricePerMiB,
                                              const SeedOptions& options);
    // Starts a paid (or free) download; returns the info-hash.
    [[nodiscard]] pt::Result<std::string> download(const DownloadRequest& request);
    // Closes the channels of a finished download cooperatively and settles them on chain.
    [[nodiscard]] std::vector<ChannelInfo> closeChannels(const std::string& infoHash,
                                                         std::chrono::milliseconds timeout);

    [[nodiscard]] std::optional<TorrentStatus> status(const std::string& infoHash) const;
    [[nodiscard]] std::vector<TorrentStatus> torrents() const;
    // Channels this node runs now or has stored (live figures for the running ones).
    [[nodiscard]] std::vector<ChannelInfo> channels() const;
    // The ledger from the stored payments, every torrent or only `infoHash`; the byte counts
    // of channels running now are their live ones when higher than the stored ones.
    [[nodiscard]] pt::Result<std::vector<TorrentLedger>> ledger(const std::optional<std::string>& infoHash = std::nullopt) const;
    [[nodiscard]] pt::Status connectPeer(const std::string& infoHash, const std::string& hostPort);

    // Force-closes a channel (0x id): its latest state signed by both goes on chain with
    // this node's challenge signature. Once the window ends (finalizesAt), the watchtower
    // transfers the funds (or call withdraw()).
    [[nodiscard]] pt::Result<ChallengeReport> challenge(const std::string& channelId);
    // Pays out a finalized channel (after a challenge's window, or concluded by the other
    // side), or concludes an open one whose latest state is final; nothing when already paid.
    [[nodiscard]] pt::Result<WithdrawReport> withdraw(const std::string& channelId);

    // Each accepted payment (either direction), on the engine thread.
    void onPayment(std::function<void(const ChannelInfo&, const pt::Wei& amount)> handler);
    // A download finished (all pieces verified), on the alert thread.
    void onFinished(std::function<void(const std::string& infoHash)> handler);

    // The pieces, private to the core.
    struct Impl;

private:
    explicit Node(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace paytorrent

template <>
struct std::is_error_code_enum<paytorrent::NodeError> : std::true_type {};
