// The defensive decoder: every read is bounded by the input, and the total decoded size by
// the input size, whatever the offsets say.
#include "wallet/abi/abi.hpp"

#include <algorithm>

namespace pt::abi {

// Decodes one abi.encode(...) buffer. A friend of Value to fill it without re-checking.
class Decoder {
public:
    explicit Decoder(ByteView data) : data_(data), budget_(data.size()) {}

    Result<std::vector<Value>> sequence(const std::vector<Type>& types, std::size_t start)
    {
        return sequenceOf(types.size(), [&](std::size_t i) -> const Type& { return types[i]; }, start);
    }

    // A value whose content starts at absolute position `pos`.
    Result<Value> value(const Type& t, std::size_t pos)
    {
        Value out;
        out.type_ = t;
        switch (t.kind()) {
        case Type::Kind::uint: {
            auto w = word(pos);
            if (!w) return w.error();
            if (t.bits() < 256 && (*w >> t.bits()) != 0)
                return fail(AbiError::out_of_range, pos, "value does not fit " + t.toString());
            out.uint_ = *w;
            return out;
        }
        case Type::Kind::int_: {
            auto w = word(pos);
            if (!w) return w.error();
            const bool negative = bit(*w, 255);
            // In range iff bits (bits-1)..255 all equal the sign: sign extension is canonical.
            const U256 high = *w >> (t.bits() - 1);
            const U256 allOnes = t.bits() == 1 ? U256(0) : (~U256(0) >> (t.bits() - 1));
            if (negative ? high != allOnes : high != 0)
                return fail(AbiError::out_of_range, pos, "value does not fit " + t.toString());
            out.int_value_ = negative ? -static_cast<I256>(~*w + 1) : static_cast<I256>(*w);
            return out;
        }
        case Type::Kind::boolean: {
            auto w = word(pos);
            if (!w) return w.error();
            if (*w > 1) return fail(AbiError::non_canonical, pos, "bool other than 0 or 1");
            out.bool_ = *w == 1;
            return out;
        }
        case Type::Kind::address: {
            if (auto s = take(pos, 32); !s) return s.error();
            if (!allZero(pos, 12)) return fail(AbiError::non_canonical, pos, "address with dirty padding");
            std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos + 12), 20, out.address_.bytes.begin());
            return out;
        }
        case Type::Kind::fixedBytes: {
            if (auto s = take(pos, 32); !s) return s.error();
            if (!allZero(pos + t.size(), 32 - t.size()))
                return fail(AbiError::non_canonical, pos, t.toString() + " with dirty padding");
            out.bytes_.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos),
                              data_.begin() + static_cast<std::ptrdiff_t>(pos + t.size()));
            return out;
        }
        case Type::Kind::bytes:
        case Type::Kind::string: {
            auto len = length(pos);
            if (!len) return len.error();
            const std::size_t begin = pos + 32;
            if (*len > data_.size() - begin)
                return fail(AbiError::bad_length, pos, t.toString() + " longer than the data");
            if (auto s = spend(*len); !s) return s.error();
            out.bytes_.assign(data_.begin() + static_cast<std::ptrdiff_t>(begin),
                              data_.begin() + static_cast<std::ptrdiff_t>(begin + *len));
            return out;
        }
        case Type::Kind::array: {
            auto len = length(pos);
            if (!len) return len.error();
            const Type& element = t.element();
            // Each element takes at least its head size in the data: this bounds the count
            // (and so the allocation) by the input before anything is read.
            if (*len > (data_.size() - (pos + 32)) / element.headSize())
                return fail(AbiError::bad_length, pos, t.toString() + " with more elements than the data holds");
            auto items = sequenceOf(*len, [&](std::size_t) -> const Type& { return element; }, pos + 32);
            if (!items) return items.error();
            out.items_ = std::move(*items);
            return out;
        }
        case Type::Kind::fixedArray: {
            const Type& element = t.element();
            auto items = sequenceOf(t.size(), [&](std::size_t) -> const Type& { return element; }, pos);
            if (!items) return items.error();
            out.items_ = std::move(*items);
            return out;
        }
        case Type::Kind::tuple: {
            auto items = sequence(t.components(), pos);
            if (!items) return items.error();
            out.items_ = std::move(*items);
            return out;
        }
        }
        return fail(AbiError::bad_type, pos, "unknown type");
    }

