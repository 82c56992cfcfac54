#include "extension/peer_gate.hpp"

#include "extension/protocol.hpp"
#include "extension/wire.hpp"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/peer_connection.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <string>

namespace pt::ext {
namespace {

namespace lt = libtorrent;

// BEP 6 reserved bit: the fast extension (reject-request, have-all/none, allowed-fast).
constexpr std::size_t fast_extension_byte = 7;
constexpr unsigned char fast_extension_bit = 0x04;
// BEP 6 message id of reject-request, and its fixed length (id + three uint32).
constexpr std::uint8_t msg_reject_request = 16;
constexpr std::uint32_t reject_request_length = 13;

// Reasons the extension gives libtorrent when it closes a connection, so that libtorrent's
// peer_disconnected_alert names them. (Boost 1.74's error_category has a protected
// non-virtual destructor by design; categories are never deleted through it.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class DisconnectCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "paytorrent extension"; }
    std::string message(int ev) const override { return wireErrorCategory().message(ev); }
};
#pragma GCC diagnostic pop

lt::error_code disconnectCode(const Error& reason)
{
    static const DisconnectCategory category;
    const int value = reason.code.category() == wireErrorCategory() ? reason.code.value()
                                                                     : static_cast<int>(WireError::rejected);
    return {value, category};
}

// Payments timed from send to countersignature at once (PeerGate::releasedAt_).
constexpr std::size_t max_timed_payments = 64;

ByteView asBytes(lt::span<char const> s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), static_cast<std::size_t>(s.size())};
}

std::uint64_t blockLength(const lt::peer_request& r)
{
    return r.length > 0 ? static_cast<std::uint64_t>(r.length) : 0;
}

std::tuple<int, int, int> keyOf(const lt::peer_request& r)
{
    return {static_cast<int>(r.piece), r.start, r.length};
}

void putUint32(Bytes& out, std::uint32_t v)
{
    out.push_back(static_cast<std::uint8_t>(v >> 24));
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

} // namespace

PeerGate::PeerGate(std::shared_ptr<SessionState> state, lt::bt_peer_connection_handle connection, PeerKey key,
                   InfoHashBytes infoHash, std::optional<Wei> localPrice)
    : state_(std::move(state)),
      connection_(std::move(connection)),
      key_(key),
      infoHash_(infoHash),
      localPrice_(std::move(localPrice)),
      nextReceivedNotify_(1) // the first block
{
}

PeerGate::~PeerGate()
{
    state_->removePeer(key_);
}

lt::string_view PeerGate::type() const
{
    return {extension_name.data(), extension_name.size()};
}

void PeerGate::add_handshake(lt::entry& handshake)
{
    handshake["m"][type()] = local_message_id;
    Terms ours = state_->node;
    ours.pricePerMiB = localPrice_;
    // The node's terms were validated when the extension was created, and a price comes
    // from the engine: an encoding failure here is a programmer error, and the peer then
    // simply sees no terms.
    auto encoded = encodeTerms(ours);
    if (!encoded) return;
    lt::error_code ec;
    const lt::span<const char> raw(reinterpret_cast<const char*>(encoded->data()),
                                   static_cast<std::ptrdiff_t>(encoded->size()));
    lt::bdecode_node node = lt::bdecode(raw, ec);
    if (!ec) handshake[lt::string_view(terms_key.data(), terms_key.size())] = node;
    // libtorrent filled "reqq" with its session-wide limit; for a paid torrent, ask for no
    // more outstanding requests than the buyer's prepaid credit covers.
    if (selling()) {
        const std::uint64_t q = paidRequestQueue(ours.creditWindow, ours.paymentIncrement);
        handshake["reqq"] = static_cast<std::int64_t>(q);
    }
}

bool PeerGate::on_handshake(lt::span<char const> reservedBits)
{
    peerSupportsFast_ = reservedBits.size() > static_cast<std::ptrdiff_t>(fast_extension_byte) &&
                        (static_cast<unsigned char>(reservedBits[fast_extension_byte]) & fast_extension_bit) != 0;
    return true;
}

