// mk_test_isolate_host MODE: holds an isolated CPU backend with a live session in flight,
// prints "worker <pid>" and waits for SIGINT. MODE "default": SIGINT kills it (no
// destructor runs; the worker must die by PR_SET_PDEATHSIG). MODE "exit": SIGINT is
// caught, main returns (destructors run; the supervisor must reap the worker).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "isolate/test_access.h"
#include "mk/mk.h"

int main(int argc, char** argv) {
  const bool catch_it = argc > 1 && std::strcmp(argv[1], "exit") == 0;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  if (catch_it) sigprocmask(SIG_BLOCK, &set, nullptr);  // taken by sigwait below
  mk::BackendOptions options;
  options.isolation = mk::Isolation::Process;
  options.isolate.worker_path = MK_TEST_WORKER_PATH;
  auto backend = mk::value_or_throw(mk::make_backend("cpu", options));
  auto megakernel = mk::value_or_throw(mk::Megakernel::bootstrap(backend));
  auto session = mk::value_or_throw(mk::LiveSession::start(megakernel));
  std::vector<mk::WorkItem> batch(100, mk::value_or_throw(mk::WorkItem::make(mk::abi::OP_NOP, 0, {})));
  auto ticket = mk::value_or_throw(session.submit(batch));
  (void)session.wait(ticket, std::chrono::seconds(10));
  std::printf("worker %d\n", static_cast<int>(mk::isolate::test::worker_pid(*backend)));
  std::fflush(stdout);
  if (!catch_it) {
    for (;;) pause();
  }
  int sig = 0;
  sigwait(&set, &sig);
  return 0;  // ~LiveSession, ~Megakernel, ~backend: the supervisor stops its worker
}
