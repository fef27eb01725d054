// The worker's live sessions: engines over shared segments, and the relay of their
// counters and health into each session's LiveRelay.
#include <algorithm>

#include "core/live_test_hooks.h"
#include "isolate/codec.h"
#include "isolate/worker/worker.h"

namespace mk::isolate::worker {

Status Worker::start_live(const Request& r, Response& response) {
  const std::uint64_t id = r.arg[0];
  auto pipe = pipeline(r.arg[1]);
  if (!pipe) return cuda::std::unexpected(std::move(pipe.error()));
  const std::uint64_t slots = r.arg[3], control_words = r.arg[4];
  if (slots == 0 || slots > abi::MAX_RING_SLOTS || control_words < abi::CTRL_OBSERVABLES || control_words > 0xFFFFFFFFu)
    return fail(ErrorKind::InvalidArgument, "bad live session shape", "internal");
  const LiveLayout layout = live_layout(static_cast<std::uint32_t>(slots), static_cast<std::uint32_t>(control_words));
  auto base = resolve(r.arg[2], layout.bytes);
  if (!base) return cuda::std::unexpected(std::move(base.error()));
  std::byte* b = *base;
  {
    std::lock_guard<std::mutex> lock(m_lives_mutex);
    if (m_lives.count(id) != 0)
      return fail(ErrorKind::InvalidArgument, "live session " + std::to_string(id) + " runs already", "internal");
  }
  LiveEngineConfig config;
  config.slot_count = static_cast<std::uint32_t>(slots);
  config.lanes = static_cast<std::uint32_t>(std::min<std::uint64_t>(r.arg[5], 0xFFFFFFFFu));
  config.max_idle_backoff =
      std::chrono::nanoseconds(static_cast<std::int64_t>(std::min<std::uint64_t>(r.arg[6], 1'000'000'000)));
  config.max_sms = static_cast<std::uint32_t>(std::min<std::uint64_t>(r.arg[7], 0xFFFFFFFFu));
  config.control = ConstWordSpan(reinterpret_cast<const std::uint32_t*>(b + layout.control), control_words);
  config.shared.ring = WordSpan(reinterpret_cast<std::uint32_t*>(b + layout.ring), slots * abi::SLOT_WORDS);
  config.shared.completions = std::span<std::uint64_t>(reinterpret_cast<std::uint64_t*>(b + layout.completions),
                                                       slots * abi::WIRE_COMPLETION_STRIDE);
  config.shared.page = WordSpan(reinterpret_cast<std::uint32_t*>(b + layout.page), LIVE_SHARED_PAGE_WORDS);
  if (r.arg[8] != 0)
    config.first_laps = std::span<const std::uint32_t>(reinterpret_cast<const std::uint32_t*>(b + layout.laps), slots);
  auto engine = m_backend->start_live(**pipe, config);
  if (!engine) return cuda::std::unexpected(std::move(engine.error()));
  response.value[0] = (*engine)->lanes();
  auto* relay = reinterpret_cast<LiveRelay*>(b + layout.relay);
  {
    std::lock_guard<std::mutex> lock(m_lives_mutex);
    m_lives.emplace(id, Live{std::move(*engine), relay,
                             WordSpan(reinterpret_cast<std::uint32_t*>(b + layout.control), control_words)});
  }
  // The heartbeat thread may be in its long idle wait: relaying starts now, not then.
  { std::lock_guard<std::mutex> lock(m_quit_mutex); }
  m_quit_cv.notify_all();
  return {};
}

Status Worker::stop_live(const Request& r) {
  Live live;
  {
    std::lock_guard<std::mutex> lock(m_lives_mutex);
    auto it = m_lives.find(r.arg[0]);
    if (it == m_lives.end()) return {};  // never started here (a restart) or stopped already
    live = std::move(it->second);
    m_lives.erase(it);
  }
  const auto timeout =
      std::chrono::nanoseconds(static_cast<std::int64_t>(std::min<std::uint64_t>(r.arg[1], 1ull << 62)));
  Status stopped = live.engine->stop(timeout);
  if (!stopped) {
    // Lanes that did not leave still use the shared ring: keep the engine (leak it) so
    // nothing frees memory under them; the supervisor kills this worker.
    (void)live.engine.release();
    return stopped;
  }
  // The session may still read its counters after shutdown: leave the final words behind.
  Status final = live.engine->read_control(live.control);
  live.engine.reset();
  return final;
}

Status Worker::live_read_control(const Request& r) {
  auto out = words(r.arg[1], r.arg[2]);
  if (!out) return cuda::std::unexpected(std::move(out.error()));
  std::lock_guard<std::mutex> lock(m_lives_mutex);
  auto it = m_lives.find(r.arg[0]);
  if (it == m_lives.end())
    return fail(ErrorKind::InvalidArgument, "no live session " + std::to_string(r.arg[0]) + " in this worker",
                "internal");
  return it->second.engine->read_control(*out);
}

Status Worker::live_set_stalled(const Request& r) {
  std::lock_guard<std::mutex> lock(m_lives_mutex);
  auto it = m_lives.find(r.arg[0]);
  if (it != m_lives.end()) mk::detail::set_engine_stalled(*it->second.engine, r.arg[1] != 0);
  return {};
}

void Worker::relay_lives() {
  std::lock_guard<std::mutex> lock(m_lives_mutex);
  for (auto& [id, live] : m_lives) {
    LiveRelay& relay = *live.relay;
    relay.heartbeat.store(live.engine->heartbeat(), std::memory_order_relaxed);
    relay.rejects.store(live.engine->wire_rejects(), std::memory_order_relaxed);
    relay.done_count.store(live.engine->done_count(), std::memory_order_release);
    if (relay.state.load(std::memory_order_relaxed) != RELAY_RUNNING) continue;
    bool exited = false;
    Status health = live.engine->health(exited);
    if (!health) {
      const std::size_t bytes = encode_error(health.error(), {relay.error, RELAY_ERROR_BYTES});
      relay.error_bytes.store(static_cast<std::uint32_t>(bytes), std::memory_order_relaxed);
      relay.state.store(RELAY_FAILED, std::memory_order_release);
    } else if (exited) {
      relay.state.store(RELAY_EXITED, std::memory_order_release);
    }
  }
}

}  // namespace mk::isolate::worker
