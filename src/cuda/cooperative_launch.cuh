// Occupancy query and cooperative launch shared by the persistent kernels (one-shot and
// live): the grid must never exceed what is co-resident, and a cooperative launch fails
// rather than leaving lanes waiting for SMs that never free up.
#pragma once

#include <cuda_runtime.h>

namespace mk::detail {

// Largest co-resident grid of `kernel` at `threads` per block on the current device.
template <class Kernel>
cudaError_t co_resident_blocks(Kernel kernel, unsigned threads, int* blocks) {
  int device = 0, sms = 0, per_sm = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e == cudaSuccess)
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, static_cast<int>(threads), 0);
  *blocks = per_sm * sms;
  return e;
}

// cudaLaunchKernelEx with the cooperative attribute (unlike cudaLaunchCooperativeKernel,
// it can also be recorded into a CUDA graph).
template <class Params>
cudaError_t launch_cooperative(void (*kernel)(Params), const Params& params, unsigned blocks, unsigned threads,
                               cudaStream_t stream) {
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(blocks);
  config.blockDim = dim3(threads);
  config.stream = stream;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeCooperative;
  attribute[0].val.cooperative = 1;
  config.attrs = attribute;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, kernel, params);
}

}  // namespace mk::detail
