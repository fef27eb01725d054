// The persistent interpreter kernels and their host-side launchers.
#pragma once

#include <cuda_runtime.h>

#include "interp/view.h"

namespace mk::detail {

// Words of round bookkeeping in device memory: three rotating progress counters, three
// rotating rerun counters, and the number of rounds run.
inline constexpr unsigned ROUND_STATE_PROGRESS = 0;
inline constexpr unsigned ROUND_STATE_RERUN = 3;
inline constexpr unsigned ROUND_STATE_ROUNDS = 6;
inline constexpr unsigned ROUND_STATE_WORDS = 8;
// Trace record per slot: claim ns, finish ns, lane, status (as u64 words).
inline constexpr unsigned TRACE_WORDS_PER_SLOT = 4;

struct OneShotParams {
  interp::View view;
  unsigned* round_state = nullptr;     // ROUND_STATE_WORDS, zeroed before launch
  unsigned long long* trace = nullptr; // slot_count * TRACE_WORDS_PER_SLOT, or null
};

// Largest co-resident grid for `threads` per block (occupancy API).
cudaError_t one_shot_max_blocks(unsigned threads, bool traced, int* blocks);
// Cooperative launch: every lane runs sweeps until a round makes no progress.
cudaError_t launch_one_shot_kernel(const OneShotParams& params, unsigned blocks, unsigned threads, cudaStream_t stream);

}  // namespace mk::detail
