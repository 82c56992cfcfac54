// Wiping secrets from memory, in a way the compiler may not optimise away.
#pragma once

#include <cstddef>

namespace pt {

void secureWipe(void* p, std::size_t n) noexcept;

} // namespace pt
