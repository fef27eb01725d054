// The compact-batch kernel body: one item per thread, expanded into the thread's own
// slot in shared memory and run by the shared interp/ step (interp/batch_item.h); the
// warp publishes counters with one atomic per run (WarpAccounting). nvcc compiles it for
// built-in opcodes (batch_kernels.cu), NVRTC with the lowered custom opcodes.
#pragma once

#include "cuda/batch_params.h"
#include "cuda/one_shot_kernel.cuh"

namespace mk::detail {

template <class Custom>
__device__ __forceinline__ void batch_run(const BatchParams& p) {
  __shared__ uint4 own_slots[BATCH_THREADS * abi::SLOT_WORDS / 4];
  unsigned* slot = reinterpret_cast<unsigned*>(own_slots + threadIdx.x * (abi::SLOT_WORDS / 4));
  Custom custom{};
  WarpAccounting acct;
  // BATCH_ITEMS_PER_THREAD items per thread, strided by the grid so a warp's loads stay
  // coalesced; counters and the tenant's policy are kept across them and flushed once.
  const unsigned stride = gridDim.x * blockDim.x;
  for (unsigned local = blockIdx.x * blockDim.x + threadIdx.x, k = 0; k < BATCH_ITEMS_PER_THREAD;
       ++k, local += stride) {
    if (local >= p.count) break;
    const unsigned item = p.first_item + local;
    interp::expand_batch_record(p.layout, p.records + static_cast<unsigned long long>(local) * p.layout.stride, slot);
    const unsigned status = interp::run_batch_slot<ONE_SHOT_SCOPE>(p.view, item, slot, custom, acct);
    p.results[local] = slot[abi::SLOT_RESULT];
    if (status != abi::STATUS_DONE) atomicOr(p.fault_bits + item / 32u, 1u << (item % 32u));
  }
  // Every lane of the block reaches the flush once (warp-collective).
  acct.flush(p.view);
}

}  // namespace mk::detail
