// Starting, killing and reaping the worker process: posix_spawn (never a bare fork of a
// process that may hold a CUDA context), a pidfd to watch it, SIGKILL to end it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "mk/error.h"

namespace mk::isolate {

class WorkerProcess {
 public:
  WorkerProcess() = default;
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;
  WorkerProcess(WorkerProcess&& other) noexcept { *this = std::move(other); }
  WorkerProcess& operator=(WorkerProcess&& other) noexcept;
  ~WorkerProcess();  // kills and reaps a worker still running

  // Spawn `path args...` with `arena_fd` as its fd 3, every other descriptor closed, an
  // empty signal mask, default dispositions and its own process group (a terminal's
  // Ctrl-C reaches the caller, not the worker: the worker dies with its parent instead).
  static Result<WorkerProcess> spawn(const std::string& path, const std::vector<std::string>& args, int arena_fd);

  pid_t pid() const noexcept { return m_pid; }
  explicit operator bool() const noexcept { return m_pid > 0; }
  // Wait up to `timeout` for the worker to exit; true once it has (then reaped).
  bool wait_exit(std::chrono::milliseconds timeout);
  // SIGKILL (through the pidfd) and reap.
  void kill_and_reap() noexcept;
  // How it ended, once reaped: "exited with status 3", "was killed by signal 9 (SIGKILL)".
  const std::string& exit_description() const noexcept { return m_exit; }
  bool killed_by_signal() const noexcept { return m_signal != 0; }
  int pidfd() const noexcept { return m_pidfd; }

 private:
  bool try_reap(bool block) noexcept;
  pid_t m_pid = -1;
  int m_pidfd = -1;
  int m_signal = 0;
  std::string m_exit;
};

}  // namespace mk::isolate
