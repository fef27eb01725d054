// The live session's watchdog: a host thread that turns a dead kernel, or one whose
// HEARTBEAT and DONE_COUNT froze while work is pending, into the session's error.
// It checks every timeout / 4, so an error is raised within 1.25x the timeout.
#include <string>

#include "api/live_state.h"

namespace mk::detail {

void LiveState::start_watchdog() {
  const auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(options.watchdog_timeout);
  const auto period = std::max(timeout / 4, std::chrono::nanoseconds(std::chrono::microseconds(250)));
  watchdog = std::thread([this, timeout, period] {
    auto last_change = std::chrono::steady_clock::now();
    std::uint32_t last_heartbeat = engine->heartbeat(), last_done = engine->done_count();
    std::unique_lock<std::mutex> lock(watchdog_mutex);
    while (!watchdog_stop) {
      watchdog_wake.wait_for(lock, period, [this] { return watchdog_stop; });
      if (watchdog_stop || failed.load(std::memory_order_acquire)) continue;
      bool exited = false;
      if (Status h = engine->health(exited); !h) {
        set_failure(h.error());
        continue;
      }
      if (exited) {
        set_failure(Error(ErrorKind::Backend,
                          "the live kernel stopped while the session was running: control word 4 (SHUTDOWN) "
                          "was set, by a SHUTDOWN item of an admin tenant",
                          "do not submit SHUTDOWN to a live session (LiveSession::shutdown stops it); "
                          "start a new session"));
        continue;
      }
      const std::uint32_t heartbeat = engine->heartbeat(), done = engine->done_count();
      seen_heartbeat.store(heartbeat, std::memory_order_relaxed);
      seen_done.store(done, std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (heartbeat != last_heartbeat || done != last_done) {
        last_heartbeat = heartbeat;
        last_done = done;
        last_change = now;
        continue;
      }
      const std::uint64_t pending = tail.load(std::memory_order_acquire) - head.load(std::memory_order_acquire);
      if (pending != 0 && now - last_change > timeout) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_change).count();
        set_failure(Error(ErrorKind::Backend,
                          "the live kernel stalled: control words 10 (HEARTBEAT = " + std::to_string(heartbeat) +
                              ") and 5 (DONE_COUNT = " + std::to_string(done) + ") did not change for " +
                              std::to_string(ms) + " ms with " + std::to_string(pending) + " items in flight",
                          "a handler may spin or the device may be hung: destroy this session (its lanes are "
                          "asked to stop) and start a new one; raise LiveOptions::watchdog_timeout if items "
                          "legitimately take longer"));
      }
    }
  });
}

void LiveState::stop_watchdog() {
  {
    std::lock_guard<std::mutex> lock(watchdog_mutex);
    watchdog_stop = true;
  }
  watchdog_wake.notify_all();
  if (watchdog.joinable() && watchdog.get_id() != std::this_thread::get_id()) watchdog.join();
}

}  // namespace mk::detail
