// CpuBackend::launch_batch: the interpreter over compact records, no ring. Each worker
// thread expands the records of its contiguous range into a private slot on its stack
// and runs the shared interp/ step on it (interp/batch_item.h).
#include <algorithm>
#include <atomic>

#include "cpu/cpu_backend.h"
#include "mk/detail/pipeline_cast.h"
#include "cpu/cpu_pipeline.h"
#include "cpu/custom_ops.h"
#include "interp/batch_item.h"

namespace mk::detail {
namespace {

constexpr auto SCOPE = cuda::thread_scope_system;
// Below this many items per thread, a thread costs more to wake than it saves.
constexpr std::uint32_t MIN_ITEMS_PER_THREAD = 4096;

}  // namespace

Result<LaunchStats> CpuBackend::launch_batch(const Pipeline& pipeline, const BatchLaunch& launch) {
  auto cast = pipeline_as<CpuPipeline>(pipeline);
  if (!cast) return cuda::std::unexpected(std::move(cast.error()));
  const CpuPipeline* pipe = *cast;
  const BatchView& batch = launch.batch;
  interp::BatchLayout layout{batch.shape.flags(), batch.shape.opcode, batch.shape.tenant, batch.shape.arg_count,
                             batch.shape.stride()};
  // No ring: slot_count is the item count so slot numbers (LAST_FAULT_SLOT) are items.
  const interp::View view = interp::make_view(nullptr, batch.count, launch.control.data(), nullptr, nullptr);
  std::fill(launch.fault_bits.begin(), launch.fault_bits.end(), 0u);

  const std::uint32_t useful = std::max(1u, batch.count / MIN_ITEMS_PER_THREAD);
  const std::uint32_t threads = std::min(m_pool.size(), useful);
  const std::uint32_t per_thread = batch.count / threads + (batch.count % threads != 0 ? 1u : 0u);
  m_pool.run(threads, [&](std::uint32_t t) {
    CpuCustomOps custom{pipe->program()};
    // Unordered accounting: the slot is this thread's alone (plain claim); counters are
    // kept in runs and published once at the end of the range.
    interp::BatchedAccounting<SCOPE, false> acct;
    alignas(16) Word slot[abi::SLOT_WORDS];
    const std::uint64_t first = std::uint64_t{t} * per_thread;
    const std::uint64_t end = std::min<std::uint64_t>(batch.count, first + per_thread);
    // Fault bits of a range's edge words may be shared with the next thread.
    for (std::uint64_t i = first; i < end; ++i) {
      const auto item = static_cast<std::uint32_t>(i);
      interp::expand_batch_record(layout, batch.records.data() + i * layout.stride, slot);
      const std::uint32_t status = interp::run_batch_slot<SCOPE>(view, item, slot, custom, acct);
      launch.results[item] = slot[abi::SLOT_RESULT];
      if (status != abi::STATUS_DONE)
        interp::Atomics<SCOPE>::fetch_or_relaxed(&launch.fault_bits[item / 32u], 1u << (item % 32u));
    }
    acct.flush(view);
  });
  LaunchStats stats;
  stats.sweeps = 1;
  return stats;
}

}  // namespace mk::detail
