// The CUDA backend's registry entry (listed in src/api/backend_list.cpp) and device detection.
#include <cuda_runtime.h>

#include "core/backend_entry.h"
#include "cuda/factory.h"

namespace mk::detail {

int cuda_device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear: a missing driver is an answer, not a sticky error
    return 0;
  }
  return count;
}

namespace {

bool cuda_usable() noexcept { return cuda_device_count() > 0; }

Result<std::shared_ptr<Backend>> create_cuda(const BackendOptions&) {
  if (cuda_device_count() == 0)
    return fail(ErrorKind::Unsupported, "no CUDA device is visible to this process",
                "run on a machine with an NVIDIA GPU and driver, or use the CPU backend (make_backend(\"cpu\"))");
  return make_cuda_backend();
}

}  // namespace

// Rank 1, above the CPU: "auto" runs on a GPU whenever one is visible. A visible device whose
// backend then fails to start is an error from make_backend("auto"), never a silent CPU run.
extern const BackendEntry CUDA_BACKEND_ENTRY{
    .name = "cuda",
    .description = "persistent interpreter kernel on NVIDIA GPUs",
    .auto_rank = 1,
    .available = cuda_usable,
    .create = create_cuda,
};

}  // namespace mk::detail
