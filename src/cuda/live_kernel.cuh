// The live megakernel body. Lane 0 is the poller: it spins on a mapped page (one PCIe
// read in flight) for the host's doorbell, SHUTDOWN and STALL words and relays them into
// device memory; it mirrors HEARTBEAT and DONE_COUNT back to the page. The other lanes
// are workers: ring position p belongs to worker p % workers, which waits (polling the
// device copy of the doorbell, not PCIe) until the doorbell passes p, reads the slot with
// four 16-byte loads issued together (one PCIe round trip, no fence), runs the shared interp/ step on its device-memory mirror (claim,
// authorise, execute, account), then stores RESULT and STATUS back to the host ring.
// So PCIe carries one read per published item and nothing while idle.
#pragma once

#include "cuda/live_params.h"
#include "cuda/one_shot_kernel.cuh"

namespace mk::detail {

using LiveDev = interp::Atomics<cuda::thread_scope_device>;
using LiveSys = interp::Atomics<cuda::thread_scope_system>;
using LiveDoorbell = cuda::atomic_ref<unsigned long long, cuda::thread_scope_device>;

__device__ inline unsigned live_page_read(const LiveParams& p, unsigned word) {
  return __ldcv(p.page + word);
}
__device__ inline void live_page_write(const LiveParams& p, unsigned word, unsigned value) {
  *static_cast<volatile unsigned*>(p.page + word) = value;
}

// Lane 0's loop; returns once the host asked for SHUTDOWN (or an item set it).
__device__ inline void live_poll(const LiveParams& p) {
  unsigned* control = p.view.control;
  LiveDoorbell doorbell(*reinterpret_cast<unsigned long long*>(p.flags + LIVE_FLAG_DOORBELL));
  unsigned long long seen = 0;
  unsigned sent_heartbeat = ~0u, sent_done = ~0u;
  for (;;) {
    const unsigned long long bell = __ldcv(reinterpret_cast<const unsigned long long*>(p.page + LIVE_PAGE_DOORBELL));
    const unsigned shutdown = live_page_read(p, LIVE_PAGE_SHUTDOWN);
    const unsigned stall = live_page_read(p, LIVE_PAGE_STALL);
    LiveDev::store_relaxed(p.flags + LIVE_FLAG_STALL, stall);
    if (bell != seen) {
      // Acquire (only when it moved: a system fence costs a PCIe round trip): the host
      // published every slot below the doorbell before ringing it; workers acquire the
      // device copy and so see those slots too.
      cuda::atomic_thread_fence(cuda::std::memory_order_acquire, cuda::thread_scope_system);
      doorbell.store(bell, cuda::std::memory_order_release);
      seen = bell;
    }
    if (shutdown != 0) LiveDev::store_release(control + abi::CTRL_SHUTDOWN, 1);
    // SHUTDOWN from the host or from an admin tenant's SHUTDOWN item.
    if (interp::shutdown_requested<ONE_SHOT_SCOPE>(p.view)) {
      LiveDev::store_release(p.flags + LIVE_FLAG_SHUTDOWN, 1);
      break;
    }
    if (stall == 0) {
      // Written when they change: posted PCIe writes, none while the kernel idles.
      const unsigned heartbeat = LiveDev::load_relaxed(control + abi::CTRL_HEARTBEAT);
      const unsigned done = LiveDev::load_relaxed(control + abi::CTRL_DONE_COUNT);
      if (heartbeat != sent_heartbeat) live_page_write(p, LIVE_PAGE_HEARTBEAT, sent_heartbeat = heartbeat);
      if (done != sent_done) live_page_write(p, LIVE_PAGE_DONE, sent_done = done);
    }
  }
  __threadfence_system();
  live_page_write(p, LIVE_PAGE_EXITED, 1);
}

// Run the item at ring position `pos`; false when the host has not finished publishing
// it yet (the doorbell covers reservations whose slots another producer still writes).
using LiveAccounting = interp::BatchedAccounting<ONE_SHOT_SCOPE, false>;

template <class Custom>
__device__ bool live_run_position(const LiveParams& p, unsigned long long pos, Custom& custom, LiveAccounting& acct) {
  const unsigned s = static_cast<unsigned>(pos % p.view.slot_count);
  const uint4* host = reinterpret_cast<const uint4*>(p.host_ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS);
  // The doorbell was acquired past `pos`, and the host rang it after publishing every
  // slot below it: all 64 bytes can be read at once, no fence per item.
  const uint4 w0 = __ldcv(host), w1 = __ldcv(host + 1), w2 = __ldcv(host + 2), w3 = __ldcv(host + 3);
  if (w0.x != abi::STATUS_PUBLISHED) return false;  // never expected; retried, not run
#if MK_TEST_HOOKS
  if (w0.y == TEST_TRAP_OPCODE && w1.x == TEST_TRAP_ARG) __trap();
#endif
  unsigned* mirror = p.view.slot_word(s, 0);
  mirror[abi::SLOT_OPCODE] = w0.y;
  mirror[abi::SLOT_TENANT] = w0.z;
  mirror[abi::SLOT_RESULT] = 0;
  uint4* args = reinterpret_cast<uint4*>(mirror + abi::SLOT_ARGS);
  args[0] = w1;
  args[1] = w2;
  args[2] = w3;
  mirror[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  // Counters are kept in registers and published after the items' STATUS went back
  // (off the round trip's path); drain() waits for DONE_COUNT, so counters read after a
  // drain are still exact. The mirror slot is this lane's alone: relaxed STATUS is enough.
  // Built-in opcodes end DONE or FAULT in one step: no I/O queue (LOAD_MISS faults), no
  // fences (the session rejects them), no requeue (custom opcodes are not run live).
  interp::step_slot<ONE_SHOT_SCOPE>(p.view, s, custom, acct);
  const unsigned status = mirror[abi::SLOT_STATUS];
  unsigned* out = p.host_ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS;
  LiveSys::store_relaxed(out + abi::SLOT_RESULT, mirror[abi::SLOT_RESULT]);
  LiveSys::store_release(out + abi::SLOT_STATUS, status);
  return true;
}

// The whole kernel.
template <class Custom>
__device__ __forceinline__ void live_run(const LiveParams& p) {
  const unsigned lane = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lanes = gridDim.x * blockDim.x;
  if (lane < LIVE_POLLER_LANES) {
    if (lane == 0) live_poll(p);
    return;
  }
  const unsigned worker = lane - LIVE_POLLER_LANES;
  const unsigned workers = lanes - LIVE_POLLER_LANES;
  unsigned* control = p.view.control;
  LiveDoorbell doorbell(*reinterpret_cast<unsigned long long*>(p.flags + LIVE_FLAG_DOORBELL));
  Custom custom{};
  LiveAccounting acct;
  unsigned long long next = worker;
  unsigned backoff = 0;
  // The poller's flags share one line, so an idle worker's poll is one L2 read.
  while (LiveDev::load_relaxed(p.flags + LIVE_FLAG_SHUTDOWN) == 0) {
    if (LiveDev::load_relaxed(p.flags + LIVE_FLAG_STALL) != 0) {
      __nanosleep(1000);  // frozen for the watchdog test: no heartbeat, no progress
      continue;
    }
    const unsigned long long end = doorbell.load(cuda::std::memory_order_acquire);
    bool progress = false;
    while (next < end && live_run_position(p, next, custom, acct)) {
      next += workers;
      progress = true;
    }
    if (progress) acct.flush(p.view);
    // A few workers beat, so a frozen kernel shows while an idle one costs little.
    if (worker % 4096u == 0) LiveDev::fetch_add_relaxed(control + abi::CTRL_HEARTBEAT, 1);
    if (progress) {
      backoff = 0;
    } else {
      backoff = backoff == 0 ? 32u : (2 * backoff < p.max_backoff_ns ? 2 * backoff : p.max_backoff_ns);
      __nanosleep(backoff);
    }
  }
}

}  // namespace mk::detail
