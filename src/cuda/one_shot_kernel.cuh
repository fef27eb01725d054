// The one-shot megakernel body, templated on the custom-opcode policy: persistent lanes
// sweep the ring in rounds separated by a grid-wide barrier; a round without progress
// ends the launch. nvcc compiles it with interp::NoCustomOps (kernels.cu); NVRTC compiles
// it with the lowered JitCustomOps (src/cuda/jit/), so the round logic exists once.
#pragma once

#include <cooperative_groups.h>

#include "cuda/one_shot_params.h"
#include "cuda/test_hooks.h"
#include "interp/step.h"

namespace mk::detail {

namespace cg = cooperative_groups;
inline constexpr auto ONE_SHOT_SCOPE = cuda::thread_scope_device;

__device__ inline unsigned long long global_timer_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// The lanes of this thread's warp that exist (a block's last warp may be partial).
// Warp-wide reductions below name exactly these lanes: every one of them reaches each
// reduction once per round, so the sync intrinsics wait for all of them. A mask from
// __activemask() is not safe here: lanes converged when it is read may have diverged by
// the reduction, which then mixes in lanes waiting at another one (seen on sm_90 as
// DONE_COUNT counted twice for some items once handler code diverged).
__device__ inline unsigned warp_members() {
  const unsigned first = threadIdx.x & ~31u;  // blocks are one-dimensional
  const unsigned n = blockDim.x - first;
  return n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1u;
}

// Batched accounting whose end-of-sweep flush is warp-aggregated: lanes holding the
// same metric index or tenant add their counts with one atomic per group, and the
// warp adds its DONE_COUNT with one release atomic.
struct WarpAccounting : interp::BatchedAccounting<ONE_SHOT_SCOPE, false> {
  __device__ static void group_add(unsigned mask, unsigned key, unsigned count, unsigned* word) {
    const unsigned group = __match_any_sync(mask, key);
    const unsigned total = __reduce_add_sync(group, count);
    if ((threadIdx.x & 31u) == static_cast<unsigned>(__ffs(group) - 1) && total != 0 && word != nullptr)
      interp::Atomics<ONE_SHOT_SCOPE>::fetch_add_relaxed(word, total);
  }

