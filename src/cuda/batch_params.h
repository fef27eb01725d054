// Parameters of the compact-batch kernel, shared by the host, nvcc and NVRTC (the JIT
// kernel takes the same struct), so it includes nothing CUDA-specific.
#pragma once

#include "interp/batch_item.h"

namespace mk::detail {

// Threads per block of the batch kernel: each runs one item in its own shared slot.
inline constexpr unsigned BATCH_THREADS = 256;
// Items each thread runs (grid-strided): fewer counter flushes and policy reads.
inline constexpr unsigned BATCH_ITEMS_PER_THREAD = 4;
// Blocks for a chunk of `count` items.
MK_HD inline unsigned batch_blocks(unsigned count) {
  const unsigned per_block = BATCH_THREADS * BATCH_ITEMS_PER_THREAD;
  return count / per_block + (count % per_block != 0 ? 1u : 0u);
}

// One chunk of a batch: items [first_item, first_item + count).
struct BatchParams {
  interp::View view;  // control (and nothing else) on the device
  interp::BatchLayout layout;
  const unsigned* records = nullptr;  // the chunk's first record
  unsigned first_item = 0;
  unsigned count = 0;
  unsigned* results = nullptr;     // RESULT of the chunk's first item
  unsigned* fault_bits = nullptr;  // the whole batch's bitmap
};

}  // namespace mk::detail
