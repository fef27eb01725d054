// A host thread that enforces DispatchLimits during one dispatch round by setting SHUTDOWN.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "mk/dispatch_limits.h"

namespace mk::detail {

// While it lives, checks about every millisecond whether the deadline passed or the
// round's sweeps (HEARTBEAT, which the CPU backend bumps once per sweep) used up
// `sweeps_left`; then sets SHUTDOWN (0 -> 1), which ends the CPU backend's dispatch at
// its next sweep boundary. finish() joins and clears SHUTDOWN again if it set it.
class BoundsWatch {
 public:
  BoundsWatch(std::uint32_t* control_words, std::optional<std::chrono::steady_clock::time_point> deadline,
              std::optional<std::uint64_t> sweeps_left);
  BoundsWatch(const BoundsWatch&) = delete;
  BoundsWatch& operator=(const BoundsWatch&) = delete;
  ~BoundsWatch() { finish(); }

  // Stops the thread; returns the bound that tripped (Idle: none).
  DispatchStop finish();

 private:
  void watch();
  bool trip(DispatchStop why);

  std::uint32_t* m_control;
  std::optional<std::chrono::steady_clock::time_point> m_deadline;
  std::optional<std::uint64_t> m_sweeps_left;
  std::uint32_t m_heartbeat_start = 0;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_done = false;
  bool m_set_shutdown = false;  // written by the thread, read after join
  DispatchStop m_tripped = DispatchStop::Idle;
  std::thread m_thread;
};

}  // namespace mk::detail
