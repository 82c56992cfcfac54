// Solidity ABI types: one definition per type (elementary, arrays, tuples), parsed from and
// printed to the canonical text used in function signatures ("(address,bytes)[]").
#pragma once

#include "wallet/abi/abi_error.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pt::abi {

// Deepest nesting of arrays/tuples accepted, in type text and in decoded data. Nitro needs 4
// (outcome -> asset outcome -> allocation -> item); 32 leaves room without letting hostile
// type text or data recurse the stack away.
inline constexpr std::size_t max_nesting_depth = 32;

class Type {
public:
    enum class Kind {
        uint,       // uint<bits>, 8 <= bits <= 256, bits % 8 == 0
        int_,       // int<bits>, two's complement
        boolean,
        address,
        fixedBytes, // bytes<size>, 1 <= size <= 32
        bytes,      // dynamic bytes
        string,     // dynamic UTF-8 (not validated: Solidity does not either)
        array,      // T[]  (components[0] = T)
        fixedArray, // T[size]
        tuple,      // (components...)
    };

    Type() = default; // uint256

    [[nodiscard]] static Type uint(unsigned bits = 256);
    [[nodiscard]] static Type int_(unsigned bits = 256);
    [[nodiscard]] static Type boolean();
    [[nodiscard]] static Type address();
    [[nodiscard]] static Type fixedBytes(std::size_t size);
    [[nodiscard]] static Type bytes32() { return fixedBytes(32); }
    [[nodiscard]] static Type bytes();
    [[nodiscard]] static Type string();
    [[nodiscard]] static Type array(Type element);
    [[nodiscard]] static Type fixedArray(Type element, std::size_t length);
    [[nodiscard]] static Type tuple(std::vector<Type> components);

    // Parses canonical or near-canonical type text: "uint" (= uint256), "bytes32",
    // "(address,bytes)[]", "tuple(uint256,bytes32)[2]", optional component names
    // ("(address asset, bytes data)") and spaces. Bounded by max_type_text and
    // max_nesting_depth. Empty tuples and zero-length fixed arrays are refused (Solidity has
    // none, and a zero-size element would let a decoder allocate without reading).
    [[nodiscard]] static Result<Type> parse(std::string_view text);
    // A parenthesised list "(t1,t2)" or "" as a parameter list, e.g. of a signature.
    [[nodiscard]] static Result<std::vector<Type>> parseList(std::string_view text);

    [[nodiscard]] Kind kind() const noexcept { return kind_; }
    [[nodiscard]] unsigned bits() const noexcept { return bits_; }         // uint/int
    [[nodiscard]] std::size_t size() const noexcept { return size_; }      // bytesN, T[k]
    [[nodiscard]] const std::vector<Type>& components() const noexcept;
    [[nodiscard]] const Type& element() const { return components().at(0); } // arrays

    // Dynamic types are encoded in the tail behind an offset (bytes, string, T[], and tuples
    // or fixed arrays that contain one).
    [[nodiscard]] bool isDynamic() const noexcept;
    // Bytes this type takes in its parent's head: 32 for dynamic types, else its full size.
    [[nodiscard]] std::size_t headSize() const noexcept;
    // Nesting depth: 0 for elementary types.
    [[nodiscard]] std::size_t depth() const noexcept;
    // Canonical signature text: "uint256", "(address,bytes)[]".
    [[nodiscard]] std::string toString() const;

    bool operator==(const Type& o) const noexcept;

private:
    Kind kind_ = Kind::uint;
    unsigned bits_ = 256;
    std::size_t size_ = 0;
    // Immutable and shared: copying a Type (every Value carries one) costs no allocation.
    std::shared_ptr<const std::vector<Type>> components_;
};

// Longest type text parse() reads: far more than any real signature, small enough that a
// hostile string cannot cost much.
inline constexpr std::size_t max_type_text = 4096;

} // namespace pt::abi
