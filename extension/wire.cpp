#include "extension/wire.hpp"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>

#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

namespace pt::ext {
namespace {

namespace lt = libtorrent;

// Message keys (docs/protocol.md).
constexpr const char* k_type = "type";
constexpr const char* k_reason = "reason";
constexpr const char* k_credit = "credit";
constexpr const char* k_channel = "channel";
constexpr const char* k_state = "state";
constexpr const char* k_sig = "sig";
constexpr const char* k_turn = "turn";
constexpr const char* k_code = "code";
constexpr const char* k_msg = "msg";
// Terms keys.
constexpr const char* k_version = "v";
constexpr const char* k_signer = "signer";
constexpr const char* k_chain = "chain";
constexpr const char* k_adjudicator = "adjudicator";
constexpr const char* k_price = "price";
constexpr const char* k_increment = "increment";
constexpr const char* k_window = "window";

Error fieldError(WireError e, std::string_view key, const std::string& what)
{
    return makeError(e, "field \"" + std::string(key) + "\": " + what);
}

std::string asString(ByteView bytes)
{
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The root dictionary of one bencoded value that fills `bytes` exactly.
Result<lt::bdecode_node> decodeDict(ByteView bytes, std::size_t limit)
{
    if (bytes.size() > limit)
        return makeError(WireError::too_large, std::to_string(bytes.size()) + " bytes, the limit is " +
                                                   std::to_string(limit));
    lt::error_code ec;
    int errorPos = 0;
    const lt::span<const char> buffer(reinterpret_cast<const char*>(bytes.data()),
                                      static_cast<std::ptrdiff_t>(bytes.size()));
    lt::bdecode_node root = lt::bdecode(buffer, ec, &errorPos, max_bencode_depth, max_bencode_tokens);
    if (ec)
        return makeError(WireError::not_bencoded, ec.message() + " at byte " + std::to_string(errorPos));
    if (root.type() != lt::bdecode_node::dict_t) return makeError(WireError::not_a_dict);
    if (static_cast<std::size_t>(root.data_section().size()) != bytes.size())
        return makeError(WireError::not_bencoded, "bytes after the bencoded dictionary");
    return root;
}

// Integers are parsed from their bencoded text: bdecode_node::int_value() turns an
// overflowing integer into 0, which must never pass for a valid value.
Result<std::uint64_t> unsignedField(const lt::bdecode_node& dict, const char* key, std::uint64_t max)
{
    const lt::bdecode_node node = dict.dict_find(key);
    if (node.type() == lt::bdecode_node::none_t) return fieldError(WireError::missing_field, key, "missing");
    if (node.type() != lt::bdecode_node::int_t)
        return fieldError(WireError::wrong_type, key, "expected an integer");
    const lt::span<const char> raw = node.data_section(); // "i<digits>e"
    const std::string_view digits(raw.data() + 1, static_cast<std::size_t>(raw.size()) - 2);
    if (digits.empty() || digits.front() == '-')
        return fieldError(WireError::out_of_range, key, "negative");
    if (digits.size() > 1 && digits.front() == '0')
        return fieldError(WireError::not_bencoded, key, "leading zero");
    std::uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return fieldError(WireError::not_bencoded, key, "not a decimal integer");
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) return fieldError(WireError::out_of_range, key, "above " + std::to_string(max));
        value = value * 10 + digit;
    }
    return value;
}

Result<std::string_view> stringField(const lt::bdecode_node& dict, const char* key, std::size_t maxBytes)
{
    const lt::bdecode_node node = dict.dict_find(key);
    if (node.type() == lt::bdecode_node::none_t) return fieldError(WireError::missing_field, key, "missing");
    if (node.type() != lt::bdecode_node::string_t)
        return fieldError(WireError::wrong_type, key, "expected a byte string");
    const auto raw = node.string_value();
    const std::string_view value(raw.data(), raw.size());
    if (value.size() > maxBytes)
        return fieldError(WireError::too_large, key, std::to_string(value.size()) + " bytes, the limit is " +
                                                         std::to_string(maxBytes));
    return value;
}

template <std::size_t N>
Result<FixedBytes<N>> fixedField(const lt::bdecode_node& dict, const char* key)
{
    auto value = stringField(dict, key, max_message_bytes);
    if (!value) return value.error();
    if (value->size() != N)
        return fieldError(WireError::wrong_length, key,
                          std::to_string(value->size()) + " bytes, expected " + std::to_string(N));
    FixedBytes<N> out;
    for (std::size_t i = 0; i < N; ++i) out.bytes[i] = static_cast<std::uint8_t>((*value)[i]);
    return out;
}

Result<Bytes> stateField(const lt::bdecode_node& dict)
{
    auto value = stringField(dict, k_state, max_state_bytes);
    if (!value) return value.error();
    if (value->empty()) return fieldError(WireError::wrong_length, k_state, "empty");
    return Bytes(value->begin(), value->end());
}

// CHANNEL_PROPOSAL, PAYMENT and FINAL share one layout.
template <class T>
Result<Message> decodeSignedState(const lt::bdecode_node& dict)
{
    auto channel = fixedField<channel_id_bytes>(dict, k_channel);
    if (!channel) return channel.error();
    auto state = stateField(dict);
    if (!state) return state.error();
    auto sig = fixedField<signature_bytes>(dict, k_sig);
    if (!sig) return sig.error();
    return Message{T{*channel, std::move(*state), *sig}};
}

// COUNTERSIGNATURE and FINAL_COUNTERSIGNATURE share one layout.
template <class T>
Result<Message> decodeTurnSignature(const lt::bdecode_node& dict)
{
    auto channel = fixedField<channel_id_bytes>(dict, k_channel);
    if (!channel) return channel.error();
    auto turn = unsignedField(dict, k_turn, max_turn);
    if (!turn) return turn.error();
    auto sig = fixedField<signature_bytes>(dict, k_sig);
    if (!sig) return sig.error();
    return Message{T{*channel, *turn, *sig}};
}

Result<Message> decodeBody(MessageType type, const lt::bdecode_node& dict)
{
    switch (type) {
    case MessageType::stop: {
        auto reason = unsignedField(dict, k_reason, 255);
        if (!reason) return reason.error();
        if (*reason < 1 || *reason > 3)
            return fieldError(WireError::out_of_range, k_reason, "unknown reason " + std::to_string(*reason));
        return Message{Stop{static_cast<StopReason>(*reason)}};
    }
    case MessageType::start: {
        auto credit = unsignedField(dict, k_credit, max_wire_integer);
        if (!credit) return credit.error();
        return Message{Start{*credit}};
    }
    case MessageType::channel_proposal: return decodeSignedState<ChannelProposal>(dict);
    case MessageType::channel_accept: {
        auto channel = fixedField<channel_id_bytes>(dict, k_channel);
        if (!channel) return channel.error();
        auto sig = fixedField<signature_bytes>(dict, k_sig);
        if (!sig) return sig.error();
        return Message{ChannelAccept{*channel, *sig}};
    }
    case MessageType::payment: return decodeSignedState<Payment>(dict);
    case MessageType::countersignature: return decodeTurnSignature<Countersignature>(dict);
    case MessageType::final_state: return decodeSignedState<FinalState>(dict);
    case MessageType::final_countersignature: return decodeTurnSignature<FinalCountersignature>(dict);
    case MessageType::error: {
        auto code = unsignedField(dict, k_code, 0xffffffffu);
        if (!code) return code.error();
        auto text = stringField(dict, k_msg, max_error_text_bytes);
        if (!text) return text.error();
        return Message{ErrorMessage{static_cast<std::uint32_t>(*code), std::string(*text)}};
    }
    }
    return makeError(WireError::unknown_message_type);
}

lt::entry::integer_type asInteger(std::uint64_t v)
{
    return static_cast<lt::entry::integer_type>(v);
}

Bytes bencodeEntry(const lt::entry& e)
{
    Bytes out;
    lt::bencode(std::back_inserter(out), e);
    return out;
}

} // namespace

