// The one-shot megakernel for built-in opcodes (body: one_shot_kernel.cuh) and its
// host-side occupancy query and cooperative launch.
#include "cuda/cooperative_launch.cuh"
#include "cuda/kernels.cuh"
#include "cuda/one_shot_kernel.cuh"

namespace mk::detail {
namespace {

// Built-in opcodes only; JIT pipelines compile the same body with their custom opcodes
// (src/cuda/jit/kernel_source.cpp).
// The only ring words a one-shot kernel writes, 8 bytes per slot.
__global__ void gather_heads(const unsigned* ring, unsigned slots, uint2* heads) {
  const unsigned s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= slots) return;
  const unsigned* slot = ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS;
  heads[s] = make_uint2(slot[abi::SLOT_STATUS], slot[abi::SLOT_RESULT]);
}

template <bool TRACED>
__global__ void one_shot_kernel(OneShotParams p) {
  one_shot_run<interp::NoCustomOps, TRACED>(p);
}

}  // namespace

cudaError_t one_shot_max_blocks(unsigned threads, bool traced, int* blocks) {
  return traced ? co_resident_blocks(one_shot_kernel<true>, threads, blocks)
                : co_resident_blocks(one_shot_kernel<false>, threads, blocks);
}

cudaError_t launch_gather_heads(const unsigned* ring, unsigned slots, void* heads, cudaStream_t stream) {
  gather_heads<<<(slots + 255) / 256, 256, 0, stream>>>(ring, slots, static_cast<uint2*>(heads));
  return cudaGetLastError();
}

cudaError_t launch_one_shot_kernel(const OneShotParams& params, unsigned blocks, unsigned threads,
                                   cudaStream_t stream) {
  return params.trace ? launch_cooperative(one_shot_kernel<true>, params, blocks, threads, stream)
                      : launch_cooperative(one_shot_kernel<false>, params, blocks, threads, stream);
}

}  // namespace mk::detail
