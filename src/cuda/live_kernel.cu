// The live megakernel for built-in opcodes (body: live_kernel.cuh), its occupancy query
// and cooperative launch.
#include "cuda/cooperative_launch.cuh"
#include "cuda/live_kernel.cuh"
#include "cuda/live_launch.h"

namespace mk::detail {
namespace {

__global__ void live_kernel(LiveParams p) { live_run<interp::NoCustomOps>(p); }

}  // namespace

cudaError_t live_max_blocks(unsigned threads, int* blocks) { return co_resident_blocks(live_kernel, threads, blocks); }

cudaError_t launch_live_kernel(const LiveParams& params, unsigned blocks, unsigned threads, cudaStream_t stream) {
  return launch_cooperative(live_kernel, params, blocks, threads, stream);
}

}  // namespace mk::detail