Result<Bytes> encodeMessage(const Message& message)
{
    const MessageType type = typeOf(message);
    lt::entry e(lt::entry::dictionary_t);
    e[k_type] = asInteger(static_cast<std::uint64_t>(type));

    Status checked = std::visit(
        [&e](const auto& m) -> Status {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Stop>) {
                e[k_reason] = asInteger(static_cast<std::uint64_t>(m.reason));
            } else if constexpr (std::is_same_v<T, Start>) {
                if (m.credit > max_wire_integer) return fieldError(WireError::out_of_range, k_credit, "too large");
                e[k_credit] = asInteger(m.credit);
            } else if constexpr (std::is_same_v<T, ChannelProposal> || std::is_same_v<T, Payment> ||
                                 std::is_same_v<T, FinalState>) {
                if (m.state.empty() || m.state.size() > max_state_bytes)
                    return fieldError(WireError::too_large, k_state, "empty or above the limit");
                e[k_channel] = asString(m.channel.view());
                e[k_state] = asString(m.state);
                e[k_sig] = asString(m.signature.view());
            } else if constexpr (std::is_same_v<T, ChannelAccept>) {
                e[k_channel] = asString(m.channel.view());
                e[k_sig] = asString(m.signature.view());
            } else if constexpr (std::is_same_v<T, Countersignature> || std::is_same_v<T, FinalCountersignature>) {
                if (m.turn > max_turn) return fieldError(WireError::out_of_range, k_turn, "above uint48");
                e[k_channel] = asString(m.channel.view());
                e[k_turn] = asInteger(m.turn);
                e[k_sig] = asString(m.signature.view());
            } else if constexpr (std::is_same_v<T, ErrorMessage>) {
                if (m.text.size() > max_error_text_bytes)
                    return fieldError(WireError::too_large, k_msg, "above the limit");
                e[k_code] = asInteger(m.code);
                e[k_msg] = m.text;
            }
            return {};
        },
        message);
    if (!checked) return checked.error();

    Bytes out = bencodeEntry(e);
    if (out.size() > maxEncodedBytes(type))
        return makeError(WireError::too_large, std::string(toString(type)) + " encodes to " +
                                                   std::to_string(out.size()) + " bytes");
    return out;
}

