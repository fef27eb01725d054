// BoundsWatch: deadline and sweep-budget checks beside a running dispatch round.
#include "api/bounds_watch.h"

#include "mk/abi.h"

namespace mk::detail {
namespace {

constexpr auto POLL = std::chrono::milliseconds(1);

std::atomic_ref<std::uint32_t> word(std::uint32_t* control, std::uint32_t index) {
  return std::atomic_ref<std::uint32_t>(control[index]);
}

}  // namespace

BoundsWatch::BoundsWatch(std::uint32_t* control_words, std::optional<std::chrono::steady_clock::time_point> deadline,
                         std::optional<std::uint64_t> sweeps_left)
    : m_control(control_words), m_deadline(deadline), m_sweeps_left(sweeps_left) {
  m_heartbeat_start = word(m_control, abi::CTRL_HEARTBEAT).load(std::memory_order_relaxed);
  m_thread = std::thread([this] { watch(); });
}

bool BoundsWatch::trip(DispatchStop why) {
  std::uint32_t expected = 0;
  // Only a SHUTDOWN this thread set is cleared later; a job's own SHUTDOWN stays.
  m_set_shutdown = word(m_control, abi::CTRL_SHUTDOWN).compare_exchange_strong(expected, 1, std::memory_order_acq_rel);
  m_tripped = why;
  return true;
}

void BoundsWatch::watch() {
  std::unique_lock lock(m_mutex);
  while (!m_done) {
    if (m_deadline && std::chrono::steady_clock::now() >= *m_deadline) {
      trip(DispatchStop::Deadline);
      return;
    }
    if (m_sweeps_left) {
      const std::uint32_t ran =
          word(m_control, abi::CTRL_HEARTBEAT).load(std::memory_order_relaxed) - m_heartbeat_start;
      if (ran >= *m_sweeps_left) {
        trip(DispatchStop::SweepBudget);
        return;
      }
    }
    m_wake.wait_for(lock, POLL, [this] { return m_done; });
  }
}

DispatchStop BoundsWatch::finish() {
  if (m_thread.joinable()) {
    {
      std::lock_guard lock(m_mutex);
      m_done = true;
    }
    m_wake.notify_all();
    m_thread.join();
    if (m_set_shutdown) word(m_control, abi::CTRL_SHUTDOWN).store(0, std::memory_order_release);
  }
  return m_tripped;
}

}  // namespace mk::detail
