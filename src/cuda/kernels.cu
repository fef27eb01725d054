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

template <bool TRACED>
__device__ interp::SweepCounts lane_sweep(const OneShotParams& p, unsigned lane, unsigned lanes) {
  interp::NoCustomOps custom;
  if constexpr (!TRACED) {
    return interp::sweep<SCOPE>(p.view, lane, lanes, custom);
  } else {
    interp::SweepCounts counts;
    for (unsigned long long s = lane; s < p.view.slot_count; s += lanes) {
      const unsigned long long start = global_timer_ns();
      const interp::StepResult r = interp::step_slot<SCOPE>(p.view, static_cast<unsigned>(s), custom);
      if (r == interp::StepResult::Idle) continue;
      counts.progress += r == interp::StepResult::Progress ? 1u : 0u;
      counts.retry += r == interp::StepResult::Retry ? 1u : 0u;
      unsigned long long* rec = p.trace + s * TRACE_WORDS_PER_SLOT;
      rec[0] = start;
      rec[1] = global_timer_ns();
      rec[2] = lane;
      rec[3] = *p.view.slot_word(static_cast<unsigned>(s), abi::SLOT_STATUS);
    }
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
    // Three rotating counters: the one reset here was last read two barriers ago.
    if (lane == 0) A::store_relaxed(p.round_state + (round + 1) % 3, 0);
    const interp::SweepCounts c = lane_sweep<TRACED>(p, lane, lanes);
    // Warp-aggregate progress: one atomic per warp.
    const unsigned warp_progress = __reduce_add_sync(__activemask(), c.progress);
    if ((threadIdx.x & 31u) == 0 && warp_progress != 0) A::fetch_add_relaxed(p.round_state + round % 3, warp_progress);
    grid.sync();
    const bool stop = A::load_relaxed(p.round_state + round % 3) == 0 || interp::shutdown_requested<SCOPE>(p.view);
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
