// Host-side launchers of the live kernel (live_kernel.cu).
#pragma once

#include <cuda_runtime.h>

#include "cuda/live_params.h"

namespace mk::detail {

// Largest co-resident grid for `threads` per block.
cudaError_t live_max_blocks(unsigned threads, int* blocks);
// Cooperative launch of lanes that poll the ring until SHUTDOWN.
cudaError_t launch_live_kernel(const LiveParams& params, unsigned blocks, unsigned threads, cudaStream_t stream);

}  // namespace mk::detail
