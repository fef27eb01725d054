// LiveLink: starting, resuming, abandoning and stopping an isolated live session's engine.
#include "isolate/live_link.h"

#include <algorithm>
#include <cstring>

#include "isolate/live_resume.h"

namespace mk::isolate {
namespace {

std::string hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llX", static_cast<unsigned long long>(v));
  return text;
}

}  // namespace

LiveLink::LiveLink(std::shared_ptr<Supervisor> supervisor, std::shared_ptr<const SupervisedPipeline> pipeline,
                   const LiveEngineConfig& config, std::uint64_t id)
    : m_supervisor(std::move(supervisor)),
      m_pipeline(std::move(pipeline)),
      m_id(id),
      m_slot_count(config.slot_count),
      m_requested_lanes(config.lanes),
      m_max_sms(config.max_sms),
      m_backoff(config.max_idle_backoff),
      m_idempotent(config.idempotent),
      m_control(config.control.begin(), config.control.end()),
      m_layout(live_layout(config.slot_count, static_cast<std::uint32_t>(config.control.size()))) {}

LiveLink::~LiveLink() {
  (void)stop(std::chrono::seconds(5));
  m_supervisor->drop_segment(m_segment);
}

WordSpan LiveLink::ring() const noexcept {
  return {reinterpret_cast<std::uint32_t*>(m_segment.data + m_layout.ring),
          std::size_t{m_slot_count} * abi::SLOT_WORDS};
}

std::span<std::uint64_t> LiveLink::completions() const noexcept {
  return {reinterpret_cast<std::uint64_t*>(m_segment.data + m_layout.completions),
          std::size_t{m_slot_count} * abi::WIRE_COMPLETION_STRIDE};
}

void LiveLink::published(std::uint64_t end) noexcept {
  m_published.store(end, std::memory_order_release);
  auto* page = reinterpret_cast<std::uint32_t*>(m_segment.data + m_layout.page);
  std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(page + LIVE_SHARED_DOORBELL_WORD))
      .store(end, std::memory_order_release);
}

LiveRecoveryCounts LiveLink::counts() const {
  LiveRecoveryCounts c{m_restarts.load(std::memory_order_relaxed),
                       m_lost.load(std::memory_order_relaxed),
                       m_replayed.load(std::memory_order_relaxed),
                       {}};
  std::lock_guard<std::mutex> lock(m_failure_mutex);
  c.last_fault = m_last_fault;
  return c;
}

Status LiveLink::failure() const {
  if (!m_failed.load(std::memory_order_acquire)) return {};
  std::lock_guard<std::mutex> lock(m_failure_mutex);
  return cuda::std::unexpected(*m_failure);
}

void LiveLink::set_failure(Error error) {
  std::lock_guard<std::mutex> lock(m_failure_mutex);
  if (m_failure) return;
  m_failure = std::move(error);
  m_failed.store(true, std::memory_order_release);
}

void LiveLink::reset_relay(std::uint32_t done) noexcept {
  LiveRelay& r = relay();
  r.heartbeat.store(0, std::memory_order_relaxed);
  r.done_count.store(done, std::memory_order_relaxed);
  r.rejects.store(0, std::memory_order_relaxed);
  r.error_bytes.store(0, std::memory_order_relaxed);
  r.state.store(RELAY_RUNNING, std::memory_order_release);
}

Status LiveLink::start(Supervisor::Link& link) {
  auto segment = m_supervisor->map_segment(
      link, m_layout.bytes, "the shared ring of a live session (" + std::to_string(m_slot_count) + " slots)");
  if (!segment) return cuda::std::unexpected(std::move(segment.error()));
  m_segment = *segment;
  reset_relay(m_control[abi::CTRL_DONE_COUNT]);
  std::copy(m_control.begin(), m_control.end(), control_area());
  return start_engine(link, false);
}

Status LiveLink::start_engine(Supervisor::Link& link, bool first_laps) {
  auto handle = m_pipeline->handle(link);
  if (!handle) return cuda::std::unexpected(std::move(handle.error()));
  auto started = link.request(Command::StartLive,
                              {m_id, *handle, m_segment.offset, m_slot_count, control_words(), m_requested_lanes,
                               static_cast<std::uint64_t>(m_backoff.count()), m_max_sms, first_laps ? 1u : 0u});
  if (!started) return cuda::std::unexpected(std::move(started.error()));
  const std::uint64_t lanes = started->value[0];
  if (lanes == 0 || lanes > 0x7FFFFFFFu)
    return cuda::std::unexpected(link.malformed("a live engine of " + hex(lanes) + " lanes"));
  m_lanes.store(static_cast<std::uint32_t>(lanes), std::memory_order_relaxed);
  return {};
}