private:
    template <class TypeAt>
    Result<std::vector<Value>> sequenceOf(std::size_t count, TypeAt typeAt, std::size_t start)
    {
        // The heads must fit before any element is decoded (saturating: huge static fixed
        // arrays fail here instead of overflowing).
        std::size_t headTotal = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t h = typeAt(i).headSize();
            if (h > data_.size() || headTotal > data_.size() - h)
                return fail(AbiError::truncated, start, "data shorter than the heads of a sequence");
            headTotal += h;
        }
        if (start > data_.size() || headTotal > data_.size() - start)
            return fail(AbiError::truncated, start, "data shorter than the heads of a sequence");

        std::vector<Value> items;
        items.reserve(count);
        std::size_t head = start;
        for (std::size_t i = 0; i < count; ++i) {
            const Type& t = typeAt(i);
            std::size_t contentPos = head;
            if (t.isDynamic()) {
                auto off = word(head);
                if (!off) return off.error();
                if (*off > U256(data_.size() - start))
                    return fail(AbiError::bad_offset, head, "offset beyond the data");
                contentPos = start + static_cast<std::size_t>(*off);
            }
            auto v = value(t, contentPos);
            if (!v) return v.error();
            items.push_back(std::move(*v));
            head += t.headSize();
        }
        return items;
    }

    // Reading a word spends 32 bytes of the budget: canonical data never spends more than
    // its size, so offsets that point many times at the same data run out instead of
    // multiplying the output.
    Status take(std::size_t pos, std::size_t n)
    {
        if (pos > data_.size() || n > data_.size() - pos) return fail(AbiError::truncated, pos, "data ends early");
        return spend(n);
    }
    Status spend(std::size_t n)
    {
        if (n > budget_)
            return makeError(AbiError::too_large, "ABI offsets decode to more than the input holds (aliased data)");
        budget_ -= n;
        return {};
    }

    Result<U256> word(std::size_t pos)
    {
        if (auto s = take(pos, 32); !s) return s.error();
        Bytes32 w;
        std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos), 32, w.bytes.begin());
        return fromWord(w);
    }

    // A length word, which must leave room in the data (checked again by the caller).
    Result<std::size_t> length(std::size_t pos)
    {
        auto w = word(pos);
        if (!w) return w.error();
        if (*w > U256(data_.size() - (pos + 32))) return fail(AbiError::bad_length, pos, "length beyond the data");
        return static_cast<std::size_t>(*w);
    }

    bool allZero(std::size_t pos, std::size_t n) const
    {
        return std::all_of(data_.begin() + static_cast<std::ptrdiff_t>(pos),
                           data_.begin() + static_cast<std::ptrdiff_t>(pos + n), [](std::uint8_t b) { return b == 0; });
    }

    static bool bit(const U256& v, unsigned i) { return boost::multiprecision::bit_test(v, i); }

    static Error fail(AbiError e, std::size_t pos, const std::string& what)
    {
        return makeError(e, "ABI data at byte " + std::to_string(pos) + ": " + what);
    }

    ByteView data_;
    std::size_t budget_;
};

namespace {

Status checkInput(const std::vector<Type>& types, ByteView data)
{
    if (data.size() > max_decode_input) return makeError(AbiError::too_large, "ABI data over the size limit");
    for (const auto& t : types)
        if (t.depth() > max_nesting_depth) return makeError(AbiError::too_deep, "ABI type nesting too deep");
    return {};
}

} // namespace

Result<std::vector<Value>> decode(const std::vector<Type>& types, ByteView data)
{
    if (auto s = checkInput(types, data); !s) return s.error();
    Decoder d(data);
    return d.sequence(types, 0);
}

Result<Value> decodeOne(const Type& type, ByteView data)
{
    auto values = decode({type}, data);
    if (!values) return values.error();
    return std::move(values->front());
}

} // namespace pt::abi
