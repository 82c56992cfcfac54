// Keccak-256 as Ethereum uses it: Keccak-f[1600], rate 136 bytes, original padding 0x01
// (not SHA3-256's 0x06). A small port in the manner of tiny-keccak.
#pragma once

#include "wallet/common/bytes.hpp"

#include <array>
#include <cstdint>

namespace pt {

// Incremental hasher: update() any number of times, then finalize() once.
class Keccak256 {
public:
    Keccak256& update(ByteView data) noexcept;
    Keccak256& update(std::string_view data) noexcept;
    [[nodiscard]] Hash32 finalize() noexcept;

private:
    static constexpr std::size_t rate = 136;
    std::array<std::uint64_t, 25> state_{};
    std::size_t offset_ = 0; // bytes absorbed into the current block
};

[[nodiscard]] Hash32 keccak256(ByteView data) noexcept;
[[nodiscard]] Hash32 keccak256(std::string_view data) noexcept;

} // namespace pt
