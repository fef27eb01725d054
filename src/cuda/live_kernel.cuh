// The live megakernel body. Lane 0 is the poller: it spins on a mapped page (one PCIe
// read in flight) for the host's doorbell, SHUTDOWN and STALL words and relays them into
// device memory; it mirrors HEARTBEAT and DONE_COUNT back to the page. The other lanes
// are workers: ring position p belongs to worker p % workers, which waits (polling the
// device copy of the doorbell, not PCIe) until the doorbell passes p, reads the slot with
// four 16-byte loads issued together (one PCIe round trip, no fence), runs the shared
// interp/ step on its own copy of the slot in shared memory (claim, authorise, execute,
// account), then stores RESULT and STATUS back to the host ring. PCIe carries one read
// per published item and one read in flight while idle. (A "hot" worker that polled the
// page itself for the next position, skipping the relay, measured no faster: 10.3 vs
// 10.2 us round trip on H200, so it was removed.)
#pragma once

#include "cuda/live_params.h"
#include "cuda/one_shot_kernel.cuh"

namespace mk::detail {

using LiveDev = interp::Atomics<cuda::thread_scope_device>;
using LiveSys = interp::Atomics<cuda::thread_scope_system>;
using LiveDoorbell = cuda::atomic_ref<unsigned long long, cuda::thread_scope_device>;

__device__ inline void live_page_write(const LiveParams& p, unsigned word, unsigned value) {
  *static_cast<volatile unsigned*>(p.page + word) = value;
}

// Lane 0's loop; returns once the host asked for SHUTDOWN (or an item set it).
__device__ inline void live_poll(const LiveParams& p) {
  unsigned* control = p.view.control;
  LiveDoorbell doorbell(*reinterpret_cast<unsigned long long*>(p.flags + LIVE_FLAG_DOORBELL));
  unsigned long long seen = 0;
  unsigned sent_heartbeat = ~0u, sent_done = ~0u;
  static_assert(LIVE_PAGE_SHUTDOWN == 0 && LIVE_PAGE_STALL == 1 && LIVE_PAGE_DOORBELL == 2,
                "the poller reads {SHUTDOWN, STALL} and the doorbell as two 8-byte words");
  cuda::atomic_ref<unsigned long long, cuda::thread_scope_system> host_bell(
      *reinterpret_cast<unsigned long long*>(p.page + LIVE_PAGE_DOORBELL));
  for (unsigned polls = 1;; ++polls) {
    // Both reads are in flight together (one PCIe round trip). The doorbell is read with
    // acquire at system scope: the host published every slot below it before ringing
    // it, and workers acquire the device copy, so they see those slots too. An acquire
    // load, not a fence: a system fence would also wait for this lane's posted page
    // writes before the relay.
    const unsigned long long words = __ldcv(reinterpret_cast<const unsigned long long*>(p.page));
    const unsigned long long bell = host_bell.load(cuda::std::memory_order_acquire);
    const auto shutdown = static_cast<unsigned>(words);
    const auto stall = static_cast<unsigned>(words >> 32);
    LiveDev::store_relaxed(p.flags + LIVE_FLAG_STALL, stall);
    if (bell != seen) {
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
      // Posted PCIe writes, only when the word changed: DONE_COUNT at once (drain waits
      // for it), HEARTBEAT every HEARTBEAT_POLLS polls (the watchdog's timeout is
      // milliseconds; a write per poll kept PCIe busy for nothing).
      constexpr unsigned HEARTBEAT_POLLS = 64;
      const unsigned done = LiveDev::load_relaxed(control + abi::CTRL_DONE_COUNT);
      if (done != sent_done) live_page_write(p, LIVE_PAGE_DONE, sent_done = done);
      if (polls % HEARTBEAT_POLLS == 0) {
        const unsigned heartbeat = LiveDev::load_relaxed(control + abi::CTRL_HEARTBEAT);
        if (heartbeat != sent_heartbeat) live_page_write(p, LIVE_PAGE_HEARTBEAT, sent_heartbeat = heartbeat);
      }
    }
  }
  __threadfence_system();
  live_page_write(p, LIVE_PAGE_EXITED, 1);
}

// Run the item at ring position `pos`; false when the host has not finished publishing
// it yet (the doorbell covers reservations whose slots another producer still writes).
// A live session's tenant policies never change: the host cannot write the device
// control buffer while the kernel runs and no opcode writes policy words. So a worker
// keeps its cached policy across sweeps instead of re-reading it after every flush.
struct LiveAccounting : interp::BatchedAccounting<ONE_SHOT_SCOPE, false> {
  __device__ void flush(const interp::View& v) {
    const interp::Policy keep = cached;
    const unsigned tenant_of_keep = cached_tenant;
    interp::BatchedAccounting<ONE_SHOT_SCOPE, false>::flush(v);
    cached = keep;
    cached_tenant = tenant_of_keep;
  }
};

template <class Custom>
__device__ bool live_run_position(const LiveParams& p, unsigned long long pos, unsigned* own, Custom& custom,
                                  LiveAccounting& acct) {
  const unsigned s = static_cast<unsigned>(pos % p.view.slot_count);
  const uint4* host = reinterpret_cast<const uint4*>(p.host_ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS);
  // The doorbell was acquired past `pos`, and the host rang it after publishing every
  // slot below it: all 64 bytes can be read at once, no fence per item.
  const uint4 w0 = __ldcv(host), w1 = __ldcv(host + 1), w2 = __ldcv(host + 2), w3 = __ldcv(host + 3);
  if (w0.x != abi::STATUS_PUBLISHED) return false;  // never expected; retried, not run
#if MK_TEST_HOOKS
  if (w0.y == TEST_TRAP_OPCODE && w1.x == TEST_TRAP_ARG) __trap();
#endif
  // The step runs on this worker's own copy of the slot in shared memory: no other lane
  // touches it, so the interpreter's claim and reloads cost shared-memory latency, not
  // dependent L2 round trips. BATCH_FENCE looks at other slots; the session rejects it,
  // and should one arrive anyway it runs on the device mirror of the whole ring.
  interp::View view = p.view;
  unsigned* slot = p.view.slot_word(s, 0);
  if (w0.y != abi::OP_BATCH_FENCE) {
    view.ring = slot = own;
    view.ring_first = s;
  }
  uint4* words = reinterpret_cast<uint4*>(slot);
  words[0] = make_uint4(abi::STATUS_PUBLISHED, w0.y, w0.z, 0);  // STATUS, OPCODE, TENANT, RESULT
  words[1] = w1;
  words[2] = w2;
  words[3] = w3;
  // Counters are kept in registers and published after the items' STATUS went back
  // (off the round trip's path); drain() waits for DONE_COUNT, so counters read after a
  // drain are still exact. The copy is this lane's alone: relaxed STATUS is enough.
  // Built-in opcodes end DONE or FAULT in one step: no I/O queue (LOAD_MISS faults), no
  // fences (the session rejects them), no requeue (custom opcodes are not run live).
  interp::step_slot<ONE_SHOT_SCOPE>(view, s, custom, acct);
  const unsigned status = slot[abi::SLOT_STATUS];
  unsigned* out = p.host_ring + static_cast<unsigned long long>(s) * abi::SLOT_WORDS;
  LiveSys::store_relaxed(out + abi::SLOT_RESULT, slot[abi::SLOT_RESULT]);
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
  __shared__ uint4 own_slots[LIVE_THREADS * abi::SLOT_WORDS / 4];
  unsigned* own = reinterpret_cast<unsigned*>(own_slots + threadIdx.x * (abi::SLOT_WORDS / 4));
  const unsigned worker = lane - LIVE_POLLER_LANES;
  const unsigned workers = lanes - LIVE_POLLER_LANES;
  unsigned* control = p.view.control;
  LiveDoorbell doorbell(*reinterpret_cast<unsigned long long*>(p.flags + LIVE_FLAG_DOORBELL));
  Custom custom{};
  LiveAccounting acct;
  unsigned long long next = worker;
  unsigned backoff = 0;
  // Every decision that makes a lane sleep, or leave, is taken by the whole warp: a lane
  // that sleeps holds its warp, so a busy lane must not wait out an idle neighbour's
  // back-off. Worker warps are whole (LIVE_THREADS is a multiple of 32 and the poller
  // warp is separate).
  static_assert(LIVE_THREADS % 32 == 0 && LIVE_POLLER_LANES == 32, "worker warps must be whole");
  constexpr unsigned WARP = 0xFFFFFFFFu;
  for (;;) {
    // The poller's flags share one line, so an idle worker's poll is one L2 read.
    if (__any_sync(WARP, LiveDev::load_relaxed(p.flags + LIVE_FLAG_SHUTDOWN) != 0)) break;
    if (__any_sync(WARP, LiveDev::load_relaxed(p.flags + LIVE_FLAG_STALL) != 0)) {
      __nanosleep(1000);  // frozen for the watchdog test: no heartbeat, no progress
      continue;
    }
    const unsigned long long end = doorbell.load(cuda::std::memory_order_acquire);
    bool progress = false;
    while (next < end && live_run_position(p, next, own, custom, acct)) {
      next += workers;
      progress = true;
    }
    if (progress) acct.flush(p.view);
    // A few workers beat, so a frozen kernel shows while an idle one costs little.
    if (worker % 4096u == 0) LiveDev::fetch_add_relaxed(control + abi::CTRL_HEARTBEAT, 1);
    if (__any_sync(WARP, progress)) {
      backoff = 0;
    } else {
      backoff = backoff == 0 ? 32u : (2 * backoff < p.max_backoff_ns ? 2 * backoff : p.max_backoff_ns);
      __nanosleep(backoff);
    }
  }
}

}  // namespace mk::detail