bool PeerGate::on_extension_handshake(lt::bdecode_node const& handshake)
{
    // Returning false detaches this plugin from the connection. A seller must stay attached
    // whatever the peer says: the plugin is what keeps a peer without credit from data.
    const bool keep = selling();
    if (handshake.type() != lt::bdecode_node::dict_t) return keep;

    const lt::bdecode_node m = handshake.dict_find_dict("m");
    const std::int64_t id = m.type() == lt::bdecode_node::dict_t ? m.dict_find_int_value(type(), 0) : 0;
    const bool speaks = id > 0 && id <= 255;
    if (joined_ || closing_) {
        // A later handshake may move the message id. Withdrawing the extension (BEP 10: the
        // name missing, or id 0) in the middle of a trade would leave payments and answers
        // with no way to travel; and detaching here would drop the peer without the engine
        // hearing that it left. So it is a protocol violation: ERROR (on the old id) and
        // disconnect.
        if (speaks) remoteMessageId_ = static_cast<int>(id);
        else if (!closing_)
            failPeer(makeError(WireError::protocol_violation, "a later handshake withdraws the extension during a trade"),
                     PeerErrorCode::protocol_violation);
        return true;
    }
    if (!speaks) {
        // BEP 10: a missing name, or id 0, means the peer does not (or no longer) speak it.
        remoteMessageId_ = 0;
        return keep;
    }
    remoteMessageId_ = static_cast<int>(id);

    const lt::bdecode_node termsNode = handshake.dict_find(lt::string_view(terms_key.data(), terms_key.size()));
    if (termsNode.type() == lt::bdecode_node::none_t) {
        failPeer(makeError(WireError::missing_field, "handshake advertises the extension without terms"),
                 PeerErrorCode::malformed_message);
        return true;
    }
    if (termsNode.type() != lt::bdecode_node::dict_t) {
        failPeer(makeError(WireError::wrong_type, "handshake terms are not a dictionary"),
                 PeerErrorCode::malformed_message);
        return true;
    }
    auto terms = decodeTerms(asBytes(termsNode.data_section()));
    if (!terms) {
        if (terms.error().code == WireError::unsupported_version) {
            // A newer peer: not an error, we just cannot trade with it.
            connection_.peer_log(lt::peer_log_alert::info, "PT_PAID", "unsupported version: %s",
                                 terms.error().describe().c_str());
            return keep;
        }
        failPeer(terms.error(), PeerErrorCode::malformed_message);
        return true;
    }
    if (terms->chainId != state_->node.chainId || terms->adjudicator != state_->node.adjudicator) {
        connection_.peer_log(lt::peer_log_alert::info, "PT_PAID", "terms on another chain or adjudicator");
        return keep;
    }
    if (selling() && !peerSupportsFast_) {
        // Without BEP 6 we can neither reject a request nor learn that libtorrent dropped
        // one, so credit could not be refunded: such a peer is not sold to.
        connection_.peer_log(lt::peer_log_alert::info, "PT_PAID", "peer lacks the fast extension");
        return keep;
    }

    remoteTerms_ = *terms;
    joined_ = true;
    // libtorrent leaves Nagle's algorithm on. Payments and countersignatures are a few
    // hundred bytes, and they matter most when the data stream has paused (a STOP): then
    // Nagle holds them until the peer's delayed ACK, 40 ms on Linux. Measured by `bench
    // transfer`: a 40-45 ms payment round trip instead of 1-2 ms, and paid downloads at a
    // fifth of the unpaid speed (docs/benchmarks.md, "Transfer"). get_socket() is inline.
    const lt::peer_connection_handle& base = connection_;
    if (auto pc = base.native_handle(); pc && !connection_.is_disconnecting()) {
        lt::error_code ignored; // a uTP or proxied socket has no such option: nothing to do
        pc->get_socket().set_option(lt::tcp::no_delay(true), ignored);
    }
    PeerInfo info;
    info.key = key_;
    info.infoHash = infoHash_;
    info.endpoint = endpoint();
    info.outgoing = connection_.is_outgoing();
    info.localPrice = localPrice_;
    info.remote = *remoteTerms_;
    info.counters = counters_;
    info.payments = payments_;
    if (auto events = state_->events()) events->onPeerJoined(info);

    if (selling() && account_.available() == 0) {
        // Tell the buyer up front that data needs payment, rather than waiting for its
        // first request to be refused.
        stopped_ = true;
        sendMessage(Stop{StopReason::payment_needed});
    }
    return true;
}

