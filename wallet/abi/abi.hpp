// The Solidity ABI: abi.encode, function selectors and call data, and a defensive decoder
// for what a chain returns (return data, event data, revert reasons).
//
//   using namespace pt::abi;
//   Bytes data = encode({Value::uint(chainId), Value::array(Type::address(), parts), ...});
//   Bytes call = encodeCall("holdings(address,bytes32)", {Value::address(a), Value::bytes32(id)});
//   auto out  = decode({Type::uint()}, returnData);           // Result<std::vector<Value>>
//   auto why  = decodeRevertReason(revertData);               // Result<std::string>
#pragma once

#include "wallet/abi/abi_error.hpp"
#include "wallet/abi/type.hpp"
#include "wallet/abi/value.hpp"
#include "wallet/common/bytes.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pt::abi {

// Largest input decode() accepts: chain responses this wallet reads are a few KiB; 16 MiB
// stays well above any legitimate return data and below memory trouble.
inline constexpr std::size_t max_decode_input = 16u << 20;

// abi.encode(params...): the parameters encoded as one tuple.
[[nodiscard]] Bytes encode(const std::vector<Value>& params);
// The encoding of one value as a single parameter (same as encode({v})).
[[nodiscard]] Bytes encodeOne(const Value& v);

// First four bytes of keccak256 of the signature text, taken as written
// ("transfer(address,uint256)": canonical, no spaces, no names).
[[nodiscard]] FixedBytes<4> selector(std::string_view signature);
// selector || encode(params). The signature's parameter list is parsed and must match the
// types of `params` (a mismatch throws std::invalid_argument: it is a programmer error, and
// on chain it would only show up as an opaque revert). The selector is computed from the
// canonical form, so "f(uint)" means "f(uint256)".
[[nodiscard]] Bytes encodeCall(std::string_view signature, const std::vector<Value>& params);
// "name(t1,t2)" -> canonical "name(t1,t2)"; errors on bad text.
[[nodiscard]] Result<std::string> canonicalSignature(std::string_view signature);

// Decodes abi.encode(values...) of the given types. Never trusts the input: every offset
// and length is checked against the data, nesting is bounded, uint<N>/int<N> out of range,
// bools other than 0/1 and dirty address/bytesN padding are refused, and the total work is
// bounded by the input size (aliased offsets cannot blow up memory). Trailing bytes after
// the encoded values are allowed (as Solidity does).
[[nodiscard]] Result<std::vector<Value>> decode(const std::vector<Type>& types, ByteView data);
[[nodiscard]] Result<Value> decodeOne(const Type& type, ByteView data);

// The selector of Solidity's revert with a reason string: Error(string).
inline constexpr std::uint8_t error_selector[4] = {0x08, 0xc3, 0x79, 0xa0};
// The reason of a revert payload `Error(string)`; AbiError::not_revert for anything else
// (empty data, a custom error, Panic(uint256)), and a decode error if it is malformed.
[[nodiscard]] Result<std::string> decodeRevertReason(ByteView revertData);
// One line for a log or an error message: the reason, "Panic(0x11)", "no reason", or the
// selector and size of anything else. Unprintable characters of the reason are escaped.
[[nodiscard]] std::string describeRevert(ByteView revertData);

} // namespace pt::abi