  __device__ void flush(const interp::View& v) {
    // One fence per sweep orders this lane's relaxed STATUS stores before the counters.
    cuda::atomic_thread_fence(cuda::std::memory_order_release, ONE_SHOT_SCOPE);
    cached_tenant = abi::NO_OPCODE_INDEX;
    // Every lane of the warp flushes once per sweep (sweep_range's last step).
    const unsigned mask = warp_members();
    group_add(mask, metric_index, metric_count,
              metric_index < abi::MAX_OPCODES ? v.control + abi::CTRL_OPCODE_COUNTS + metric_index : nullptr);
    group_add(mask, tenant, tenant_count,
              tenant < v.tenant_count ? v.control + abi::tenant_word(tenant, abi::TENANT_DONE) : nullptr);
    metric_count = 0;
    tenant_count = 0;
    // Counters above are published before DONE_COUNT (release) counts their items.
    const unsigned done = __reduce_add_sync(mask, pending_done);
    if ((threadIdx.x & 31u) == static_cast<unsigned>(__ffs(mask) - 1) && done != 0)
      interp::Atomics<ONE_SHOT_SCOPE>::fetch_add_release(v.control + abi::CTRL_DONE_COUNT, done);
    pending_done = 0;
  }
};

template <class Custom, bool TRACED>
__device__ interp::SweepCounts lane_sweep(const OneShotParams& p, unsigned begin, unsigned end, unsigned lane,
                                          unsigned lanes) {
  Custom custom{};
  WarpAccounting acct;
  if constexpr (!TRACED) {
    return interp::sweep_range<ONE_SHOT_SCOPE>(p.view, begin + lane, lanes, end, custom, acct);
  } else {
    interp::SweepCounts counts;
    for (unsigned long long s = begin + lane; s < end; s += lanes) {
      const unsigned long long start = global_timer_ns();
      const interp::StepResult r = interp::step_slot<ONE_SHOT_SCOPE>(p.view, static_cast<unsigned>(s), custom, acct);
      if (r == interp::StepResult::Idle) continue;
      interp::count_step(counts, r);
      unsigned long long* rec = p.trace + s * TRACE_WORDS_PER_SLOT;
      rec[0] = start;
      rec[1] = global_timer_ns();
      rec[2] = lane;
      rec[3] = *p.view.slot_word(static_cast<unsigned>(s), abi::SLOT_STATUS);
    }
    acct.flush(p.view);
    return counts;
  }
}

// Copy staged slots into the ring (STATUS last); a target slot still in flight is left
// alone and counted as rejected.
__device__ inline void publish_staged(const OneShotParams& p, const SubmissionDesc& sub, unsigned lane,
                                      unsigned lanes) {
  using A = interp::Atomics<ONE_SHOT_SCOPE>;
  for (unsigned i = lane; i < sub.staged_count; i += lanes) {
    unsigned* slot = p.view.slot_word(p.staged_targets[sub.staged_first + i], 0);
    const unsigned* src = p.staged + static_cast<unsigned long long>(sub.staged_first + i) * abi::SLOT_WORDS;
    if (!abi::slot_reusable(A::load_relaxed(slot + abi::SLOT_STATUS))) {
      A::fetch_add_relaxed(p.rejected, 1);
      continue;
    }
    for (unsigned w = 1; w < abi::SLOT_WORDS; ++w) slot[w] = src[w];
    A::store_relaxed(slot + abi::SLOT_STATUS, abi::STATUS_PUBLISHED);
  }
}

#if MK_TEST_HOOKS
// Test builds only: trap on TEST_TRAP_OPCODE to exercise device-loss recovery.
__device__ inline void trap_hook(const OneShotParams& p, unsigned begin, unsigned end, unsigned lane, unsigned lanes) {
  for (unsigned s = begin + lane; s < end; s += lanes)
    if (*p.view.slot_word(s, abi::SLOT_STATUS) == abi::STATUS_PUBLISHED &&
        *p.view.slot_word(s, abi::SLOT_OPCODE) == TEST_TRAP_OPCODE &&
        *p.view.slot_word(s, abi::SLOT_ARGS) == TEST_TRAP_ARG)
      __trap();
}
#endif

// The whole kernel: every lane of a cooperative launch runs this.
template <class Custom, bool TRACED>
__device__ __forceinline__ void one_shot_run(const OneShotParams& p) {
  cg::grid_group grid = cg::this_grid();
  const unsigned lane = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lanes = gridDim.x * blockDim.x;
  using A = interp::Atomics<ONE_SHOT_SCOPE>;
  const unsigned windows = p.submission_count == 0 ? 1u : p.submission_count;
  unsigned round = 0;
  for (unsigned k = 0; k < windows; ++k) {
    unsigned begin = 0, end = p.view.slot_count;
    if (p.submission_count != 0) {
      const SubmissionDesc sub = p.submissions[k];
      publish_staged(p, sub, lane, lanes);
      begin = sub.begin;
      end = sub.end;
      grid.sync();
    }
#if MK_TEST_HOOKS
    trap_hook(p, begin, end, lane, lanes);
#endif
    for (;; ++round) {
      // Three rotating counters of each kind: the ones reset here were last read two
      // barriers ago.
      unsigned* progress = p.round_state + ROUND_STATE_PROGRESS + round % 3;
      unsigned* rerun = p.round_state + ROUND_STATE_RERUN + round % 3;
      if (lane == 0) {
        A::store_relaxed(p.round_state + ROUND_STATE_PROGRESS + (round + 1) % 3, 0);
        A::store_relaxed(p.round_state + ROUND_STATE_RERUN + (round + 1) % 3, 0);
      }
      const interp::SweepCounts c = lane_sweep<Custom, TRACED>(p, begin, end, lane, lanes);
      // Warp-aggregate: one atomic per warp and counter; every lane of the warp gets here.
      const unsigned mask = warp_members();
      const unsigned warp_progress = __reduce_add_sync(mask, c.progress);
      const unsigned warp_rerun = __reduce_add_sync(mask, c.rerun());
      if ((threadIdx.x & 31u) == static_cast<unsigned>(__ffs(mask) - 1)) {
        if (warp_progress != 0) A::fetch_add_relaxed(progress, warp_progress);
        if (warp_rerun != 0) A::fetch_add_relaxed(rerun, warp_rerun);
      }
      grid.sync();
      // Same rule as the CPU backend: stop when nothing can be runnable next round.
      const bool stop = A::load_relaxed(progress) == 0 || A::load_relaxed(rerun) == 0 ||
                        interp::shutdown_requested<ONE_SHOT_SCOPE>(p.view);
      if (lane == 0) interp::heartbeat<ONE_SHOT_SCOPE>(p.view);
      if (stop) {
        ++round;
        break;
      }
    }
    if (interp::shutdown_requested<ONE_SHOT_SCOPE>(p.view)) break;
  }
  if (lane == 0) A::store_relaxed(p.round_state + ROUND_STATE_ROUNDS, round);
}

}  // namespace mk::detail
