// The live megakernel body. Lane 0 is the poller: it spins on a mapped page (one PCIe
// read in flight) for the host's doorbell, SHUTDOWN and STALL words and relays them into
// device memory; it mirrors HEARTBEAT, DONE_COUNT and the reject count back to the page.
// The other lanes are workers: ring position p belongs to worker p % workers. Slots are
// in the live wire format (interp/wire.h): four lanes of a warp read a slot's four tagged
// 16-byte chunks in one load instruction (one 64-byte PCIe read), and its worker runs it
// only when every chunk carries its lap's tag and the checksum holds; anything else is
// torn or stale and read again. The frontier (device memory) is max(host doorbell, positions taken): a
// worker runs positions below it as it finds them, and the one worker whose next
// position IS the frontier is "hot": it polls its slot over PCIe itself, so an item
// after idle costs one PCIe round trip, no doorbell relay. PCIe carries one read per
// item, plus two reads in flight while idle (the poller's page and the hot slot).
#pragma once

#include "cuda/live_batch.cuh"
#include "cuda/live_params.h"
#include "cuda/one_shot_kernel.cuh"
#include "interp/wire.h"

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
  unsigned sent_heartbeat = ~0u, sent_done = ~0u, sent_rejects = 0, sent_stall = 0;
  static_assert(LIVE_PAGE_SHUTDOWN == 0 && LIVE_PAGE_STALL == 1 && LIVE_PAGE_DOORBELL == 2,
                "the poller reads {SHUTDOWN, STALL} and the doorbell as two 8-byte words");
  cuda::atomic_ref<unsigned long long, cuda::thread_scope_system> host_bell(
      *reinterpret_cast<unsigned long long*>(p.page + LIVE_PAGE_DOORBELL));
  for (unsigned polls = 1;; ++polls) {
    // Both reads are in flight together (one PCIe round trip). Workers need no ordering
    // from the doorbell (each slot's lap tags say whether it is published); the acquire
    // load, not a fence, keeps the relay from waiting for this lane's posted page writes.
    const unsigned long long words = __ldcv(reinterpret_cast<const unsigned long long*>(p.page));
    const unsigned long long bell = host_bell.load(cuda::std::memory_order_acquire);
    const auto shutdown = static_cast<unsigned>(words);
    const auto stall = static_cast<unsigned>(words >> 32);
    LiveDev::store_relaxed(p.flags + LIVE_FLAG_STALL, stall);
    if (stall != sent_stall) {
      // Acknowledged only once the flag is visible, so the host's set_stalled returns
      // after every lane can see it.
      __threadfence_system();
      live_page_write(p, LIVE_PAGE_STALL_ACK, sent_stall = stall);
    }
    if (bell != seen) {
      // A max: hot workers move the frontier past the host's doorbell by themselves.
      doorbell.fetch_max(bell, cuda::std::memory_order_release);
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
      const unsigned rejects = LiveDev::load_relaxed(p.flags + LIVE_FLAG_REJECTS);
      if (rejects != sent_rejects) live_page_write(p, LIVE_PAGE_REJECTS, sent_rejects = rejects);
      if (polls % HEARTBEAT_POLLS == 0) {
        const unsigned heartbeat = LiveDev::load_relaxed(control + abi::CTRL_HEARTBEAT);
        if (heartbeat != sent_heartbeat) live_page_write(p, LIVE_PAGE_HEARTBEAT, sent_heartbeat = heartbeat);
      }
    }
  }
  __threadfence_system();
  live_page_write(p, LIVE_PAGE_EXITED, 1);
}

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

// Where a worker is in the ring: its next position, that position's slot and lap.
struct LiveCursor {
  unsigned long long next;
  unsigned slot;
  unsigned lap;
  __device__ void advance(unsigned workers, unsigned slot_count) {
    next += workers;
    slot += workers;  // workers <= slot_count: one wrap at most
    if (slot >= slot_count) {
      slot -= slot_count;
      ++lap;
    }
  }
};

