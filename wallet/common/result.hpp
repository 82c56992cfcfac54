// Result<T>: a value or a typed error, for everything that can fail on input from a peer,
// a chain, a file or a user. (C++20 on g++ 12 has no std::expected.)
#pragma once

#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace pt {

// A typed error: `code` says what kind (an enum of some error category), `message` says
// what happened in words a user can act on. Never carries secrets.
struct Error {
    std::error_code code;
    std::string message;

    [[nodiscard]] std::string describe() const
    {
        return message.empty() ? code.message() : message;
    }
};

template <class E>
[[nodiscard]] Error makeError(E e, std::string message = {})
{
    return Error{make_error_code(e), std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}      // NOLINT

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {} // NOLINT

    [[nodiscard]] bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }
    const Error& error() const { return error_; }

private:
    Error error_{};
    bool failed_ = false;
};

using Status = Result<void>;

} // namespace pt
