// Progress of a long command on stderr: after the first second, one line per second
// naming what it is doing, so a run of millions of items is never silent. Lines go to
// any stream (logs and pipes too, unlike the TTY-only ProgressBar).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

namespace mk::cli {

class ProgressTicker {
 public:
  ProgressTicker(std::ostream& err, std::string command,
                 std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  ~ProgressTicker();  // stop()
  ProgressTicker(const ProgressTicker&) = delete;
  ProgressTicker& operator=(const ProgressTicker&) = delete;

  // What the command does now ("reading job.json", "running 1000000 items").
  void phase(std::string name);
  // One progress line for `elapsed` (the ticker's thread calls this every interval).
  void report(std::chrono::nanoseconds elapsed);
  // Stop ticking, silently (an error follows). Idempotent.
  void stop();
  // Stop ticking after success; closes with "done in N s" when any line was printed.
  void finish();
  bool printed() const;

 private:
  void run();

  std::ostream& m_err;
  std::string m_command;
  std::chrono::milliseconds m_interval;
  std::chrono::steady_clock::time_point m_start;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::string m_phase = "starting";
  bool m_stopping = false;
  bool m_printed = false;
  std::thread m_thread;
};

}  // namespace mk::cli
