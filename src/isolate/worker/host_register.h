// Registering shared segments with CUDA (mapped, portable) in a CUDA worker, so copies
// from them are DMA and live kernels reach them over PCIe. No-ops without CUDA.
#pragma once

#include <cstddef>

#include "mk/error.h"

namespace mk::isolate::worker {

Status register_host(void* data, std::size_t bytes);
void unregister_host(void* data) noexcept;

}  // namespace mk::isolate::worker