bool PeerGate::on_extended(int length, int msg, lt::span<char const> body)
{
    if (msg != local_message_id) return false;
    if (closing_) return true;
    if (length < 0 || static_cast<std::size_t>(length) > max_message_bytes) {
        // Refused at the first fragment: no need to buffer the rest.
        failPeer(makeError(WireError::too_large, std::to_string(length) + " bytes"), PeerErrorCode::malformed_message);
        return true;
    }
    if (!connection_.packet_finished()) return true;
    if (!joined_) {
        failPeer(makeError(WireError::protocol_violation, "message before a compatible handshake"),
                 PeerErrorCode::protocol_violation);
        return true;
    }
    if (body.size() > length) body = body.first(length);
    auto decoded = decodeMessage(asBytes(body));
    if (!decoded) {
        failPeer(decoded.error(), PeerErrorCode::malformed_message);
        return true;
    }
    if (auto role = checkRole(*decoded); !role) {
        failPeer(role.error(), PeerErrorCode::protocol_violation);
        return true;
    }
    if (selling() && (std::holds_alternative<Payment>(*decoded) || std::holds_alternative<FinalState>(*decoded)))
        ++unansweredPayments_;
    if (const auto* answer = std::get_if<Countersignature>(&*decoded)) noteAnswered(answer->turn);
    if (auto events = state_->events()) events->onMessage(key_, std::move(*decoded));
    return true;
}

Status PeerGate::checkRole(const Message& message) const
{
    const bool remoteSells = remoteTerms_ && remoteTerms_->pricePerMiB.has_value();
    switch (typeOf(message)) {
    case MessageType::stop:
    case MessageType::start:
    case MessageType::channel_accept:
    case MessageType::countersignature:
        if (!remoteSells)
            return makeError(WireError::protocol_violation,
                             std::string(toString(typeOf(message))) + " from a peer that sells nothing");
        return {};
    case MessageType::channel_proposal:
    case MessageType::payment:
        if (!selling())
            return makeError(WireError::protocol_violation,
                             std::string(toString(typeOf(message))) + " to a peer that sells nothing");
        return {};
    case MessageType::final_state:
    case MessageType::final_countersignature:
    case MessageType::error: return {};
    }
    return makeError(WireError::unknown_message_type);
}

bool PeerGate::on_request(lt::peer_request const& request)
{
    if (!selling()) return false;
    if (closing_) return true;               // closing: serve nothing, answer nothing
    if (request.length <= 0) return false;   // invalid: libtorrent rejects it, serving nothing
    if (account_.tryCharge(blockLength(request))) {
        chargedRequests_.insert(keyOf(request));
        publishCredit();
        return false;
    }
    // While paid blocks are still going out, or a payment is being validated and stored, a
    // grant can come before the buyer would have to ask again: hold the request rather than
    // choke (which would reject every queued request, and the unchoke costs another round
    // trip). A buyer keeps at most reqq requests outstanding, so at most that many wait
    // here; more is a peer ignoring reqq, refused as before.
    const std::size_t holdLimit = paidRequestQueue(state_->node.creditWindow, state_->node.paymentIncrement);
    if (joined_ && peerSupportsFast_ && mayStillBeCovered() && held_.size() < holdLimit) {
        hold(request);
        return true;
    }
    refuse(request);
    return true;
}

bool PeerGate::on_cancel(lt::peer_request const& request)
{
    auto it = std::find(held_.begin(), held_.end(), request);
    if (it == held_.end()) return false; // libtorrent's own (it rejects what it still queues)
    held_.erase(it);
    sendReject(request); // BEP 6: a cancelled request is still answered, with a reject
    return true;
}

