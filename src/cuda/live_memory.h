// Frees that must not wait for a running live kernel. cudaFree and cudaFreeHost wait for
// the whole device, so freeing anything while a live kernel runs in the process (a
// finished session's ring, a BatchBuilder's page-locked records, a staging buffer) would
// wait for that kernel forever: seen on H200 as a bench whose BatchBuilder went out of
// scope beside a running session hanging in cudaFreeHost. Memory freed while a live
// kernel runs is kept on a list and freed once none runs.
#pragma once

#include <vector>

namespace mk::detail {

// A live kernel was launched (counted until live_memory_release(..., true)).
void live_memory_kernel_started();
// Free `device` (cudaFree) and `host` (cudaFreeHost) now if no live kernel runs, else
// once the last one left. `kernel_left`: the caller's live kernel has just left.
void live_memory_release(std::vector<void*> device, std::vector<void*> host, bool kernel_left) noexcept;
// One page-locked host allocation, or one device allocation, by the same rule.
void live_memory_free_host(void* host) noexcept;
void live_memory_free_device(void* device) noexcept;

}  // namespace mk::detail