// One 16-byte chunk of a mapped wire slot. Lanes 4k..4k+3 of a warp load the four chunks
// of one slot in the same instruction: one 64-byte PCIe read. (Four loads of one thread
// went out one after another: a raw rung took 7.2 us that way against 2.6 us ping-pong.)
__device__ inline uint4 live_load_chunk(const unsigned* chunk) {
  uint4 c;
  asm volatile("ld.volatile.global.v4.u32 {%0,%1,%2,%3}, [%4];"
               : "=r"(c.x), "=r"(c.y), "=r"(c.z), "=r"(c.w)
               : "l"(chunk)
               : "memory");
  return c;
}

__device__ inline uint4 live_shfl(uint4 v, unsigned src) {
  constexpr unsigned WARP = 0xFFFFFFFFu;
  return make_uint4(__shfl_sync(WARP, v.x, src), __shfl_sync(WARP, v.y, src), __shfl_sync(WARP, v.z, src),
                    __shfl_sync(WARP, v.w, src));
}

// Run the item of `at` from its four chunks if the read is whole and current (Ready).
template <class Custom>
__device__ interp::WireRead live_run_chunks(const LiveParams& p, const LiveCursor& at, uint4 c0, uint4 c1, uint4 c2,
                                            uint4 c3, unsigned* own, Custom& custom, LiveAccounting& acct,
                                            LiveBatchPending& chunk) {
  // The chunks are not ordered among themselves, so each one's tag is checked.
  const unsigned w[abi::SLOT_WORDS] = {c0.x, c0.y, c0.z, c0.w, c1.x, c1.y, c1.z, c1.w,
                                       c2.x, c2.y, c2.z, c2.w, c3.x, c3.y, c3.z, c3.w};
  const interp::WireRead read = interp::wire_classify(w, at.lap);
  if (read != interp::WireRead::Ready) return read;
#if MK_TEST_HOOKS
  // live_test_inject_stall returns once the flag is set; an item published after that
  // must not run, even if this lane passed its stall check before the flag flipped.
  cuda::atomic_thread_fence(cuda::std::memory_order_acquire, cuda::thread_scope_system);
  if (LiveDev::load_relaxed(p.flags + LIVE_FLAG_STALL) != 0) return interp::WireRead::Idle;
#endif
  const unsigned opcode = interp::wire_opcode(w);
#if MK_TEST_HOOKS
  if (opcode == TEST_TRAP_OPCODE && c0.y == TEST_TRAP_ARG) __trap();
#endif
  if (opcode == abi::OP_LIVE_BATCH_CHUNK) {
    // A compact chunk: the whole warp runs it after this serve round (live_batch.cuh).
    chunk.take(at.slot, at.lap, c0, c1, c2);
    return read;
  }
  // The step runs on this worker's own ABI copy of the slot in shared memory: no other
  // lane touches it, so the interpreter's claim and reloads cost shared-memory latency.
  static_assert(abi::SLOT_STATUS == 0 && abi::SLOT_OPCODE == 1 && abi::SLOT_TENANT == 2 && abi::SLOT_RESULT == 3 &&
                    abi::SLOT_ARGS == 4 && abi::wire_arg_word(0) == 1 && abi::wire_arg_word(3) == 5 &&
                    abi::wire_arg_word(6) == 9 && abi::wire_arg_word(9) == 13,
                "ABI copy layout below");
  uint4* words = reinterpret_cast<uint4*>(own);
  words[0] = make_uint4(abi::STATUS_PUBLISHED, opcode, interp::wire_tenant(w), 0);
  words[1] = make_uint4(c0.y, c0.z, c0.w, c1.y);
  words[2] = make_uint4(c1.z, c1.w, c2.y, c2.z);
  words[3] = make_uint4(c2.w, c3.y, c3.z, c3.w);
  if (opcode == abi::OP_BATCH_FENCE) {
    // The session rejects fences; one would look at other slots, which a copy lacks.
    LiveDev::fetch_add_relaxed(p.view.control + abi::CTRL_FAULT_COUNT, 1);
    own[abi::SLOT_STATUS] = abi::STATUS_FAULT;
    own[abi::SLOT_RESULT] = abi::FAULT_BAD_ARGS;
  } else {
    interp::View view = p.view;
    view.ring = own;
    view.ring_first = at.slot;
    // Counters are kept in registers and published after the completion record went
    // back (off the round trip's path); drain() waits for DONE_COUNT, so counters read
    // after a drain are still exact. Built-in opcodes end DONE or FAULT in one step: no
    // I/O queue (LOAD_MISS faults), no fences, no requeue (custom opcodes are not run live).
    interp::step_slot<ONE_SHOT_SCOPE>(view, at.slot, custom, acct);
  }
  // One 8-byte store answers: STATUS, the lap's tag and RESULT, single-copy atomic. Release
  // at system scope orders the item's effects in device memory before it.
  cuda::atomic_ref<unsigned long long, cuda::thread_scope_system>(
      p.completions[static_cast<unsigned long long>(at.slot) * abi::WIRE_COMPLETION_STRIDE])
      .store(interp::wire_completion(at.lap, own[abi::SLOT_STATUS], own[abi::SLOT_RESULT]),
             cuda::std::memory_order_release);
  return read;
}