void PeerGate::hold(lt::peer_request const& request)
{
    counters_->requestsHeld.fetch_add(1, std::memory_order_relaxed);
    held_.push_back(request);
    // A buyer whose payment is still being answered has paid already: a STOP would only cost
    // both sides a message now and a START after the grant. Without one, it is told to pay.
    if (unansweredPayments_ == 0) stop(blockLength(request));
}

void PeerGate::stop(std::uint64_t requestBytes)
{
    if (!joined_ || stopped_) return;
    stopped_ = true;
    sendMessage(Stop{StopReason::payment_needed});
    if (auto events = state_->events()) events->onCreditExhausted(key_, requestBytes);
}

// A held request may yet be served without the buyer asking again: paid blocks are still
// going out, or a payment the engine has not answered may bring credit.
bool PeerGate::mayStillBeCovered() const noexcept
{
    return !chargedRequests_.empty() || unansweredPayments_ > 0;
}

// The last paid block has gone out (or was rejected) and no payment is pending: what was
// held is refused now. Called from inside libtorrent's send and choke paths, so the choke
// it may cause runs from the queue.
void PeerGate::refuseHeldOnceDrained()
{
    if (held_.empty() || mayStillBeCovered()) return;
    state_->post([weak = weak_from_this()] {
        auto gate = weak.lock();
        if (!gate || gate->held_.empty() || gate->mayStillBeCovered()) return;
        // Refunds (requests the buyer cancelled, rejected from libtorrent's queue) may have
        // left credit enough for them: then the buyer asks again, and is served.
        if (!gate->closing_ && gate->account_.available() >= blockLength(gate->held_.front())) return gate->resume();
        auto held = std::move(gate->held_);
        gate->held_.clear();
        for (const auto& r : held) gate->refuse(r);
    });
}

void PeerGate::refuse(lt::peer_request const& request)
{
    counters_->requestsRefused.fetch_add(1, std::memory_order_relaxed);
    // Choke before rejecting: a peer that sees the reject while still unchoked asks again
    // at once, and that is a reject storm.
    if (connectionAlive() && !connection_.is_choked()) connection_.choke_this_peer();
    if (peerSupportsFast_) sendReject(request);
    stop(blockLength(request));
    // The choke rejected what libtorrent still queued, and those refunds came before the
    // STOP above marked the peer stopped: restart it if they left credit enough.
    postRestart();
}

void PeerGate::sendReject(lt::peer_request const& request)
{
    // libtorrent never saw this request (the plugin swallowed it), so it cannot reject it:
    // the peer would wait for the block until its request timeout. Reject it by hand.
    Bytes frame;
    frame.reserve(4 + reject_request_length);
    putUint32(frame, reject_request_length);
    frame.push_back(msg_reject_request);
    putUint32(frame, static_cast<std::uint32_t>(static_cast<int>(request.piece)));
    putUint32(frame, static_cast<std::uint32_t>(request.start));
    putUint32(frame, static_cast<std::uint32_t>(request.length));
    if (!connectionAlive()) return;
    connection_.send_buffer(reinterpret_cast<const char*>(frame.data()), static_cast<int>(frame.size()));
    counters_->rejectsSent.fetch_add(1, std::memory_order_relaxed);
}

void PeerGate::sent_reject_request(lt::peer_request const& request)
{
    counters_->rejectsSent.fetch_add(1, std::memory_order_relaxed);
    if (!selling()) return;
    auto it = chargedRequests_.find(keyOf(request));
    if (it == chargedRequests_.end()) return;
    chargedRequests_.erase(it);
    account_.refund(blockLength(request));
    if (closing_) account_.revoke();
    publishCredit();
    refuseHeldOnceDrained();
    // Choking a peer that asked beyond its credit makes libtorrent reject its queued
    // requests, which gives their credit back. Once that burst of rejects is through, a
    // stopped peer with paid credit left is started again: otherwise a buyer that has
    // already paid its whole window would wait for a START that never comes.
    postRestart();
}

