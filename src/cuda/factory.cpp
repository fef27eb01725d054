// CUDA backend registry hooks: device detection and construction.
#include "cuda/factory.h"

#include <cuda_runtime.h>

namespace mk::detail {

int cuda_device_count() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear: a missing driver is an answer, not a sticky error
    return 0;
  }
  return count;
}

}  // namespace mk::detail
