// Helpers shared by the isolation tests: isolated backends on the build tree's worker,
// items, and bounded waits for conditions (never sleeps as synchronisation).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "isolate/test_access.h"
#include "mk/mk.h"

#ifndef MK_TEST_WORKER_PATH
#error "tests/isolate/CMakeLists.txt passes the build tree's mk-worker"
#endif

namespace mk::isolate_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline BackendOptions isolated(IsolationOptions isolate = {}) {
  BackendOptions options;
  options.isolation = Isolation::Process;
  options.isolate = std::move(isolate);
  if (options.isolate.worker_path.empty()) options.isolate.worker_path = MK_TEST_WORKER_PATH;
  options.cpu.threads = 2;
  return options;
}

inline std::shared_ptr<Backend> isolated_cpu(IsolationOptions isolate = {}) {
  auto backend = make_backend("cpu", isolated(std::move(isolate)));
  if (!backend) ADD_FAILURE() << backend.error().what() << " / fix: " << backend.error().fix();
  return backend ? *backend : nullptr;
}

inline WorkItem item(std::uint32_t opcode, std::uint32_t tenant, std::initializer_list<std::uint32_t> args = {}) {
  return value_or_throw(WorkItem::make(opcode, tenant, std::span<const std::uint32_t>(args.begin(), args.size())));
}

// Poll `condition` until it holds (yield, then 1 ms steps: the cores belong to the
// worker); false when `limit` passed first. A bounded wait for a condition, never a
// sleep that stands in for one.
template <class F>
bool eventually(F&& condition, std::chrono::milliseconds limit = 30s) {
  const auto deadline = Clock::now() + limit;
  for (std::uint32_t i = 0; !condition(); ++i) {
    if (Clock::now() >= deadline) return false;
    if (i < 1000)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Kill the backend's worker with `sig` and wait until its replacement answers.
inline ::testing::AssertionResult kill_worker_and_wait(const Backend& backend, int sig = SIGKILL) {
  const std::uint64_t before = isolate::test::generation(backend);
  const pid_t pid = isolate::test::worker_pid(backend);
  if (pid <= 0) return ::testing::AssertionFailure() << "no worker pid";
  if (::kill(pid, sig) != 0) return ::testing::AssertionFailure() << "kill failed";
  if (!isolate::test::wait_generation(backend, before + 1, 60s))
    return ::testing::AssertionFailure() << "no new worker within 60 s";
  if (isolate::test::unrecoverable(backend)) return ::testing::AssertionFailure() << "the restart budget ran out";
  return ::testing::AssertionSuccess();
}

// One STORE_U32 through a one-shot dispatch: the backend computes correctly.
inline ::testing::AssertionResult dispatch_is_correct(const Megakernel& mk, std::uint32_t value = 0x5EED) {
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(mk.slot_count());
  publish_slot(ring, 0, item(abi::OP_STORE_U32, 0, {3, value}));
  auto out = mk.dispatch(ConstByteSpan(control), ConstByteSpan(ring));
  if (!out) return ::testing::AssertionFailure() << "dispatch failed: " << out.error().what();
  if (read_observable(out->control, 3) != value)
    return ::testing::AssertionFailure() << "observable 3 = " << read_observable(out->control, 3);
  return ::testing::AssertionSuccess();
}

}  // namespace mk::isolate_test
