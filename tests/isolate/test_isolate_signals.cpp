// Cleaning up: a caller killed by SIGINT takes its worker with it (PR_SET_PDEATHSIG), a
// caller that exits reaps it (the supervisor's destructor), and destroying a backend
// leaves no process, file descriptor or shared mapping behind.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <fstream>

#include "isolate_test_util.h"

extern char** environ;

namespace mk::isolate_test {
namespace {

int open_fds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

bool arena_mapped() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find("mk-isolate-arena") != std::string::npos) return true;
  return false;
}

// Wait (bounded) until `pid` has exited; reaps it when it became our child.
bool exits_within(int pidfd, pid_t pid, std::chrono::milliseconds limit) {
  pollfd p{pidfd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(limit.count())) != 1) return false;
  (void)waitpid(pid, nullptr, WNOHANG);  // orphans come to us (PR_SET_CHILD_SUBREAPER)
  return true;
}

// Start the host in `mode`, read its worker's pid, SIGINT the host; the worker must go.
void sigint_host(const char* mode, bool host_killed_by_sigint) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const char* argv[] = {MK_TEST_HOST_PATH, mode, nullptr};
  pid_t host = -1;
  ASSERT_EQ(posix_spawn(&host, MK_TEST_HOST_PATH, &actions, nullptr, const_cast<char**>(argv), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  char line[64] = {};
  std::size_t got = 0;
  while (got < sizeof line - 1) {
    const ssize_t r = read(out[0], line + got, 1);
    if (r <= 0 || line[got] == '\n') break;
    ++got;
  }
  close(out[0]);
  int worker = 0;
  ASSERT_EQ(std::sscanf(line, "worker %d", &worker), 1) << "host said: " << line;
  const int worker_fd = static_cast<int>(syscall(SYS_pidfd_open, worker, 0));
  ASSERT_GE(worker_fd, 0);
  ASSERT_EQ(::kill(host, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(host, &status, 0), host);
  if (host_killed_by_sigint) {
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << "status " << status;
  } else {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  EXPECT_TRUE(exits_within(worker_fd, worker, 10s)) << "worker " << worker << " outlived its caller (an orphan)";
  close(worker_fd);
}

// What this catches: a worker (holding a GPU context) orphaned when its caller dies of a
// signal without running a single destructor.
TEST(IsolatedSignals, SigintKillingTheCallerKillsItsWorker) { sigint_host("default", true); }

// What this catches: a supervisor whose destructor leaves its worker running or unreaped.
TEST(IsolatedSignals, CallerThatExitsOnSigintReapsItsWorker) { sigint_host("exit", false); }

// What this catches: file descriptors, the shared arena mapping or the worker process
// left behind by a destroyed backend (no leaked shm: the memfd is gone with its fds and
// mappings).
TEST(IsolatedSignals, DestroyedBackendLeavesNoProcessFdOrMapping) {
  const int fds = open_fds();
  pid_t worker = -1;
  {
    auto backend = isolated_cpu();
    ASSERT_TRUE(backend);
    worker = isolate::test::worker_pid(*backend);
    auto mk = value_or_throw(Megakernel::bootstrap(backend));
    auto session = value_or_throw(LiveSession::start(mk));
    EXPECT_TRUE(dispatch_is_correct(mk));
    EXPECT_TRUE(arena_mapped());
  }
  EXPECT_EQ(::kill(worker, 0), -1) << "the worker must be gone and reaped";
  EXPECT_EQ(open_fds(), fds) << "a file descriptor leaked";
  EXPECT_FALSE(arena_mapped()) << "the shared arena is still mapped";
}

}  // namespace
}  // namespace mk::isolate_test
