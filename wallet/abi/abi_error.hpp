// Errors of decoding Solidity ABI data (from a chain, a peer, a file) and of parsing type text.
#pragma once

#include "wallet/common/result.hpp"

#include <system_error>

namespace pt::abi {

enum class AbiError {
    truncated = 1,   // the data ends before a value, an offset or a length it announces
    bad_offset,      // an offset that points outside the data
    bad_length,      // a length that does not fit in the data
    out_of_range,    // a uint<N>/int<N> word outside its type's range
    non_canonical,   // a bool other than 0/1, an address or bytesN with dirty padding
    too_deep,        // nesting deeper than max_nesting_depth
    too_large,       // input over max_decode_input, or offsets that alias into a blow-up
    bad_type,        // type text that does not parse, or a type ABI does not allow
    not_revert,      // revert data that is not Error(string)
};
const std::error_category& abiErrorCategory() noexcept;
inline std::error_code make_error_code(AbiError e) noexcept
{
    return {static_cast<int>(e), abiErrorCategory()};
}

} // namespace pt::abi

template <>
struct std::is_error_code_enum<pt::abi::AbiError> : std::true_type {};
