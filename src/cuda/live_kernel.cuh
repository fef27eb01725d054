// The live megakernel body: persistent lanes poll their slots of a ring in mapped host
// memory until SHUTDOWN. Each slot belongs to one lane (slot % lanes), so a published
// slot is copied with four 16-byte loads into the lane's device-memory mirror slot, the
// shared interp/ step runs there (claim, authorise, execute, account), and RESULT then
// STATUS go back to the host ring. PCIe is crossed once per poll and once per item
// instead of once per word the step reads.
#pragma once

#include "cuda/live_params.h"
#include "cuda/one_shot_kernel.cuh"

namespace mk::detail {

using LiveDev = interp::Atomics<cuda::thread_scope_device>;
using LiveSys = interp::Atomics<cuda::thread_scope_system>;

__device__ inline unsigned live_page_read(const LiveParams& p, unsigned word) {
  return *static_cast<volatile unsigned*>(p.page + word);
}
__device__ inline void live_page_write(const LiveParams& p, unsigned word, unsigned value) {
  *static_cast<volatile unsigned*>(p.page + word) = value;
}

// Take slot s if the host published it (or the lane's mirror holds a requeued item) and
// run one step on the mirror. True when the step did something.
template <class Custom>
__device__ bool live_take(const LiveParams& p, unsigned s, Custom& custom, WarpAccounting& acct) {
  unsigned* mirror = p.view.slot_word(s, 0);
  const unsigned mirror_status = mirror[abi::SLOT_STATUS];
  if (mirror_status == abi::STATUS_EMPTY) {
    const uint4* host = reinterpret_cast<const uint4*>(p.host_ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS);
    const uint4 w0 = __ldcv(host);  // STATUS, OPCODE, TENANT, RESULT
    if (w0.x != abi::STATUS_PUBLISHED) return false;
    // Acquire: the host wrote every other word before STATUS (release).
    cuda::atomic_thread_fence(cuda::std::memory_order_acquire, cuda::thread_scope_system);
    const uint4 w1 = __ldcv(host + 1), w2 = __ldcv(host + 2), w3 = __ldcv(host + 3);
#if MK_TEST_HOOKS
    if (w0.y == TEST_TRAP_OPCODE && w1.x == TEST_TRAP_ARG) __trap();
#endif
    mirror[abi::SLOT_OPCODE] = w0.y;
    mirror[abi::SLOT_TENANT] = w0.z;
    mirror[abi::SLOT_RESULT] = 0;
    uint4* args = reinterpret_cast<uint4*>(mirror + abi::SLOT_ARGS);
    args[0] = w1;
    args[1] = w2;
    args[2] = w3;
    mirror[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  } else if (mirror_status != abi::STATUS_REQUEUE && mirror_status != abi::STATUS_PUBLISHED) {
    return false;
  }
  return interp::step_slot<ONE_SHOT_SCOPE>(p.view, s, custom, acct) != interp::StepResult::Idle;
}

// Hand a finished mirror slot back to the host: RESULT, then STATUS with release.
__device__ inline void live_give_back(const LiveParams& p, unsigned s) {
  unsigned* mirror = p.view.slot_word(s, 0);
  const unsigned status = mirror[abi::SLOT_STATUS];
  if (status != abi::STATUS_DONE && status != abi::STATUS_FAULT) return;
  unsigned* host = p.host_ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS;
  LiveSys::store_relaxed(host + abi::SLOT_RESULT, mirror[abi::SLOT_RESULT]);
  LiveSys::store_release(host + abi::SLOT_STATUS, status);
  mirror[abi::SLOT_STATUS] = abi::STATUS_EMPTY;
}

// The whole kernel. Every decision that changes control flow is made warp-uniform
// (__any_sync), because the accounting flush reduces over the whole warp.
template <class Custom>
__device__ __forceinline__ void live_run(const LiveParams& p) {
  const unsigned lane = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lanes = gridDim.x * blockDim.x;
  const unsigned mask = warp_members();
  unsigned* control = p.view.control;
  Custom custom{};
  WarpAccounting acct;
  unsigned backoff = 0;
  for (;;) {
    // Lane 0 relays the host's page into device memory, where every lane reads it cheaply.
    if (lane == 0) {
      if (live_page_read(p, LIVE_PAGE_SHUTDOWN) != 0) LiveDev::store_release(control + abi::CTRL_SHUTDOWN, 1);
      LiveDev::store_relaxed(p.flags + LIVE_FLAG_STALL, live_page_read(p, LIVE_PAGE_STALL));
    }
    if (__any_sync(mask, interp::shutdown_requested<ONE_SHOT_SCOPE>(p.view))) break;
    if (__any_sync(mask, LiveDev::load_relaxed(p.flags + LIVE_FLAG_STALL) != 0)) {
      __nanosleep(1000);  // frozen for the watchdog test: no heartbeat, no progress
      continue;
    }
    bool progress = false;
    for (unsigned s = lane; s < p.view.slot_count; s += lanes) progress |= live_take(p, s, custom, acct);
    acct.flush(p.view);
    // The counters of this sweep's items are published (by the warp's leaders) before any
    // lane of the warp hands an item back, so a drained host reads exact counters.
    __syncwarp(mask);
    for (unsigned s = lane; s < p.view.slot_count; s += lanes) live_give_back(p, s);
    if (threadIdx.x == 0) LiveDev::fetch_add_relaxed(control + abi::CTRL_HEARTBEAT, 1);
    if (lane == 0) {
      live_page_write(p, LIVE_PAGE_HEARTBEAT, LiveDev::load_relaxed(control + abi::CTRL_HEARTBEAT));
      live_page_write(p, LIVE_PAGE_DONE, LiveDev::load_relaxed(control + abi::CTRL_DONE_COUNT));
    }
    if (__any_sync(mask, progress)) {
      backoff = 0;
    } else {
      backoff = backoff == 0 ? 32u : (2 * backoff < p.max_backoff_ns ? 2 * backoff : p.max_backoff_ns);
      __nanosleep(backoff);
    }
  }
  if (lane == 0) {
    __threadfence_system();
    live_page_write(p, LIVE_PAGE_EXITED, 1);
  }
}

}  // namespace mk::detail
