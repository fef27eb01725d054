// Host-side launcher of the built-in compact-batch kernel.
#pragma once

#include <cuda_runtime.h>

#include "cuda/batch_params.h"

namespace mk::detail {

// One thread per item of the chunk, BATCH_THREADS per block (a plain launch: items do
// not wait on each other, so no co-residency is needed).
cudaError_t launch_batch_kernel(const BatchParams& params, cudaStream_t stream);

}  // namespace mk::detail
