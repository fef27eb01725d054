// The persistent interpreter kernels and their host-side launchers.
#pragma once

#include <cuda_runtime.h>

#include "cuda/one_shot_params.h"  // OneShotParams, ROUND_STATE_*, TRACE_WORDS_PER_SLOT

namespace mk::detail {

// Largest co-resident grid for `threads` per block (occupancy API).
cudaError_t one_shot_max_blocks(unsigned threads, bool traced, int* blocks);
// Cooperative launch: every lane runs sweeps until a round makes no progress.
cudaError_t launch_one_shot_kernel(const OneShotParams& params, unsigned blocks, unsigned threads, cudaStream_t stream);

// heads[2s], heads[2s + 1] = STATUS, RESULT of ring slot s (ring_transfer.h).
cudaError_t launch_gather_heads(const unsigned* ring, unsigned slots, void* heads, cudaStream_t stream);

}  // namespace mk::detail