Result<std::string> LiveLink::resume(Supervisor::Link& link) {
  if (stopped() || m_failed.load(std::memory_order_acquire) || !m_segment) return std::string();
  m_rejects_before.fetch_add(relay().rejects.load(std::memory_order_relaxed), std::memory_order_relaxed);
  ResumeScan scan = scan_live_ring(ring(), completions(), m_slot_count, m_published.load(std::memory_order_acquire));
  std::string text;
  if (!scan.unfinished.empty())
    text = describe_unfinished(ring(), m_slot_count, scan) + " of live session " + std::to_string(m_id);
  {
    std::lock_guard<std::mutex> lock(m_failure_mutex);
    m_last_fault = m_supervisor->last_fault_text() + "; it hit " + (text.empty() ? "no live item" : text) +
                   (m_idempotent ? " (replayed: the session is idempotent)" : " (marked lost)");
  }
  if (!m_idempotent) m_lost.fetch_add(mark_lost(completions(), m_slot_count, scan), std::memory_order_relaxed);
  const std::uint64_t replay = scan.unfinished.size();

  // The worker's control buffer died with it: start again from the host shadow (state
  // lost), with DONE_COUNT counting every item that has its result already (a slot's
  // first lap is how many of its items do), so that DONE_COUNT - initial == items the
  // tickets report finished, and drain() stays exact.
  std::uint64_t finished = 0;
  for (std::uint32_t lap : scan.first_laps) finished += lap;
  std::uint32_t* control = control_area();
  std::copy(m_control.begin(), m_control.end(), control);
  control[abi::CTRL_DONE_COUNT] = m_control[abi::CTRL_DONE_COUNT] + static_cast<std::uint32_t>(finished);
  control[abi::CTRL_FAULT_COUNT] =
      m_control[abi::CTRL_FAULT_COUNT] + static_cast<std::uint32_t>(m_lost.load(std::memory_order_relaxed));
  auto* laps = reinterpret_cast<std::uint32_t*>(m_segment.data + m_layout.laps);
  std::copy(scan.first_laps.begin(), scan.first_laps.end(), laps);
  reset_relay(control[abi::CTRL_DONE_COUNT]);
  m_supervisor->note_state_lost();

  Status started = start_engine(link, true);
  if (started) {
    m_restarts.fetch_add(1, std::memory_order_relaxed);
    m_replayed.fetch_add(replay, std::memory_order_relaxed);
    return text;
  }
  if (started.error().kind() == ErrorKind::DeviceLost) return cuda::std::unexpected(std::move(started.error()));
  // This backend cannot start a live kernel mid-ring: the session ends here.
  const std::uint64_t lost = mark_lost(completions(), m_slot_count, scan);
  m_lost.fetch_add(lost, std::memory_order_relaxed);
  set_failure(Error(ErrorKind::DeviceLost,
                    "the live session could not resume on the restarted worker (" + started.error().message() +
                        "); its " + std::to_string(lost) +
                        " unfinished items were marked lost (FAULT_DEVICE_LOST) and items submitted after the "
                        "fault will not run",
                    "start a new LiveSession; tickets that finished keep their results"));
  return text;
}

void LiveLink::abandon(const Error& error) {
  if (stopped() || !m_segment) return;
  ResumeScan scan = scan_live_ring(ring(), completions(), m_slot_count, m_published.load(std::memory_order_acquire));
  const std::string text = describe_unfinished(ring(), m_slot_count, scan);
  m_lost.fetch_add(mark_lost(completions(), m_slot_count, scan), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(m_failure_mutex);
    m_last_fault = error.message() + "; it hit " + text + " (marked lost)";
  }
  set_failure(error);
}

std::optional<std::string> LiveLink::relay_failure() const {
  if (stopped() || m_failed.load(std::memory_order_acquire) || !m_segment) return std::nullopt;
  const LiveRelay& r = relay();
  const std::uint32_t state = r.state.load(std::memory_order_acquire);
  if (state == RELAY_RUNNING || state == RELAY_EXITED) return std::nullopt;
  if (state != RELAY_FAILED) return "wrote an invalid live relay state " + hex(state) + " (killed, never trusted)";
  const std::uint32_t bytes = std::min<std::uint32_t>(r.error_bytes.load(std::memory_order_relaxed),
                                                      static_cast<std::uint32_t>(RELAY_ERROR_BYTES));
  auto error = decode_error(std::span<const std::byte>(r.error, bytes));
  return "lost its device in live session " + std::to_string(m_id) + " (" +
         (error ? error->message() : "an unreadable error: " + error.error().message()) + ")";
}

Status LiveLink::stop(std::chrono::nanoseconds timeout) {
  if (m_stopped.exchange(true, std::memory_order_acq_rel)) return {};
  if (!m_segment || m_failed.load(std::memory_order_acquire) || m_supervisor->unrecoverable()) return {};
  Status stopped = m_supervisor->transact("stopping a live session", [&](Supervisor::Link& link) -> Status {
    auto r = link.request(Command::StopLive, {m_id, static_cast<std::uint64_t>(timeout.count())});
    if (r) {
      m_final_control.store(true, std::memory_order_release);
      return {};
    }
    if (r.error().kind() == ErrorKind::DeviceLost) return {};
    // Lanes that do not leave still use the shared ring: the worker goes, not the memory.
    return cuda::std::unexpected(
        link.kill("could not stop live session " + std::to_string(m_id) + " (" + r.error().message() + ")"));
  });
  if (!stopped && stopped.error().kind() == ErrorKind::DeviceLost) return {};  // a dead worker runs nothing
  return stopped;
}

}  // namespace mk::isolate
