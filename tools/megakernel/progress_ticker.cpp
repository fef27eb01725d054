// ProgressTicker (see progress_ticker.h).
#include "progress_ticker.h"

#include <cstdio>

namespace mk::cli {
namespace {

std::string seconds(std::chrono::nanoseconds ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ns.count()) / 1e9);
  return text;
}

}  // namespace

ProgressTicker::ProgressTicker(std::ostream& err, std::string command, std::chrono::milliseconds interval)
    : m_err(err), m_command(std::move(command)), m_interval(interval), m_start(std::chrono::steady_clock::now()) {
  m_thread = std::thread([this] { run(); });
}

ProgressTicker::~ProgressTicker() { stop(); }

void ProgressTicker::phase(std::string name) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_phase = std::move(name);
}

void ProgressTicker::report(std::chrono::nanoseconds elapsed) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_err << m_command << ": " << m_phase << " (" << seconds(elapsed) << ")\n" << std::flush;
  m_printed = true;
}

bool ProgressTicker::printed() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_printed;
}

void ProgressTicker::run() {
  std::unique_lock<std::mutex> lock(m_mutex);
  auto next = m_start + m_interval;
  while (!m_wake.wait_until(lock, next, [this] { return m_stopping; })) {
    lock.unlock();
    report(std::chrono::steady_clock::now() - m_start);
    lock.lock();
    next += m_interval;
  }
}

void ProgressTicker::stop() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_stopping) return;
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void ProgressTicker::finish() {
  bool was_stopped = false;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    was_stopped = m_stopping;
  }
  stop();
  if (!was_stopped && printed())
    m_err << m_command << ": done in " << seconds(std::chrono::steady_clock::now() - m_start) << "\n" << std::flush;
}

}  // namespace mk::cli