// The words every worker polls, from one line of device memory in one load: {STALL,
// SHUTDOWN} and the frontier, each an 8-byte element (single-copy atomic, so the 64-bit
// frontier never tears).
struct LiveFlags {
  unsigned stall, shutdown;
  unsigned long long frontier;
};
static_assert(LIVE_FLAG_STALL == 0 && LIVE_FLAG_SHUTDOWN == 1 && LIVE_FLAG_DOORBELL == 2,
              "live_load_flags reads words 0..3 as two 8-byte elements");
__device__ inline LiveFlags live_load_flags(const unsigned* flags) {
  unsigned long long a, b;
  asm volatile("ld.volatile.global.v2.u64 {%0,%1}, [%2];" : "=l"(a), "=l"(b) : "l"(flags) : "memory");
  return LiveFlags{static_cast<unsigned>(a), static_cast<unsigned>(a >> 32), b};
}

__device__ inline unsigned long long live_warp_max(unsigned long long v) {
  for (unsigned o = 16; o != 0; o >>= 1) {
    const unsigned long long other = __shfl_xor_sync(0xFFFFFFFFu, v, o);
    v = other > v ? other : v;
  }
  return v;
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
  // Workers past the ring's size own nothing (they stay in the loop: warps decide together).
  const unsigned slot_count = p.view.slot_count;
  const unsigned owners = workers < slot_count ? workers : slot_count;
  LiveCursor at{worker < owners ? worker : ~0ull, worker < owners ? worker : 0u, 0u};
  unsigned backoff = 0, rejects = 0;
  LiveBatchPending taken_chunk;
  // Every decision that makes a lane sleep, or leave, is taken by the whole warp: a lane
  // that sleeps holds its warp, so a busy lane must not wait out an idle neighbour's
  // back-off. Worker warps are whole (LIVE_THREADS is a multiple of 32 and the poller
  // warp is separate).
  static_assert(LIVE_THREADS % 32 == 0 && LIVE_POLLER_LANES == 32, "worker warps must be whole");
  constexpr unsigned WARP = 0xFFFFFFFFu;
  // A warp whose positions are this close to the frontier spins instead of sleeping:
  // one of its lanes is hot now or soon (the next warp's lane 0 after this warp's lane 31).
  constexpr unsigned long long NEAR = 2 * 32;
  // The frontier as this warp last saw it. A round serves the positions below it (and the
  // hot one at it) while the next value is already on its way: the flags load is issued
  // first and consumed after the round, so its L2 round trip overlaps the round's PCIe
  // reads instead of delaying them. A stale frontier is safe: the lap tags, not the
  // frontier, say whether a slot holds this lap's item.
  unsigned long long end = 0;
  bool stalled = false;  // the last flags said STALL: read nothing until they no longer do
  for (;;) {
    const LiveFlags flags = live_load_flags(p.flags);
    bool progress = false;
    // Lanes whose position is below the frontier (published), and the hot lane whose
    // position IS the frontier: it polls its slot itself, so an item after idle needs no
    // doorbell relay. Up to eight of them are served per round: lanes 4k..4k+3 load the
    // k-th one's slot, so one load instruction reads up to eight slots, each in one
    // 64-byte PCIe read.
    const unsigned me = threadIdx.x & 31u;
    bool want = !stalled && at.next <= end;
    unsigned long long taken_to = 0;  // one past the last position this lane took at or beyond `end`
    for (unsigned mask = __ballot_sync(WARP, want); mask != 0; mask = __ballot_sync(WARP, want)) {
      // The lane this one loads for: the (me / 4)-th lane of mask.
      unsigned rest = mask;
      for (unsigned k = me / 4; k != 0 && rest != 0; --k) rest &= rest - 1;
      const unsigned target = rest != 0 ? static_cast<unsigned>(__ffs(static_cast<int>(rest))) - 1u : 32u;
      const unsigned target_slot = __shfl_sync(WARP, at.slot, target & 31u);
      uint4 chunk = make_uint4(0, 0, 0, 0);
      if (target < 32u)
        chunk = live_load_chunk(p.host_ring + static_cast<unsigned long long>(target_slot) * abi::SLOT_WORDS +
                                abi::WIRE_CHUNK_WORDS * (me & 3u));
      const unsigned rank = __popc(mask & ((1u << me) - 1u));
      const bool served = want && rank < 8;
      const unsigned src = 4 * (rank & 7u);
      const uint4 c0 = live_shfl(chunk, src), c1 = live_shfl(chunk, src + 1), c2 = live_shfl(chunk, src + 2),
                  c3 = live_shfl(chunk, src + 3);
      if (served) {
        const unsigned long long taken = at.next;
        const interp::WireRead read = live_run_chunks(p, at, c0, c1, c2, c3, own, custom, acct, taken_chunk);
        if (read == interp::WireRead::Ready) {
          // The hot lane moves the frontier on: the next position's lane (usually the
          // neighbouring one) becomes hot.
          if (taken >= end) {
            doorbell.fetch_max(taken + 1, cuda::std::memory_order_relaxed);
            taken_to = taken + 1;
          }
          at.advance(owners, slot_count);
          progress = true;
          want = at.next < end && !taken_chunk.pending;  // a taken chunk waits for the warp below
        } else {
          rejects += read == interp::WireRead::Rejected ? 1u : 0u;
          want = false;  // read again in the next pass
        }
      }
    }
    // The warp's own takes move its frontier at once, so a neighbour lane is hot in the
    // next round without waiting for the device word to come back.
    if (__any_sync(WARP, taken_to != 0)) end = live_warp_max(end > taken_to ? end : taken_to);
    // Compact chunks taken in this round, run by the whole warp (live_batch.cuh).
    progress |= live_batch_serve(p, taken_chunk, own, custom, acct);
    // Counters of this round first: the flags below may end the loop.
    if (progress) acct.flush(p.view);
    if (rejects != 0) {
      LiveDev::fetch_add_relaxed(p.flags + LIVE_FLAG_REJECTS, rejects);
      rejects = 0;
    }
    if (__any_sync(WARP, flags.shutdown != 0)) break;
    stalled = __any_sync(WARP, flags.stall != 0);
    if (stalled) {
      __nanosleep(1000);  // frozen for the watchdog test: no heartbeat, no progress
      continue;
    }
    if (flags.frontier > end) end = flags.frontier;
    // A few workers beat, so a frozen kernel shows while an idle one costs little.
    if (worker % 4096u == 0) LiveDev::fetch_add_relaxed(control + abi::CTRL_HEARTBEAT, 1);
    const bool near = at.next < end + NEAR;
    if (__any_sync(WARP, progress || near)) {
      backoff = 0;
    } else {
      backoff = backoff == 0 ? 32u : (2 * backoff < p.max_backoff_ns ? 2 * backoff : p.max_backoff_ns);
      __nanosleep(backoff);
    }
  }
}

}  // namespace mk::detail
