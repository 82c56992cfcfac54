#include "wallet/abi/value.hpp"

#include <stdexcept>

namespace pt::abi {
namespace {

void requireKind(const Type& t, Type::Kind k, const char* what)
{
    if (t.kind() != k) throw std::logic_error(std::string("abi::Value: not a ") + what + " but " + t.toString());
}

U256 maxUint(unsigned bits)
{
    if (bits == 256) return ~U256(0);
    return (U256(1) << bits) - 1;
}

} // namespace

Value Value::uint(const U256& v, unsigned bits)
{
    Value out;
    out.type_ = Type::uint(bits);
    if (v > maxUint(bits)) throw std::invalid_argument("abi::Value::uint: value does not fit uint" + std::to_string(bits));
    out.uint_ = v;
    return out;
}

Value Value::int_(const I256& v, unsigned bits)
{
    Value out;
    out.type_ = Type::int_(bits);
    const I256 limit = I256(1) << (bits - 1); // -limit <= v < limit
    if (v >= limit || v < -limit)
        throw std::invalid_argument("abi::Value::int_: value does not fit int" + std::to_string(bits));
    out.int_value_ = v;
    return out;
}

Value Value::boolean(bool v)
{
    Value out;
    out.type_ = Type::boolean();
    out.bool_ = v;
    return out;
}

Value Value::address(const Address& a)
{
    Value out;
    out.type_ = Type::address();
    out.address_ = a;
    return out;
}

Value Value::bytes32(const Bytes32& b)
{
    return fixedBytes(b.view());
}

Value Value::fixedBytes(ByteView b)
{
    Value out;
    out.type_ = Type::fixedBytes(b.size()); // throws unless 1..32
    out.bytes_.assign(b.begin(), b.end());
    return out;
}

Value Value::bytes(ByteView b)
{
    Value out;
    out.type_ = Type::bytes();
    out.bytes_.assign(b.begin(), b.end());
    return out;
}

Value Value::string(std::string_view s)
{
    Value out;
    out.type_ = Type::string();
    out.bytes_.assign(s.begin(), s.end());
    return out;
}

Value Value::array(const Type& element, std::vector<Value> items)
{
    for (const auto& item : items)
        if (item.type_ != element)
            throw std::invalid_argument("abi::Value::array: item of type " + item.type_.toString() + " in a " +
                                        element.toString() + "[]");
    Value out;
    out.type_ = Type::array(element);
    out.items_ = std::move(items);
    return out;
}

Value Value::fixedArray(const Type& element, std::vector<Value> items)
{
    for (const auto& item : items)
        if (item.type_ != element)
            throw std::invalid_argument("abi::Value::fixedArray: item of type " + item.type_.toString() + " in a " +
                                        element.toString() + "[k]");
    Value out;
    out.type_ = Type::fixedArray(element, items.size()); // throws when empty
    out.items_ = std::move(items);
    return out;
}

Value Value::tuple(std::vector<Value> items)
{
    std::vector<Type> types;
    types.reserve(items.size());
    for (const auto& item : items) types.push_back(item.type_);
    Value out;
    out.type_ = Type::tuple(std::move(types)); // throws when empty
    out.items_ = std::move(items);
    return out;
}

const U256& Value::asUint() const
{
    requireKind(type_, Type::Kind::uint, "uint");
    return uint_;
}

const I256& Value::asInt() const
{
    requireKind(type_, Type::Kind::int_, "int");
    return int_value_;
}

bool Value::asBool() const
{
    requireKind(type_, Type::Kind::boolean, "bool");
    return bool_;
}

Address Value::asAddress() const
{
    requireKind(type_, Type::Kind::address, "address");
    return address_;
}

Bytes32 Value::asBytes32() const
{
    requireKind(type_, Type::Kind::fixedBytes, "bytes32");
    if (type_.size() != 32) throw std::logic_error("abi::Value: not a bytes32 but " + type_.toString());
    Bytes32 out;
    std::copy(bytes_.begin(), bytes_.end(), out.bytes.begin());
    return out;
}

const Bytes& Value::asBytes() const
{
    const auto k = type_.kind();
    if (k != Type::Kind::bytes && k != Type::Kind::fixedBytes && k != Type::Kind::string)
        throw std::logic_error("abi::Value: not bytes but " + type_.toString());
    return bytes_;
}

std::string Value::asString() const
{
    requireKind(type_, Type::Kind::string, "string");
    return std::string(bytes_.begin(), bytes_.end());
}

const std::vector<Value>& Value::items() const
{
    const auto k = type_.kind();
    if (k != Type::Kind::array && k != Type::Kind::fixedArray && k != Type::Kind::tuple)
        throw std::logic_error("abi::Value: not an array or tuple but " + type_.toString());
    return items_;
}

} // namespace pt::abi
