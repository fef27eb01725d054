// The one-shot megakernel for built-in opcodes (body: one_shot_kernel.cuh) and its
// host-side occupancy query and cooperative launch.
#include "cuda/kernels.cuh"
#include "cuda/one_shot_kernel.cuh"

namespace mk::detail {
namespace {

// Built-in opcodes only; JIT pipelines compile the same body with their custom opcodes
// (src/cuda/jit/kernel_source.cpp).
template <bool TRACED>
__global__ void one_shot_kernel(OneShotParams p) {
  one_shot_run<interp::NoCustomOps, TRACED>(p);
}

}  // namespace

cudaError_t one_shot_max_blocks(unsigned threads, bool traced, int* blocks) {
  int device = 0, sms = 0, per_sm = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e == cudaSuccess)
    e = traced ? cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, one_shot_kernel<true>, static_cast<int>(threads), 0)
               : cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, one_shot_kernel<false>, static_cast<int>(threads), 0);
  *blocks = per_sm * sms;
  return e;
}

cudaError_t launch_one_shot_kernel(const OneShotParams& params, unsigned blocks, unsigned threads, cudaStream_t stream) {
  // cudaLaunchKernelEx with the cooperative attribute also records into a CUDA graph.
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(blocks);
  config.blockDim = dim3(threads);
  config.stream = stream;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeCooperative;
  attribute[0].val.cooperative = 1;
  config.attrs = attribute;
  config.numAttrs = 1;
  return params.trace ? cudaLaunchKernelEx(&config, one_shot_kernel<true>, params)
                      : cudaLaunchKernelEx(&config, one_shot_kernel<false>, params);
}

}  // namespace mk::detail
