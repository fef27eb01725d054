// WorkerProcess: posix_spawn with file actions and attributes, pidfd_open, pidfd_send_signal.
#include "isolate/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "isolate/channel.h"

extern char** environ;

namespace mk::isolate {
namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

std::string signal_text(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return "was killed by signal " + std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
}

}  // namespace

WorkerProcess& WorkerProcess::operator=(WorkerProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    m_pid = std::exchange(other.m_pid, -1);
    m_pidfd = std::exchange(other.m_pidfd, -1);
    m_signal = std::exchange(other.m_signal, 0);
    m_exit = std::move(other.m_exit);
  }
  return *this;
}

WorkerProcess::~WorkerProcess() { kill_and_reap(); }

Result<WorkerProcess> WorkerProcess::spawn(const std::string& path, const std::vector<std::string>& args,
                                           int arena_fd) {
  // dup2(fd, fd) would keep FD_CLOEXEC: move the arena off fd 3 first.
  int source = arena_fd;
  int moved = -1;
  if (source == ARENA_FD) {
    moved = fcntl(source, F_DUPFD_CLOEXEC, ARENA_FD + 1);
    if (moved < 0)
      return fail(ErrorKind::Backend, std::string("dup of the arena fd failed: ") + std::strerror(errno),
                  "free file descriptors");
    source = moved;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, source, ARENA_FD);
  // Nothing else of the caller's reaches the worker (glibc 2.34+).
  posix_spawn_file_actions_addclosefrom_np(&actions, ARENA_FD + 1);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (moved >= 0) close(moved);
  if (rc != 0) {
    const bool not_a_worker = rc == ENOENT || rc == EACCES || rc == ENOEXEC;
    return fail(not_a_worker ? ErrorKind::Unsupported : ErrorKind::Backend,
                "starting the worker \"" + path + "\" failed: " + std::strerror(rc),
                not_a_worker ? "point MK_WORKER_PATH (or IsolationOptions::worker_path) at the mk-worker executable "
                               "of this build, or install megakernel"
                             : "free processes or memory (see ulimit -u), then retry");
  }
  WorkerProcess w;
  w.m_pid = pid;
  w.m_pidfd = pidfd_open(pid);  // -1 on kernels before 5.3: then waitpid polling only
  return w;
}

bool WorkerProcess::try_reap(bool block) noexcept {
  if (m_pid <= 0) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(m_pid, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r < 0) {
    // ECHILD: SIGCHLD is ignored in this process, so the kernel reaped it already.
    m_exit = "exited (status unknown: SIGCHLD is ignored in this process)";
  } else if (WIFSIGNALED(status)) {
    m_signal = WTERMSIG(status);
    m_exit = signal_text(m_signal);
  } else {
    m_exit = "exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (m_pidfd >= 0) close(m_pidfd);
  m_pidfd = -1;
  m_pid = -1;
  return true;
}

bool WorkerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (m_pid <= 0) return true;
  if (m_pidfd >= 0) {
    pollfd p{m_pidfd, POLLIN, 0};
    int r;
    do {
      r = poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return false;
    return try_reap(true);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (try_reap(false)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    usleep(1000);  // no pidfd (kernel < 5.3): poll the exit status
  }
}

void WorkerProcess::kill_and_reap() noexcept {
  if (m_pid <= 0) return;
  if (m_pidfd >= 0)
    (void)syscall(SYS_pidfd_send_signal, m_pidfd, SIGKILL, nullptr, 0);
  else
    (void)::kill(m_pid, SIGKILL);
  (void)try_reap(true);
}

}  // namespace mk::isolate
