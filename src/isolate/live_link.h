// One isolated live session as the supervisor sees it: its shared segment (ring, records,
// page, relay), the host shadow of its control words, and what restarts did to it. The
// proxy engine (supervised_live.cpp) and the supervisor's restart path share it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "isolate/live_layout.h"
#include "isolate/supervised_pipeline.h"
#include "isolate/supervisor.h"

namespace mk::isolate {

class LiveLink {
 public:
  LiveLink(std::shared_ptr<Supervisor> supervisor, std::shared_ptr<const SupervisedPipeline> pipeline,
           const LiveEngineConfig& config, std::uint64_t id);
  ~LiveLink();
  LiveLink(const LiveLink&) = delete;
  LiveLink& operator=(const LiveLink&) = delete;

  // Map the segment and start the worker's engine (inside transact).
  Status start(Supervisor::Link& link);
  // After a restart (monitor thread, command lock held): mark or replay what the dead
  // worker left unfinished and start the engine again where each slot left off. Returns
  // the attribution text; an Error only when the new worker failed meanwhile.
  Result<std::string> resume(Supervisor::Link& link);
  // No worker will come back: every unfinished item is marked lost, the session fails.
  void abandon(const Error& error);
  // The relay says the worker's engine failed (a sticky device error): why, for the
  // monitor, which then replaces the worker.
  std::optional<std::string> relay_failure() const;
  Status stop(std::chrono::nanoseconds timeout);

  WordSpan ring() const noexcept;
  std::span<std::uint64_t> completions() const noexcept;
  LiveRelay& relay() const noexcept { return *reinterpret_cast<LiveRelay*>(m_segment.data + m_layout.relay); }
  void published(std::uint64_t end) noexcept;
  Status failure() const;
  Supervisor& supervisor() const noexcept { return *m_supervisor; }
  std::uint64_t id() const noexcept { return m_id; }
  std::uint32_t lanes() const noexcept { return m_lanes.load(std::memory_order_relaxed); }
  std::uint32_t control_words() const noexcept { return static_cast<std::uint32_t>(m_control.size()); }
  std::uint64_t control_area_offset() const noexcept { return m_segment.offset + m_layout.control; }
  std::uint32_t* control_area() const noexcept {
    return reinterpret_cast<std::uint32_t*>(m_segment.data + m_layout.control);
  }
  LiveRecoveryCounts counts() const;
  std::uint64_t rejects_before() const noexcept { return m_rejects_before.load(std::memory_order_relaxed); }
  bool stopped() const noexcept { return m_stopped.load(std::memory_order_acquire); }
  // After a clean stop the worker left the final control words in control_area().
  bool final_control() const noexcept { return m_final_control.load(std::memory_order_acquire); }

 private:
  Status start_engine(Supervisor::Link& link, bool first_laps);
  void set_failure(Error error);
  void reset_relay(std::uint32_t done) noexcept;

  std::shared_ptr<Supervisor> m_supervisor;
  std::shared_ptr<const SupervisedPipeline> m_pipeline;
  std::uint64_t m_id;
  std::uint32_t m_slot_count;
  std::uint32_t m_requested_lanes;
  std::uint32_t m_max_sms;
  std::chrono::nanoseconds m_backoff;
  bool m_idempotent;
  std::vector<std::uint32_t> m_control;  // the initial control words: the host shadow
  LiveLayout m_layout;
  Segment m_segment;
  std::atomic<std::uint64_t> m_published{0};  // private copy of the doorbell: the worker cannot touch it
  std::atomic<std::uint32_t> m_lanes{0};
  std::atomic<std::uint64_t> m_restarts{0}, m_lost{0}, m_replayed{0}, m_rejects_before{0};
  std::atomic<bool> m_stopped{false};
  std::atomic<bool> m_final_control{false};
  std::atomic<bool> m_failed{false};
  mutable std::mutex m_failure_mutex;
  std::optional<Error> m_failure;
  std::string m_last_fault;  // failure mutex
};

}  // namespace mk::isolate
