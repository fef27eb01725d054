// CpuBackend: rounds of sweeps on every worker thread, separated by a barrier, until a
// round makes no progress or SHUTDOWN is set.
#include "cpu/cpu_backend.h"
#include "mk/detail/pipeline_cast.h"

#include <barrier>
#include <chrono>
#include <string>
#include <thread>

#include <unistd.h>

#include "cpu/cpu_pipeline.h"
#include "cpu/custom_ops.h"
#include "interp/step.h"

namespace mk::detail {
namespace {

constexpr auto SCOPE = cuda::thread_scope_system;
// Below this many slots per thread, extra threads cost more in barriers than they save.
constexpr std::uint32_t MIN_SLOTS_PER_THREAD = 64;

std::uint32_t default_threads(std::uint32_t requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1u : hw;
}

std::uint64_t now_ns(std::chrono::steady_clock::time_point origin) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - origin).count());
}

// A sweep that records one trace event per step that did something.
template <class Custom, class Acct>
interp::SweepCounts traced_sweep(const interp::View& v, std::uint32_t first, std::uint32_t stride, Custom& custom,
                                 Acct& acct, std::chrono::steady_clock::time_point origin,
                                 std::vector<TraceEvent>& events) {
  interp::SweepCounts counts;
  for (std::uint64_t s = first; s < v.slot_count; s += stride) {
    const std::uint64_t start = now_ns(origin);
    const interp::StepResult r = interp::step_slot<SCOPE>(v, static_cast<std::uint32_t>(s), custom, acct);
    if (r == interp::StepResult::Idle) continue;
    interp::count_step(counts, r);
    const std::uint32_t status =
        interp::Atomics<SCOPE>::load_relaxed(v.slot_word(static_cast<std::uint32_t>(s), abi::SLOT_STATUS));
    events.push_back(TraceEvent{static_cast<std::uint32_t>(s), first, start, now_ns(origin), status});
  }
  acct.flush(v);
  return counts;
}

}  // namespace

CpuBackend::CpuBackend(CpuBackendOptions options)
    : m_options(options), m_pool(options.deterministic ? 1u : default_threads(options.threads)) {}

bool CpuBackend::supports(Feature feature) const noexcept {
  switch (feature) {
    case Feature::OneShot:
    case Feature::IoQueue:
    case Feature::DebugLog:
    case Feature::Trace:
    case Feature::CompactBatch:
      return true;
    case Feature::CustomOpcodes:
    case Feature::PayloadProcessor:
    case Feature::LiveSession:
      return true;
    default:
      return false;
  }
}

std::vector<DeviceInfo> CpuBackend::devices() const {
  DeviceInfo info;
  info.name = "host CPU (" + std::to_string(m_pool.size()) + " worker threads)";
  info.kind = "cpu";
  info.compute_units = m_pool.size();
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  info.memory_bytes = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
  info.driver = "n/a";
  info.arch = "host";
  return {info};
}

Result<std::shared_ptr<const Pipeline>> CpuBackend::build_pipeline(const PipelineSpec& spec) {
  std::shared_ptr<const ir::Program> program;
  if (!spec.handlers.empty()) {
    auto built = ir::Program::build(spec.handlers);
    if (!built) return cuda::std::unexpected(std::move(built.error()));
    program = std::move(*built);
  }
  return std::shared_ptr<const Pipeline>(std::make_shared<CpuPipeline>(m_next_pipeline_id++, spec, std::move(program)));
}

Result<LaunchStats> CpuBackend::launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                                std::vector<TraceEvent>* trace) {
  auto cast = pipeline_as<CpuPipeline>(pipeline);
  if (!cast) return cuda::std::unexpected(std::move(cast.error()));
  const CpuPipeline* pipe = *cast;
  const interp::View view =
      interp::make_view(buffers.ring.data(), static_cast<std::uint32_t>(buffers.ring.size() / abi::SLOT_WORDS),
                        buffers.control.data(), buffers.debug_log.empty() ? nullptr : buffers.debug_log.data(),
                        buffers.io_queue.empty() ? nullptr : buffers.io_queue.data());

  std::uint32_t threads = m_pool.size();
  const std::uint32_t useful = view.slot_count / MIN_SLOTS_PER_THREAD;
  if (threads > useful) threads = useful == 0 ? 1 : useful;
  if (trace != nullptr) trace->clear();

  const auto origin = std::chrono::steady_clock::now();
  std::atomic<std::uint32_t> round_progress{0};
  std::atomic<std::uint32_t> round_rerun{0};
  std::atomic<bool> stop{false};
  std::uint32_t rounds = 0;
  auto end_of_round = [&]() noexcept {
    ++rounds;
    // Stop when nothing can be runnable next round: no slot went back to PUBLISHED or
    // REQUEUE, or the round made no progress at all (what is left waits on the host or
    // on something that cannot change, like a stuck fence).
    const std::uint32_t progress = round_progress.exchange(0, std::memory_order_relaxed);
    const std::uint32_t rerun = round_rerun.exchange(0, std::memory_order_relaxed);
    if (progress == 0 || rerun == 0 || interp::shutdown_requested<SCOPE>(view))
      stop.store(true, std::memory_order_relaxed);
  };
  std::barrier sync(static_cast<std::ptrdiff_t>(threads), end_of_round);
  std::vector<std::vector<TraceEvent>> events(trace ? threads : 0);

  m_pool.run(threads, [&](std::uint32_t t) {
    CpuCustomOps custom{pipe->program()};
    // Per-thread runs of counters, published at the end of each sweep.
    interp::BatchedAccounting<SCOPE> acct;
    while (!stop.load(std::memory_order_relaxed)) {
      const interp::SweepCounts c = trace ? traced_sweep(view, t, threads, custom, acct, origin, events[t])
                                          : interp::sweep<SCOPE>(view, t, threads, custom, acct);
      if (t == 0) interp::heartbeat<SCOPE>(view);
      round_progress.fetch_add(c.progress, std::memory_order_relaxed);
      round_rerun.fetch_add(c.rerun(), std::memory_order_relaxed);
      sync.arrive_and_wait();
    }
  });

  if (trace != nullptr)
    for (auto& e : events) trace->insert(trace->end(), e.begin(), e.end());
  LaunchStats stats;
  stats.sweeps = rounds;
  return stats;
}

}  // namespace mk::detail

namespace mk {
std::shared_ptr<Backend> make_cpu_backend(CpuBackendOptions options) {
  return std::make_shared<detail::CpuBackend>(options);
}
}  // namespace mk
