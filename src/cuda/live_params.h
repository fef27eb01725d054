// Parameters of the live kernel and the layout of its mapped host page, shared by the
// host (cuda_live.cpp) and nvcc (live_kernel.cuh); nothing CUDA-specific.
#pragma once

#include "interp/view.h"

namespace mk::detail {

// Mapped host words the host and the kernel talk through while it runs. Host-written
// and kernel-written words sit on separate 128-byte lines.
inline constexpr unsigned LIVE_PAGE_SHUTDOWN = 0;    // host: 1 asks the lanes to leave
inline constexpr unsigned LIVE_PAGE_STALL = 1;       // host (tests): 1 freezes the lanes
inline constexpr unsigned LIVE_PAGE_DOORBELL = 2;    // host: u64, ring positions below it were published
inline constexpr unsigned LIVE_PAGE_HEARTBEAT = 32;  // kernel: control HEARTBEAT, per poll
inline constexpr unsigned LIVE_PAGE_DONE = 33;       // kernel: control DONE_COUNT, per poll
inline constexpr unsigned LIVE_PAGE_EXITED = 34;     // kernel: the poller left its loop
inline constexpr unsigned LIVE_PAGE_REJECTS = 35;    // kernel: torn or stale slot reads so far
inline constexpr unsigned LIVE_PAGE_STALL_ACK = 36;  // kernel: the STALL value the poller relayed
inline constexpr unsigned LIVE_PAGE_WORDS = 64;
// Device words private to the kernel.
inline constexpr unsigned LIVE_FLAG_STALL = 0;
inline constexpr unsigned LIVE_FLAG_SHUTDOWN = 1;  // the poller saw SHUTDOWN: workers leave
inline constexpr unsigned LIVE_FLAG_DOORBELL = 2;  // u64: the frontier, max(host doorbell, hot takes)
inline constexpr unsigned LIVE_FLAG_REJECTS = 4;   // torn or stale slot reads (the poller mirrors it)
inline constexpr unsigned LIVE_FLAG_WORDS = 32;
// The first warp polls the page; the lanes after it run items.
inline constexpr unsigned LIVE_POLLER_LANES = 32;
// Threads per block of the live kernel (each worker keeps a 64-byte slot in shared memory).
inline constexpr unsigned LIVE_THREADS = 128;

struct LiveParams {
  // The interpreter's view: no ring (workers run items on ABI copies in shared memory)
  // and the control buffer in device memory.
  interp::View view;
  unsigned* host_ring = nullptr;              // mapped pinned ring of wire slots the host publishes into
  unsigned long long* completions = nullptr;  // mapped pinned, slot s's record at s * WIRE_COMPLETION_STRIDE
  unsigned* page = nullptr;                   // mapped LIVE_PAGE_WORDS
  unsigned* flags = nullptr;                  // device LIVE_FLAG_WORDS, zeroed
  unsigned* arena = nullptr;                  // mapped pinned compact-batch arena (records, results)
  unsigned long long arena_words = 0;
  unsigned max_backoff_ns = 2000;
};

}  // namespace mk::detail
