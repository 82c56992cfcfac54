#include "wallet/abi/type.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>

namespace pt::abi {
namespace {

// Longest fixed array parse() accepts (T[k]): far above anything a contract declares, and
// small enough that a head size computed from it cannot overflow in a few nestings.
constexpr std::size_t max_fixed_array_length = std::size_t{1} << 20;

std::size_t saturatingAdd(std::size_t a, std::size_t b) noexcept
{
    return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max() : a + b;
}
std::size_t saturatingMul(std::size_t a, std::size_t b) noexcept
{
    if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) return std::numeric_limits<std::size_t>::max();
    return a * b;
}

bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }
bool isIdentStart(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool isIdentChar(char c) noexcept { return isIdentStart(c) || isDigit(c); }

// Recursive-descent parser over type text; depth is bounded by max_nesting_depth so the
// recursion is too.
class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<Type> parseType(std::size_t depth)
    {
        if (depth > max_nesting_depth) return fail(AbiError::too_deep, "type nesting deeper than the limit");
        skipSpaces();
        Result<Type> base = Type{};
        if (peek() == '(' || text_.substr(pos_, 6) == "tuple(") {
            if (peek() == 't') pos_ += 5;
            auto comps = parseComponents(depth);
            if (!comps) return comps.error();
            if (comps->empty()) return fail(AbiError::bad_type, "empty tuple");
            base = Type::tuple(std::move(*comps));
        } else {
            base = parseElementary();
        }
        if (!base) return base;
        Type t = std::move(*base);
        // Array suffixes: each wraps the type once more.
        while (peek() == '[') {
            ++pos_;
            if (peek() == ']') {
                ++pos_;
                t = Type::array(std::move(t));
            } else {
                auto n = parseNumber();
                if (!n) return n.error();
                if (peek() != ']') return fail(AbiError::bad_type, "expected ']'");
                ++pos_;
                if (*n == 0) return fail(AbiError::bad_type, "zero-length fixed array");
                if (*n > max_fixed_array_length) return fail(AbiError::bad_type, "fixed array too long");
                t = Type::fixedArray(std::move(t), *n);
            }
            if (t.depth() > max_nesting_depth) return fail(AbiError::too_deep, "type nesting deeper than the limit");
        }
        return t;
    }

    // "(" [type [name] {"," type [name]}] ")"; the cursor is on "(".
    Result<std::vector<Type>> parseComponents(std::size_t depth)
    {
        if (peek() != '(') return fail(AbiError::bad_type, "expected '('");
        ++pos_;
        std::vector<Type> comps;
        skipSpaces();
        if (peek() == ')') {
            ++pos_;
            return comps;
        }
        for (;;) {
            auto c = parseType(depth + 1);
            if (!c) return c.error();
            comps.push_back(std::move(*c));
            skipSpaces();
            if (isIdentStart(peek())) { // an optional component name
                while (isIdentChar(peek())) ++pos_;
                skipSpaces();
            }
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ')') {
                ++pos_;
                return comps;
            }
            return fail(AbiError::bad_type, "expected ',' or ')'");
        }
    }

    void skipSpaces()
    {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
    }
    bool atEnd() const noexcept { return pos_ >= text_.size(); }
    char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    std::size_t pos() const noexcept { return pos_; }

    Error fail(AbiError e, const std::string& what) const
    {
        return makeError(e, "type text at " + std::to_string(pos_) + ": " + what);
    }

private:
    Result<std::size_t> parseNumber()
    {
        const std::size_t start = pos_;
        while (isDigit(peek())) ++pos_;
        if (pos_ == start) return fail(AbiError::bad_type, "expected a number");
        if (pos_ - start > 1 && text_[start] == '0') return fail(AbiError::bad_type, "leading zero in a number");
        std::size_t n = 0;
        const auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, n);
        if (ec != std::errc{} || ptr != text_.data() + pos_) return fail(AbiError::bad_type, "number too large");
        return n;
    }

    Result<Type> parseElementary()
    {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= 'a' && text_[pos_] <= 'z') ++pos_;
        const std::string_view word = text_.substr(start, pos_ - start);
        if (word.empty()) return fail(AbiError::bad_type, "expected a type");
        const bool hasSize = isDigit(peek());
        if (word == "bool" && !hasSize) return Type::boolean();
        if (word == "address" && !hasSize) return Type::address();
        if (word == "string" && !hasSize) return Type::string();
        if (word == "bytes") {
            if (!hasSize) return Type::bytes();
            auto n = parseNumber();
            if (!n) return n.error();
            if (*n < 1 || *n > 32) return fail(AbiError::bad_type, "bytesN needs 1 <= N <= 32");
            return Type::fixedBytes(*n);
        }
        if (word == "uint" || word == "int") {
            std::size_t bits = 256;
            if (hasSize) {
                auto n = parseNumber();
                if (!n) return n.error();
                bits = *n;
            }
            if (bits < 8 || bits > 256 || bits % 8 != 0)
                return fail(AbiError::bad_type, "uintN/intN needs N in 8, 16, ..., 256");
            return word == "uint" ? Type::uint(static_cast<unsigned>(bits)) : Type::int_(static_cast<unsigned>(bits));
        }
        return fail(AbiError::bad_type, "unknown type '" + std::string(word.substr(0, 32)) + "'");
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

