// A Solidity ABI value: a tree that carries its type, built with the factory functions
// below and read back with the typed accessors (a wrong-kind access is a programmer error
// and throws std::logic_error).
#pragma once

#include "wallet/abi/type.hpp"
#include "wallet/common/bytes.hpp"
#include "wallet/common/wei.hpp"
#include "wallet/crypto/address.hpp"

#include <boost/multiprecision/cpp_int.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pt::abi {

// Signed 256-bit integer for int<N> (sign-magnitude in memory, two's complement on the wire).
using I256 = boost::multiprecision::int256_t;

class Value {
public:
    // Factories. Out-of-range numbers (a uint8 of 256, ...) and wrong sizes are programmer
    // errors: they throw std::invalid_argument, since values come from typed code.
    [[nodiscard]] static Value uint(const U256& v, unsigned bits = 256);
    [[nodiscard]] static Value int_(const I256& v, unsigned bits = 256);
    [[nodiscard]] static Value boolean(bool v);
    [[nodiscard]] static Value address(const Address& a);
    [[nodiscard]] static Value bytes32(const Bytes32& b);
    [[nodiscard]] static Value fixedBytes(ByteView b); // bytes<b.size()>, 1..32
    [[nodiscard]] static Value bytes(ByteView b);
    [[nodiscard]] static Value string(std::string_view s);
    // Every item must have type `element` (checked; a mismatch throws).
    [[nodiscard]] static Value array(const Type& element, std::vector<Value> items);
    [[nodiscard]] static Value fixedArray(const Type& element, std::vector<Value> items);
    [[nodiscard]] static Value tuple(std::vector<Value> items);

    [[nodiscard]] const Type& type() const noexcept { return type_; }

    // Accessors; each checks the kind.
    [[nodiscard]] const U256& asUint() const;
    [[nodiscard]] const I256& asInt() const;
    [[nodiscard]] bool asBool() const;
    [[nodiscard]] Address asAddress() const;
    [[nodiscard]] Bytes32 asBytes32() const;        // bytes32 only
    [[nodiscard]] const Bytes& asBytes() const;     // bytes, bytesN, string (raw bytes)
    [[nodiscard]] std::string asString() const;     // string only
    [[nodiscard]] const std::vector<Value>& items() const; // arrays and tuples

    bool operator==(const Value&) const = default;

private:
    friend class Decoder;
    Type type_;
    U256 uint_{0};
    I256 int_value_{0};
    bool bool_ = false;
    Address address_;           // inline: no allocation for the commonest static value
    Bytes bytes_;               // bytesN, bytes, string
    std::vector<Value> items_;  // arrays, tuples
};

} // namespace pt::abi
