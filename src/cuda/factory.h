// Entry points of the CUDA backend that the host-only registry calls.
#pragma once

#include <memory>

#include "mk/backend.h"

namespace mk::detail {
// Number of usable CUDA devices (0 without a driver or device; never throws).
int cuda_device_count() noexcept;
Result<std::shared_ptr<Backend>> make_cuda_backend();
}  // namespace mk::detail