void requireBits(unsigned bits)
{
    if (bits < 8 || bits > 256 || bits % 8 != 0) throw std::invalid_argument("abi: integer bits must be 8..256, step 8");
}

} // namespace

Type Type::uint(unsigned bits)
{
    requireBits(bits);
    Type t;
    t.kind_ = Kind::uint;
    t.bits_ = bits;
    return t;
}

Type Type::int_(unsigned bits)
{
    requireBits(bits);
    Type t;
    t.kind_ = Kind::int_;
    t.bits_ = bits;
    return t;
}

Type Type::boolean()
{
    Type t;
    t.kind_ = Kind::boolean;
    t.bits_ = 0;
    return t;
}

Type Type::address()
{
    Type t;
    t.kind_ = Kind::address;
    t.bits_ = 0;
    return t;
}

Type Type::fixedBytes(std::size_t size)
{
    if (size < 1 || size > 32) throw std::invalid_argument("abi: bytesN needs 1 <= N <= 32");
    Type t;
    t.kind_ = Kind::fixedBytes;
    t.bits_ = 0;
    t.size_ = size;
    return t;
}

Type Type::bytes()
{
    Type t;
    t.kind_ = Kind::bytes;
    t.bits_ = 0;
    return t;
}

Type Type::string()
{
    Type t;
    t.kind_ = Kind::string;
    t.bits_ = 0;
    return t;
}

Type Type::array(Type element)
{
    Type t;
    t.kind_ = Kind::array;
    t.bits_ = 0;
    t.components_ = std::make_shared<const std::vector<Type>>(1, std::move(element));
    return t;
}

Type Type::fixedArray(Type element, std::size_t length)
{
    if (length == 0) throw std::invalid_argument("abi: zero-length fixed array");
    Type t;
    t.kind_ = Kind::fixedArray;
    t.bits_ = 0;
    t.size_ = length;
    t.components_ = std::make_shared<const std::vector<Type>>(1, std::move(element));
    return t;
}

Type Type::tuple(std::vector<Type> components)
{
    if (components.empty()) throw std::invalid_argument("abi: empty tuple");
    Type t;
    t.kind_ = Kind::tuple;
    t.bits_ = 0;
    t.components_ = std::make_shared<const std::vector<Type>>(std::move(components));
    return t;
}

Result<Type> Type::parse(std::string_view text)
{
    if (text.size() > max_type_text) return makeError(AbiError::bad_type, "type text too long");
    Parser p(text);
    auto t = p.parseType(0);
    if (!t) return t;
    p.skipSpaces();
    if (!p.atEnd()) return p.fail(AbiError::bad_type, "unexpected text after the type");
    return t;
}

Result<std::vector<Type>> Type::parseList(std::string_view text)
{
    if (text.size() > max_type_text) return makeError(AbiError::bad_type, "type text too long");
    Parser p(text);
    p.skipSpaces();
    if (p.atEnd()) return std::vector<Type>{};
    auto list = p.parseComponents(0);
    if (!list) return list;
    p.skipSpaces();
    if (!p.atEnd()) return p.fail(AbiError::bad_type, "unexpected text after the parameter list");
    return list;
}

const std::vector<Type>& Type::components() const noexcept
{
    static const std::vector<Type> none;
    return components_ ? *components_ : none;
}

bool Type::operator==(const Type& o) const noexcept
{
    if (kind_ != o.kind_ || bits_ != o.bits_ || size_ != o.size_) return false;
    if (components_ == o.components_) return true; // shared, or both elementary
    return components() == o.components();
}

bool Type::isDynamic() const noexcept
{
    switch (kind_) {
    case Kind::bytes:
    case Kind::string:
    case Kind::array: return true;
    case Kind::fixedArray: return components()[0].isDynamic();
    case Kind::tuple:
        return std::any_of(components().begin(), components().end(), [](const Type& c) { return c.isDynamic(); });
    default: return false;
    }
}

std::size_t Type::headSize() const noexcept
{
    if (isDynamic()) return 32;
    switch (kind_) {
    case Kind::fixedArray: return saturatingMul(size_, components()[0].headSize());
    case Kind::tuple: {
        std::size_t sum = 0;
        for (const auto& c : components()) sum = saturatingAdd(sum, c.headSize());
        return sum;
    }
    default: return 32;
    }
}

std::size_t Type::depth() const noexcept
{
    std::size_t d = 0;
    for (const auto& c : components()) d = std::max(d, c.depth() + 1);
    return d;
}

std::string Type::toString() const
{
    switch (kind_) {
    case Kind::uint: return "uint" + std::to_string(bits_);
    case Kind::int_: return "int" + std::to_string(bits_);
    case Kind::boolean: return "bool";
    case Kind::address: return "address";
    case Kind::fixedBytes: return "bytes" + std::to_string(size_);
    case Kind::bytes: return "bytes";
    case Kind::string: return "string";
    case Kind::array: return components()[0].toString() + "[]";
    case Kind::fixedArray: return components()[0].toString() + "[" + std::to_string(size_) + "]";
    case Kind::tuple: {
        std::string s = "(";
        for (std::size_t i = 0; i < components().size(); ++i) {
            if (i) s += ',';
            s += components()[i].toString();
        }
        return s + ")";
    }
    }
    return {};
}

} // namespace pt::abi