void PeerGate::postRestart()
{
    if (!stopped_ || restartPosted_) return;
    restartPosted_ = true;
    state_->post([weak = weak_from_this()] {
        if (auto gate = weak.lock()) gate->restartIfCredit();
    });
}

void PeerGate::restartIfCredit()
{
    restartPosted_ = false;
    if (closing_ || !stopped_ || account_.available() < std::max(state_->node.paymentIncrement, min_payment_increment)) return;
    resume();
}

// There is credit: START a stopped peer, unchoke it, and answer the held requests with a
// reject. The buyer, unchoked, asks for those blocks again at once, and now they are
// covered (what still is not is held again).
void PeerGate::resume()
{
    if (stopped_) {
        stopped_ = false;
        sendMessage(Start{account_.available()});
    }
    if (connectionAlive() && connection_.is_choked()) connection_.maybe_unchoke_this_peer();
    auto held = std::move(held_);
    held_.clear();
    for (const auto& r : held) sendReject(r);
}

void PeerGate::sent_piece(lt::peer_request const& request)
{
    auto it = chargedRequests_.find(keyOf(request));
    if (it != chargedRequests_.end()) chargedRequests_.erase(it);
    refuseHeldOnceDrained();
}

void PeerGate::sent_unchoke()
{
    if (!selling()) return;
    if (!closing_ && account_.available() > 0) return;
    // libtorrent unchokes on its own (right after the handshake, and at once for peers on
    // the local network). Choking from inside this callback does nothing, as libtorrent
    // marks the peer unchoked after it returns: undo it from the queue instead. Requests
    // arriving before then find no credit and are refused.
    state_->post([weak = weak_from_this()] {
        if (auto gate = weak.lock()) gate->chokeIfUnpaid();
    });
}

void PeerGate::chokeIfUnpaid()
{
    if (!connectionAlive() || connection_.is_choked()) return;
    if (closing_ || account_.available() == 0) connection_.choke_this_peer();
}

void PeerGate::sent_payload(int bytes)
{
    if (bytes <= 0) return;
    account_.recordSent(static_cast<std::uint64_t>(bytes));
    counters_->payloadSent.store(account_.sent(), std::memory_order_relaxed);
}

void PeerGate::sent_request(lt::peer_request const& request)
{
    requested_.insert(keyOf(request));
    counters_->bytesRequested.fetch_add(blockLength(request), std::memory_order_relaxed);
}

bool PeerGate::on_reject(lt::peer_request const& request)
{
    requested_.erase(keyOf(request));
    counters_->bytesRejected.fetch_add(blockLength(request), std::memory_order_relaxed);
    return false;
}

bool PeerGate::on_piece(lt::peer_request const& piece, lt::span<char const>)
{
    if (requested_.erase(keyOf(piece)) == 0) {
        // Not asked for (or already had): libtorrent counts it as waste; we neither count
        // it as received nor let a payment fall due on it.
        counters_->bytesUnrequested.fetch_add(blockLength(piece), std::memory_order_relaxed);
        return false;
    }
    const std::uint64_t received =
        counters_->payloadReceived.fetch_add(blockLength(piece), std::memory_order_relaxed) + blockLength(piece);
    const bool remoteSells = remoteTerms_ && remoteTerms_->pricePerMiB.has_value();
    // A payment falls due on the block that takes the count to it, and leaves from here.
    if (payments_->due(received)) releaseDuePayments();
    if (joined_ && remoteSells && received >= nextReceivedNotify_) {
        nextReceivedNotify_ = received + std::max<std::uint64_t>(state_->options.receivedNotifyBytes, 1);
        if (auto events = state_->events()) events->onPayloadReceived(key_, received);
    }
    return false;
}

void PeerGate::on_disconnect(lt::error_code const&)
{
    if (lingerTimer_) lingerTimer_->cancel();
    if (joined_) {
        joined_ = false;
        if (auto events = state_->events()) events->onPeerLeft(key_, counters_->snapshot());
    }
    state_->removePeer(key_);
}

void PeerGate::grant(std::uint64_t bytes)
{
    if (unansweredPayments_ > 0) --unansweredPayments_;
    if (closing_ || !selling()) return;
    if (bytes == 0) return refuseHeldOnceDrained(); // that answer brought nothing: it may be time
    account_.grant(bytes);
    publishCredit();
    resume();
}

