// The list of frees deferred while a live kernel runs (live_memory.h).
#include "cuda/live_memory.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <mutex>

#include "cuda/cuda_check.h"

namespace mk::detail {
namespace {

struct Deferred {
  std::mutex mutex;
  std::uint32_t running = 0;
  std::vector<void*> device, host;
};

Deferred& deferred() {
  static Deferred d;
  return d;
}

}  // namespace

void live_memory_kernel_started() {
  Deferred& d = deferred();
  std::lock_guard<std::mutex> lock(d.mutex);
  ++d.running;
}

void live_memory_release(std::vector<void*> device, std::vector<void*> host, bool kernel_left) noexcept {
  Deferred& d = deferred();
  std::lock_guard<std::mutex> lock(d.mutex);
  if (kernel_left && d.running != 0) --d.running;
  for (void* p : device)
    if (p != nullptr) d.device.push_back(p);
  for (void* p : host)
    if (p != nullptr) d.host.push_back(p);
  if (d.running != 0) return;
  for (void* p : d.device) MK_CUDA_CHECK_NOEXCEPT(cudaFree(p));
  for (void* p : d.host) MK_CUDA_CHECK_NOEXCEPT(cudaFreeHost(p));
  d.device.clear();
  d.host.clear();
}

void live_memory_free_host(void* host) noexcept {
  if (host != nullptr) live_memory_release({}, {host}, false);
}

void live_memory_free_device(void* device) noexcept {
  if (device != nullptr) live_memory_release({device}, {}, false);
}

}  // namespace mk::detail
