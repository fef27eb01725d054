// The CPU backend's live engine: worker threads sweep their share of a host-memory ring
// with the ordered interp/ step until SHUTDOWN is set.
#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/cpu_pipeline.h"
#include "cpu/custom_ops.h"
#include "interp/step.h"

namespace mk::detail {
namespace {

constexpr auto SCOPE = cuda::thread_scope_system;

class CpuLiveEngine final : public LiveEngine {
 public:
  CpuLiveEngine(const LiveEngineConfig& config, std::shared_ptr<const ir::Program> program, std::uint32_t workers)
      : m_ring(std::size_t{config.slot_count} * abi::SLOT_WORDS, 0u),
        m_control(config.control.begin(), config.control.end()),
        m_program(std::move(program)),
        m_max_backoff(config.max_idle_backoff) {
    m_view = interp::make_view(m_ring.data(), config.slot_count, m_control.data(), nullptr, nullptr);
    m_running.store(workers, std::memory_order_relaxed);
    m_threads.reserve(workers);
    for (std::uint32_t t = 0; t < workers; ++t) m_threads.emplace_back([this, t, workers] { run(t, workers); });
  }
  ~CpuLiveEngine() override { (void)stop(std::chrono::nanoseconds::max()); }

  WordSpan ring() noexcept override { return m_ring; }
  std::uint32_t lanes() const noexcept override { return static_cast<std::uint32_t>(m_threads.size()); }
  std::uint32_t heartbeat() const noexcept override { return load(abi::CTRL_HEARTBEAT); }
  std::uint32_t done_count() const noexcept override { return load(abi::CTRL_DONE_COUNT); }
  Status read_control(WordSpan out) override {
    for (std::size_t i = 0; i < out.size() && i < m_control.size(); ++i) out[i] = load(static_cast<std::uint32_t>(i));
    return {};
  }
  Status health(bool& exited) override {
    exited = m_running.load(std::memory_order_acquire) == 0;
    return {};
  }
  void set_stalled(bool stalled) noexcept override { m_stalled.store(stalled, std::memory_order_release); }

  // Workers only block in their own back-off, so joining after SHUTDOWN is bounded.
  Status stop(std::chrono::nanoseconds) override {
    interp::Atomics<SCOPE>::store_release(m_control.data() + abi::CTRL_SHUTDOWN, 1);
    m_stalled.store(false, std::memory_order_release);
    for (auto& t : m_threads)
      if (t.joinable()) t.join();
    return {};
  }

 private:
  std::uint32_t load(std::uint32_t word) const {
    return interp::Atomics<SCOPE>::load_relaxed(const_cast<std::uint32_t*>(m_control.data()) + word);
  }

  void run(std::uint32_t t, std::uint32_t workers) {
    CpuCustomOps custom{m_program.get()};
    // Ordered: the host publishes and harvests while the workers run.
    interp::BatchedAccounting<SCOPE, true> acct;
    std::uint32_t idle = 0;
    while (!interp::shutdown_requested<SCOPE>(m_view)) {
      if (m_stalled.load(std::memory_order_acquire)) {
        std::this_thread::yield();
        continue;
      }
      const interp::SweepCounts c = interp::sweep<SCOPE>(m_view, t, workers, custom, acct);
      if (t == 0) interp::heartbeat<SCOPE>(m_view);
      if (c.progress != 0 || c.rerun() != 0) {
        idle = 0;
        continue;
      }
      // Idle back-off: yield first (other workers and producers may share the core), then
      // short sleeps; the next sweep re-reads every slot either way.
      if (++idle < 64) std::this_thread::yield();
      else std::this_thread::sleep_for(std::max(m_max_backoff, std::chrono::nanoseconds(20000)));
    }
    m_running.fetch_sub(1, std::memory_order_acq_rel);
  }

  std::vector<std::uint32_t> m_ring;
  std::vector<std::uint32_t> m_control;
  std::shared_ptr<const ir::Program> m_program;
  std::chrono::nanoseconds m_max_backoff;
  interp::View m_view{};
  std::atomic<bool> m_stalled{false};
  std::atomic<std::uint32_t> m_running{0};
  std::vector<std::thread> m_threads;
};

}  // namespace

Result<std::unique_ptr<LiveEngine>> CpuBackend::start_live(const Pipeline& pipeline, const LiveEngineConfig& config) {
  const auto* pipe = dynamic_cast<const CpuPipeline*>(&pipeline);
  if (pipe == nullptr)
    return fail(ErrorKind::InvalidArgument, "pipeline was built by another backend",
                "start the live session from the Megakernel that built it");
  std::uint32_t workers = config.lanes != 0 ? config.lanes : m_pool.size();
  workers = std::max(1u, std::min(workers, config.slot_count));
  return std::unique_ptr<LiveEngine>(std::make_unique<CpuLiveEngine>(config, pipe->shared_program(), workers));
}

}  // namespace mk::detail
