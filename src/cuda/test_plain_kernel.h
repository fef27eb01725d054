// Test support (MK_TEST_HOOKS builds): a plain CUDA kernel launched beside a live session.
#pragma once

#include <chrono>
#include <cstdint>

#include "mk/error.h"

namespace mk::detail {

// Launch `blocks` x 256 threads of a kernel that adds 1 per thread to a device counter, on
// a stream of its own, and return the counter once the kernel finished: `blocks` x 256.
// Backend error when it did not finish within `timeout` (its memory is then leaked: a
// kernel still queued must not see it freed). Never synchronises the whole device.
// @warning the wait is bounded by `timeout`, not by the kernel: a kernel that cannot get
// an SM (a live session holding them all) shows as that error, not a hang.
// Everything test_plain_kernel_count needs, made before a live session starts: the kernel
// loaded (with lazy module loading, the CUDA 12.2+ default, a first launch loads its
// module, which can wait for a running kernel), its stream and its memory.
Status test_plain_kernel_prepare();

Result<std::uint64_t> test_plain_kernel_count(std::uint32_t blocks, std::chrono::milliseconds timeout);

}  // namespace mk::detail
