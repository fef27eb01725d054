// Parameters and bookkeeping layout of the one-shot kernel, shared by the host, nvcc and
// NVRTC (the JIT kernel takes the same struct), so it includes nothing CUDA-specific.
#pragma once

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

// One phase of a many-launch batch: staged slots [staged_first, +staged_count) are
// published into their target slots, then ring slots [begin, end) are drained. The
// host puts consecutive submissions whose slots do not overlap into one phase.
struct SubmissionDesc {
  unsigned begin = 0;
  unsigned end = 0;
  unsigned staged_first = 0;
  unsigned staged_count = 0;
};

struct OneShotParams {
  interp::View view;
  unsigned* round_state = nullptr;      // ROUND_STATE_WORDS, zeroed before launch
  unsigned long long* trace = nullptr;  // slot_count * TRACE_WORDS_PER_SLOT, or null
  // Many-launch: phases processed in order; none means one drain of the whole ring.
  const SubmissionDesc* submissions = nullptr;
  unsigned submission_count = 0;
  const unsigned* staged = nullptr;          // staged slot words
  const unsigned* staged_targets = nullptr;  // ring slot of each staged slot
  unsigned* rejected = nullptr;              // staged slots not published: target slot in flight
};

}  // namespace mk::detail