void PeerGate::sendPayload(const Bytes& payload)
{
    if (remoteMessageId_ == 0 || closing_ || !connectionAlive()) return;
    const Bytes frame = frameExtended(remoteMessageId_, payload);
    connection_.send_buffer(reinterpret_cast<const char*>(frame.data()), static_cast<int>(frame.size()));
}

void PeerGate::releaseDuePayments()
{
    if (!joined_ || closing_) return;
    auto events = state_->events();
    for (auto& released : payments_->takeDue(counters_->payloadReceived.load(std::memory_order_relaxed))) {
        sendPayload(released.payload);
        if (releasedAt_.size() >= max_timed_payments) releasedAt_.pop_front();
        releasedAt_.emplace_back(released.turn, std::chrono::steady_clock::now());
        if (events) events->onPaymentReleased(key_, released.turn);
    }
}

// A countersignature answers the oldest payment sent: the seller answers in turn order, and
// a turn it skipped (taken back by our engine before it left, or sent by the engine itself
// rather than the trigger) is not timed.
void PeerGate::noteAnswered(std::uint64_t turn)
{
    while (!releasedAt_.empty() && releasedAt_.front().first < turn) releasedAt_.pop_front();
    if (releasedAt_.empty() || releasedAt_.front().first != turn) return;
    const auto waited = std::chrono::steady_clock::now() - releasedAt_.front().second;
    releasedAt_.pop_front();
    counters_->paymentAnswer.record(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
}

void PeerGate::sendMessage(const Message& message)
{
    auto payload = encodeMessage(message);
    if (payload) sendPayload(*payload);
}

void PeerGate::close(PeerErrorCode code, const Error& reason)
{
    if (closing_) return;
    std::string text = reason.describe();
    if (text.size() > max_error_text_bytes) text.resize(max_error_text_bytes);
    sendMessage(ErrorMessage{static_cast<std::uint32_t>(code), std::move(text)});
    closing_ = true;
    held_.clear(); // closing: answer nothing more
    if (connectionAlive() && !connection_.is_choked()) connection_.choke_this_peer();
    account_.revoke();
    publishCredit();

    const lt::error_code why = disconnectCode(reason);
    lt::io_context* context = state_->networkContext();
    if (context == nullptr || state_->options.errorLinger.count() <= 0) {
        if (connectionAlive()) connection_.disconnect(why, lt::operation_t::bittorrent, lt::peer_connection_interface::peer_error);
        return;
    }
    lingerTimer_ = std::make_unique<boost::asio::steady_timer>(*context, state_->options.errorLinger);
    lingerTimer_->async_wait([weak = weak_from_this(), why](const boost::system::error_code& ec) {
        if (ec) return;
        auto gate = weak.lock();
        if (gate && gate->connectionAlive())
            gate->connection_.disconnect(why, lt::operation_t::bittorrent, lt::peer_connection_interface::peer_error);
    });
}

void PeerGate::failPeer(Error error, PeerErrorCode code)
{
    error.message = "peer " + endpoint() + ": " + error.describe();
    if (connectionAlive() && connection_.should_log(lt::peer_log_alert::info))
        connection_.peer_log(lt::peer_log_alert::info, "PT_PAID_ERROR", "%s", error.message.c_str());
    if (auto events = state_->events()) events->onPeerError(key_, error);
    close(code, error);
}

void PeerGate::publishCredit()
{
    counters_->creditGranted.store(account_.granted(), std::memory_order_relaxed);
    counters_->creditCharged.store(account_.charged(), std::memory_order_relaxed);
}

bool PeerGate::connectionAlive() const
{
    const lt::peer_connection_handle& base = connection_;
    return base.native_handle() != nullptr && !connection_.is_disconnecting();
}

std::string PeerGate::endpoint() const
{
    if (!connectionAlive()) return "(gone)";
    const auto& ep = connection_.remote();
    const std::string address = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

} // namespace pt::ext
