// The codec of the paid-streaming extension: messages and handshake terms to and from
// their bencoded form. Pure: no session, no sockets. Everything decoded comes from a peer
// and is bounded by the limits in protocol.hpp.
#pragma once

#include "extension/messages.hpp"
#include "extension/terms.hpp"
#include "extension/wire_error.hpp"
#include "wallet/common/bytes.hpp"
#include "wallet/common/result.hpp"

namespace pt::ext {

// The bencoded payload of an extended message (what follows the extended message id).
// Fails (WireError) when a field exceeds its limit: a programmer error upstream, but one
// we refuse to put on the wire.
[[nodiscard]] Result<Bytes> encodeMessage(const Message& message);
[[nodiscard]] Result<Message> decodeMessage(ByteView payload);

// The terms dictionary that goes under terms_key in the handshake.
[[nodiscard]] Result<Bytes> encodeTerms(const Terms& terms);
[[nodiscard]] Result<Terms> decodeTerms(ByteView bencoded);

// Whether the terms can be honoured (version, increment, window, price); decodeTerms
// applies it, encodeTerms too.
[[nodiscard]] Status validateTerms(const Terms& terms);

// A whole BitTorrent message carrying `payload` as extended message `remoteId`:
// [uint32 length][20][remoteId][payload], as it goes on the wire.
[[nodiscard]] Bytes frameExtended(int remoteId, ByteView payload);

} // namespace pt::ext