Result<Message> decodeMessage(ByteView payload)
{
    auto root = decodeDict(payload, max_message_bytes);
    if (!root) return root.error();
    auto type = unsignedField(*root, k_type, 255);
    if (!type) return type.error();
    if (*type < 1 || *type > 9)
        return makeError(WireError::unknown_message_type, "message type " + std::to_string(*type));
    const auto messageType = static_cast<MessageType>(*type);
    // The per-type limit is checked once the type is known: a STOP padded to 8 KiB with
    // unknown keys is as malformed as an oversized payment.
    if (payload.size() > maxEncodedBytes(messageType))
        return makeError(WireError::too_large, std::string(toString(messageType)) + " of " +
                                                   std::to_string(payload.size()) + " bytes");
    return decodeBody(messageType, *root);
}

Status validateTerms(const Terms& terms)
{
    if (terms.version != protocol_version)
        return makeError(WireError::unsupported_version, "version " + std::to_string(terms.version));
    if (terms.chainId == 0 || terms.chainId > max_wire_integer)
        return makeError(WireError::invalid_terms, "chain id out of range");
    if (terms.paymentIncrement < min_payment_increment)
        return makeError(WireError::invalid_terms, "payment increment below " + std::to_string(min_payment_increment));
    if (terms.creditWindow < terms.paymentIncrement)
        return makeError(WireError::invalid_terms, "credit window below the payment increment");
    if (terms.creditWindow > max_credit_window)
        return makeError(WireError::invalid_terms, "credit window above " + std::to_string(max_credit_window));
    if (terms.pricePerMiB && terms.pricePerMiB->value() == 0)
        return makeError(WireError::invalid_terms, "price of zero (a free torrent has no price)");
    return {};
}

Result<Bytes> encodeTerms(const Terms& terms)
{
    if (auto valid = validateTerms(terms); !valid) return valid.error();
    lt::entry e(lt::entry::dictionary_t);
    e[k_version] = asInteger(terms.version);
    e[k_signer] = asString(terms.signer.view());
    e[k_chain] = asInteger(terms.chainId);
    e[k_adjudicator] = asString(terms.adjudicator.view());
    if (terms.pricePerMiB) e[k_price] = terms.pricePerMiB->toDecimal();
    e[k_increment] = asInteger(terms.paymentIncrement);
    e[k_window] = asInteger(terms.creditWindow);
    Bytes out = bencodeEntry(e);
    if (out.size() > max_terms_bytes) return makeError(WireError::too_large, "terms");
    return out;
}

Result<Terms> decodeTerms(ByteView bencoded)
{
    auto root = decodeDict(bencoded, max_terms_bytes);
    if (!root) return root.error();
    Terms terms;
    // The version first: a newer peer may have changed everything else.
    auto version = unsignedField(*root, k_version, 0xffffffffu);
    if (!version) return version.error();
    if (*version != protocol_version)
        return makeError(WireError::unsupported_version, "version " + std::to_string(*version));
    terms.version = static_cast<std::uint32_t>(*version);

    auto signer = fixedField<address_bytes>(*root, k_signer);
    if (!signer) return signer.error();
    terms.signer = *signer;
    auto chain = unsignedField(*root, k_chain, max_wire_integer);
    if (!chain) return chain.error();
    terms.chainId = *chain;
    auto adjudicator = fixedField<address_bytes>(*root, k_adjudicator);
    if (!adjudicator) return adjudicator.error();
    terms.adjudicator = *adjudicator;

    if (root->dict_find(k_price).type() != lt::bdecode_node::none_t) {
        auto price = stringField(*root, k_price, max_price_digits);
        if (!price) return price.error();
        if (price->empty()) return fieldError(WireError::wrong_length, k_price, "empty");
        for (char c : *price)
            if (c < '0' || c > '9') return fieldError(WireError::wrong_type, k_price, "not a decimal number");
        if (price->size() > 1 && price->front() == '0')
            return fieldError(WireError::wrong_type, k_price, "leading zero");
        auto wei = Wei::parse(*price);
        if (!wei) return fieldError(WireError::out_of_range, k_price, wei.error().describe());
        terms.pricePerMiB = *wei;
    }

    auto increment = unsignedField(*root, k_increment, max_wire_integer);
    if (!increment) return increment.error();
    terms.paymentIncrement = *increment;
    auto window = unsignedField(*root, k_window, max_wire_integer);
    if (!window) return window.error();
    terms.creditWindow = *window;

    if (auto valid = validateTerms(terms); !valid) return valid.error();
    return terms;
}

Bytes frameExtended(int remoteId, ByteView payload)
{
    // BEP 10: the BitTorrent length prefix counts the message id (20) and the extended id.
    const auto length = static_cast<std::uint32_t>(payload.size() + 2);
    Bytes out;
    out.reserve(payload.size() + 6);
    out.push_back(static_cast<std::uint8_t>(length >> 24));
    out.push_back(static_cast<std::uint8_t>(length >> 16));
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
    out.push_back(20); // BitTorrent message id "extended"
    out.push_back(static_cast<std::uint8_t>(remoteId));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

} // namespace pt::ext
