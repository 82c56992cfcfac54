// Errors of the paid-streaming wire protocol: a peer's message or handshake that does not
// parse, does not fit its limits, or arrives when the protocol does not allow it.
#pragma once

#include "wallet/common/result.hpp"

#include <system_error>

namespace pt::ext {

enum class WireError {
    too_large = 1,         // longer than the limit for its kind (see wire_limits.hpp)
    not_bencoded,          // not one well-formed bencoded value, or bytes after it
    not_a_dict,            // the top-level value is not a dictionary
    missing_field,         // a required key is absent
    wrong_type,            // a key holds an integer where a string belongs, or the reverse
    wrong_length,          // a fixed-size byte string (address, channel id, signature) has another size
    out_of_range,          // an integer or an enumerated value outside what the protocol allows
    unknown_message_type,  // "type" is not one of the message types of this version
    unsupported_version,   // the peer speaks another protocol version
    invalid_terms,         // handshake terms that cannot be honoured (window below increment, ...)
    protocol_violation,    // a well-formed message at a time the protocol does not allow it
    rejected,              // the payment engine refused the peer's message (see the ERROR text)
};
const std::error_category& wireErrorCategory() noexcept;
inline std::error_code make_error_code(WireError e) noexcept
{
    return {static_cast<int>(e), wireErrorCategory()};
}

} // namespace pt::ext

template <>
struct std::is_error_code_enum<pt::ext::WireError> : std::true_type {};
