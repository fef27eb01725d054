// The live megakernel for built-in opcodes (body: live_kernel.cuh), its occupancy query
// and cooperative launch (cooperative so the launch fails rather than leaving lanes
// waiting for SMs that never free up).
#include "cuda/live_kernel.cuh"
#include "cuda/live_launch.h"

namespace mk::detail {
namespace {

__global__ void live_kernel(LiveParams p) {
  live_run<interp::NoCustomOps>(p);
}

}  // namespace

cudaError_t live_max_blocks(unsigned threads, int* blocks) {
  int device = 0, sms = 0, per_sm = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e == cudaSuccess) e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, live_kernel, static_cast<int>(threads), 0);
  *blocks = per_sm * sms;
  return e;
}

cudaError_t launch_live_kernel(const LiveParams& params, unsigned blocks, unsigned threads, cudaStream_t stream) {
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(blocks);
  config.blockDim = dim3(threads);
  config.stream = stream;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeCooperative;
  attribute[0].val.cooperative = 1;
  config.attrs = attribute;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, live_kernel, params);
}

}  // namespace mk::detail
