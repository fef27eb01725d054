// The compact-batch kernel for built-in opcodes (body: batch_kernel.cuh) and its launcher.
#include "cuda/batch_kernel.cuh"
#include "cuda/batch_kernels.cuh"

namespace mk::detail {
namespace {

__global__ void __launch_bounds__(BATCH_THREADS) batch_kernel(BatchParams p) { batch_run<interp::NoCustomOps>(p); }

}  // namespace

cudaError_t launch_batch_kernel(const BatchParams& params, cudaStream_t stream) {
  batch_kernel<<<batch_blocks(params.count), BATCH_THREADS, 0, stream>>>(params);
  return cudaGetLastError();
}

}  // namespace mk::detail
