// Internal to the extension (includes libtorrent): the per-connection plugin. It speaks the
// wire protocol, gates our uploads on credit when we sell, and counts what we receive when
// we buy. Every member runs on libtorrent's network thread.
#pragma once

#include "extension/credit_account.hpp"
#include "extension/messages.hpp"
#include "extension/peer_events.hpp"
#include "extension/session_state.hpp"

#include <libtorrent/extensions.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_request.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

namespace pt::ext {

class PeerGate final : public libtorrent::peer_plugin, public std::enable_shared_from_this<PeerGate> {
public:
    PeerGate(std::shared_ptr<SessionState> state, libtorrent::bt_peer_connection_handle connection, PeerKey key,
             InfoHashBytes infoHash, std::optional<Wei> localPrice);
    ~PeerGate() override;

    // libtorrent::peer_plugin
    libtorrent::string_view type() const override;
    void add_handshake(libtorrent::entry& handshake) override;
    bool on_handshake(libtorrent::span<char const> reservedBits) override;
    bool on_extension_handshake(libtorrent::bdecode_node const& handshake) override;
    bool on_extended(int length, int msg, libtorrent::span<char const> body) override;
    bool on_request(libtorrent::peer_request const& request) override;
    bool on_cancel(libtorrent::peer_request const& request) override;
    void sent_reject_request(libtorrent::peer_request const& request) override;
    void sent_piece(libtorrent::peer_request const& request) override;
    void sent_unchoke() override;
    void sent_payload(int bytes) override;
    void sent_request(libtorrent::peer_request const& request) override;
    bool on_reject(libtorrent::peer_request const& request) override;
    bool on_piece(libtorrent::peer_request const& piece, libtorrent::span<char const> data) override;
    void on_disconnect(libtorrent::error_code const& error) override;

    // Commands from the engine (posted onto the network thread).
    // A payment's answer has gone out; `bytes` more are paid for (0: nothing new).
    void grant(std::uint64_t bytes);
    void sendPayload(const Bytes& payload);
    void releaseDuePayments();
    void noteAnswered(std::uint64_t turn);
    void close(PeerErrorCode code, const Error& reason);

private:
    using RequestKey = std::tuple<int, int, int>; // piece, start, length

    [[nodiscard]] bool selling() const noexcept { return localPrice_.has_value(); }
    [[nodiscard]] bool connectionAlive() const;
    [[nodiscard]] std::string endpoint() const;
    void refuse(libtorrent::peer_request const& request);
    void hold(libtorrent::peer_request const& request);
    void refuseHeldOnceDrained();
    [[nodiscard]] bool mayStillBeCovered() const noexcept;
    void stop(std::uint64_t requestBytes);
    void sendMessage(const Message& message);
    void sendReject(libtorrent::peer_request const& request);
    void chokeIfUnpaid();
    void postRestart();
    void restartIfCredit();
    void resume();
    void handleMessage(Message message);
    [[nodiscard]] Status checkRole(const Message& message) const;
    void failPeer(Error error, PeerErrorCode code);
    void publishCredit();

    std::shared_ptr<SessionState> state_;
    libtorrent::bt_peer_connection_handle connection_;
    const PeerKey key_;
    const InfoHashBytes infoHash_;
    const std::optional<Wei> localPrice_;
    const std::shared_ptr<PeerCounters> counters_ = std::make_shared<PeerCounters>();
    const std::shared_ptr<PaymentTrigger> payments_ = std::make_shared<PaymentTrigger>(); // we buy

    CreditAccount account_;
    // Requests charged and not yet sent or rejected: only these are refunded, so a reject
    // of a request we never charged (libtorrent rejects some before asking plugins) cannot
    // mint credit.
    std::multiset<RequestKey> chargedRequests_;
    // Requests that found too little credit while charged ones were still being served or a
    // payment was awaiting its answer: held unanswered and uncharged until a payment lands
    // (then rejected, so the buyer asks again and is served, with no choke) or nothing more
    // can cover them: the charged ones all sent and every payment answered (then refused:
    // choke and reject). docs/protocol.md, section 4.
    std::vector<libtorrent::peer_request> held_;
    // We buy: the blocks we asked this peer for and have not yet had (or had rejected). Only
    // these count as received, so a seller cannot make payments fall due by sending blocks
    // nobody asked for (libtorrent passes them to on_piece before it finds them unwanted).
    // A cancelled request stays: the seller may have sent the block already. At most one
    // entry per block of the torrent.
    std::set<RequestKey> requested_;
    // PAYMENT and FINAL messages passed to the engine and not yet answered (grant()).
    std::uint64_t unansweredPayments_ = 0;
    std::optional<Terms> remoteTerms_;
    int remoteMessageId_ = 0;         // 0: the peer has not (yet) advertised the extension
    bool peerSupportsFast_ = false;   // BEP 6: needed to reject requests (and refund them)
    bool joined_ = false;             // the engine knows this peer
    bool stopped_ = false;            // we sent STOP(payment_needed) and no START since
    bool restartPosted_ = false;      // a restartIfCredit() is queued
    bool closing_ = false;            // closing after an error: serve and accept nothing
    std::uint64_t nextReceivedNotify_ = 0;
    // We buy: the turns the trigger sent and when, oldest first, until their countersignature
    // comes (PeerCounters::paymentAnswer). No longer than the payments the engine lets be
    // unanswered; capped all the same, so a seller that never answers costs nothing.
    std::deque<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> releasedAt_;
    std::unique_ptr<boost::asio::steady_timer> lingerTimer_;
};

} // namespace pt::ext
