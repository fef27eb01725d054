// The one-shot megakernel: persistent lanes sweep the ring in rounds separated by a
// grid-wide barrier; a round without progress ends the launch.
#include <cooperative_groups.h>

#include "cuda/kernels.cuh"
#include "interp/step.h"

namespace mk::detail {
namespace {

namespace cg = cooperative_groups;
constexpr auto SCOPE = cuda::thread_scope_device;

__device__ unsigned long long global_timer_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Batched accounting whose end-of-sweep flush is warp-aggregated: lanes holding the
// same metric index or tenant add their counts with one atomic per group, and the
// warp adds its DONE_COUNT with one release atomic.
struct WarpAccounting : interp::BatchedAccounting<SCOPE, false> {
  __device__ static void group_add(unsigned mask, unsigned key, unsigned count, unsigned* word) {
    const unsigned group = __match_any_sync(mask, key);
    const unsigned total = __reduce_add_sync(group, count);
    if ((threadIdx.x & 31u) == static_cast<unsigned>(__ffs(group) - 1) && total != 0 && word != nullptr)
      interp::Atomics<SCOPE>::fetch_add_relaxed(word, total);
  }

  __device__ void flush(const interp::View& v) {
    // One fence per sweep orders this lane's relaxed STATUS stores before the counters.
    cuda::atomic_thread_fence(cuda::std::memory_order_release, SCOPE);
    cached_tenant = abi::NO_OPCODE_INDEX;
    // Lanes of a warp need not have reconverged here: aggregate over the active ones.
    const unsigned mask = __activemask();
    group_add(mask, metric_index, metric_count,
              metric_index < abi::MAX_OPCODES ? v.control + abi::CTRL_OPCODE_COUNTS + metric_index : nullptr);
    group_add(mask, tenant, tenant_count,
              tenant < v.tenant_count ? v.control + abi::tenant_word(tenant, abi::TENANT_DONE) : nullptr);
    metric_count = 0;
    tenant_count = 0;
    // Counters above are published before DONE_COUNT (release) counts their items.
    const unsigned done = __reduce_add_sync(mask, pending_done);
    if ((threadIdx.x & 31u) == static_cast<unsigned>(__ffs(mask) - 1) && done != 0)
      interp::Atomics<SCOPE>::fetch_add_release(v.control + abi::CTRL_DONE_COUNT, done);
    pending_done = 0;
  }
};

template <bool TRACED>
__device__ interp::SweepCounts lane_sweep(const OneShotParams& p, unsigned lane, unsigned lanes) {
  interp::NoCustomOps custom;
  WarpAccounting acct;
  if constexpr (!TRACED) {
    return interp::sweep<SCOPE>(p.view, lane, lanes, custom, acct);
  } else {
    interp::SweepCounts counts;
    for (unsigned long long s = lane; s < p.view.slot_count; s += lanes) {
      const unsigned long long start = global_timer_ns();
      const interp::StepResult r = interp::step_slot<SCOPE>(p.view, static_cast<unsigned>(s), custom, acct);
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

template <bool TRACED>
__global__ void one_shot_kernel(OneShotParams p) {
  cg::grid_group grid = cg::this_grid();
  const unsigned lane = blockIdx.x * blockDim.x + threadIdx.x;
  const unsigned lanes = gridDim.x * blockDim.x;
  using A = interp::Atomics<SCOPE>;
  for (unsigned round = 0;; ++round) {
    // Three rotating counters of each kind: the ones reset here were last read two
    // barriers ago.
    unsigned* progress = p.round_state + ROUND_STATE_PROGRESS + round % 3;
    unsigned* rerun = p.round_state + ROUND_STATE_RERUN + round % 3;
    if (lane == 0) {
      A::store_relaxed(p.round_state + ROUND_STATE_PROGRESS + (round + 1) % 3, 0);
      A::store_relaxed(p.round_state + ROUND_STATE_RERUN + (round + 1) % 3, 0);
    }
    const interp::SweepCounts c = lane_sweep<TRACED>(p, lane, lanes);
    // Warp-aggregate: one atomic per warp and counter.
    const unsigned mask = __activemask();
    const unsigned warp_progress = __reduce_add_sync(mask, c.progress);
    const unsigned warp_rerun = __reduce_add_sync(mask, c.rerun());
    // Lanes need not have reconverged: the lowest active lane adds for the active set.
    if ((threadIdx.x & 31u) == static_cast<unsigned>(__ffs(mask) - 1)) {
      if (warp_progress != 0) A::fetch_add_relaxed(progress, warp_progress);
      if (warp_rerun != 0) A::fetch_add_relaxed(rerun, warp_rerun);
    }
    grid.sync();
    // Same rule as the CPU backend: stop when nothing can be runnable next round.
    const bool stop = A::load_relaxed(progress) == 0 || A::load_relaxed(rerun) == 0 ||
                      interp::shutdown_requested<SCOPE>(p.view);
    if (lane == 0) {
      interp::heartbeat<SCOPE>(p.view);
      if (stop) A::store_relaxed(p.round_state + ROUND_STATE_ROUNDS, round + 1);
    }
    if (stop) return;
  }
}

}  // namespace

cudaError_t one_shot_max_blocks(unsigned threads, bool traced, int* blocks) {
  int device = 0, sms = 0, per_sm = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e == cudaSuccess)
    e = traced ? cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, one_shot_kernel<true>, static_cast<int>(threads), 0)
               : cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, one_shot_kernel<false>, static_cast<int>(threads), 0);
  *blocks = per_sm * sms;
  return e;
}

cudaError_t launch_one_shot_kernel(const OneShotParams& params, unsigned blocks, unsigned threads, cudaStream_t stream) {
  OneShotParams copy = params;
  void* args[] = {&copy};
  const void* fn = params.trace ? reinterpret_cast<const void*>(one_shot_kernel<true>)
                                : reinterpret_cast<const void*>(one_shot_kernel<false>);
  return cudaLaunchCooperativeKernel(fn, dim3(blocks), dim3(threads), args, 0, stream);
}

}  // namespace mk::detail
