// SupervisedLiveEngine: LiveEngine over a LiveLink (shared memory + relay), surviving
// worker restarts (the supervisor resumes the link; live_link.cpp).
#include "isolate/supervised_live.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "core/live_test_hooks.h"

namespace mk::isolate {
namespace {

class SupervisedLiveEngine final : public LiveEngine, public mk::detail::StallableLiveEngine {
 public:
  explicit SupervisedLiveEngine(std::shared_ptr<LiveLink> link) : m_link(std::move(link)) {}
  ~SupervisedLiveEngine() override = default;  // the link stops the worker's engine and frees the segment

  WordSpan ring() noexcept override { return m_link->ring(); }
  std::span<std::uint64_t> completions() noexcept override { return m_link->completions(); }
  // No compact arena: it would have to live in the shared segment too (not built yet).
  WordSpan arena() noexcept override { return {}; }
  Status compact_support() const override {
    return fail(ErrorKind::Unsupported,
                "this live session's engine has no compact arena (isolated sessions keep their ring in shared "
                "memory, the arena is not there yet)",
                "submit WorkItems to an isolated session, or use an in-process backend for compact batches");
  }
  std::uint64_t wire_rejects() const noexcept override {
    return m_link->rejects_before() + m_link->relay().rejects.load(std::memory_order_relaxed);
  }
  std::uint32_t lanes() const noexcept override { return m_link->lanes(); }
  // While a restart is under way the heartbeat keeps moving, so the session's watchdog
  // waits for the new worker instead of calling the session stalled.
  std::uint32_t heartbeat() const noexcept override {
    if (m_link->supervisor().restarting())
      return static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
              .count());
    return m_link->relay().heartbeat.load(std::memory_order_relaxed) +
           static_cast<std::uint32_t>(m_link->counts().restarts) * 0x10001u;
  }
  std::uint32_t done_count() const noexcept override {
    return m_link->relay().done_count.load(std::memory_order_acquire);
  }
  Status read_control(WordSpan out) override {
    if (m_link->stopped()) {
      if (!m_link->final_control())
        return fail(ErrorKind::DeviceLost,
                    "the live session's control words were lost with its worker process (it stopped after a fault)",
                    "read counters before shutdown, or from the tickets");
      std::copy_n(m_link->control_area(), std::min<std::size_t>(out.size(), m_link->control_words()), out.begin());
      return {};
    }
    MK_TRY(m_link->failure());
    return m_link->supervisor().transact("reading a live session's control words", [&](Supervisor::Link& l) -> Status {
      const std::size_t words = std::min<std::size_t>(out.size(), m_link->control_words());
      auto r = l.request(Command::LiveReadControl, {m_link->id(), m_link->control_area_offset(), words});
      if (!r) return cuda::std::unexpected(std::move(r.error()));
      std::copy_n(m_link->control_area(), words, out.begin());
      return {};
    });
  }
  Status health(bool& exited) override {
    exited = false;
    MK_TRY(m_link->failure());
    if (auto final = m_link->supervisor().unrecoverable()) return cuda::std::unexpected(std::move(*final));
    if (m_link->supervisor().restarting()) return {};
    exited = m_link->relay().state.load(std::memory_order_acquire) == RELAY_EXITED;
    return {};
  }
  // Always: the doorbell is how the supervisor knows which positions are published.
  bool wants_doorbell() const noexcept override { return true; }
  void published(std::uint64_t end) noexcept override { m_link->published(end); }
  void set_stalled(bool stalled) noexcept override {
    (void)m_link->supervisor().transact("stalling a live session (test support)", [&](Supervisor::Link& l) -> Status {
      auto r = l.request(Command::LiveSetStalled, {m_link->id(), stalled ? 1u : 0u});
      if (!r) return cuda::std::unexpected(std::move(r.error()));
      return {};
    });
  }
  Status stop(std::chrono::nanoseconds timeout) override { return m_link->stop(timeout); }
  LiveRecoveryCounts recovery_counts() const override { return m_link->counts(); }

 private:
  std::shared_ptr<LiveLink> m_link;
};

}  // namespace

Result<std::unique_ptr<LiveEngine>> start_supervised_live(std::shared_ptr<Supervisor> supervisor,
                                                          std::shared_ptr<const SupervisedPipeline> pipeline,
                                                          const LiveEngineConfig& config) {
  static std::atomic<std::uint64_t> next_id{1};
  if (config.control.size() > abi::CTRL_OBSERVABLES + std::size_t{abi::MAX_OBSERVABLES})
    return fail(ErrorKind::InvalidArgument, "the live control buffer is larger than any valid one",
                "encode it with encode_control");
  auto link = std::make_shared<LiveLink>(supervisor, std::move(pipeline), config,
                                         next_id.fetch_add(1, std::memory_order_relaxed));
  // Registered inside the transaction: a restart (which holds the same lock) either comes
  // before the start or finds the session to resume.
  Status started = supervisor->transact("starting a live session", [&](Supervisor::Link& l) -> Status {
    MK_TRY(link->start(l));
    supervisor->add_live(link);
    return {};
  });
  if (!started) return cuda::std::unexpected(std::move(started.error()));
  return std::unique_ptr<LiveEngine>(std::make_unique<SupervisedLiveEngine>(std::move(link)));
}

}  // namespace mk::isolate
