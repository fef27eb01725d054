// Entry points of the CUDA backend for its registry entry (src/cuda/cuda_registry.cpp).
#pragma once

#include <memory>

#include "mk/backend.h"

namespace mk::detail {
// Number of usable CUDA devices (0 without a driver or device; never throws).
int cuda_device_count() noexcept;
Result<std::shared_ptr<Backend>> make_cuda_backend();
}  // namespace mk::detail
