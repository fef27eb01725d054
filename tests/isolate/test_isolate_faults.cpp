// Worker faults around one-shot dispatch: a kill -9 in the middle of a dispatch, a hung
// (stopped) worker, a worker killed while idle, and the restart budget.
#include <sys/wait.h>

#include <future>

#include "isolate_test_util.h"

namespace mk::isolate_test {
namespace {

// What this catches: a dispatch that hangs or returns stale buffers when its worker dies
// under it, an error that does not name what was running, and a recovery that reports
// Rebuilt without a working worker behind it.
TEST(IsolatedFaults, KillNineDuringADispatchIsDeviceLostNamingItThenRecoveryRebuilds) {
  IsolationOptions o;
  o.watchdog_timeout = 60s;  // the stopped worker must be killed by the test, not the watchdog
  auto backend = isolated_cpu(o);
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  ASSERT_TRUE(dispatch_is_correct(mk));
  const pid_t pid = isolate::test::worker_pid(*backend);
  const std::uint64_t generation = isolate::test::generation(*backend);
  // Frozen first, so the dispatch is certainly in the worker's hands when it dies.
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  auto control = encode_control(false, 4, 16);
  auto ring = encode_empty_ring(mk.slot_count());
  publish_slot(ring, 5, item(abi::OP_ATOMIC_ADD, 3, {1, 1}));
  auto lost = std::async(std::launch::async, [&] { return mk.dispatch(ConstByteSpan(control), ConstByteSpan(ring)); });
  ASSERT_TRUE(eventually([&] { return isolate::test::request_pending(*backend); }));
  const auto killed_at = Clock::now();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  auto result = lost.get();
  ASSERT_FALSE(result) << "a dispatch whose worker died must fail";
  const Error& e = result.error();
  EXPECT_EQ(e.kind(), ErrorKind::DeviceLost);
  EXPECT_NE(e.message().find("SIGKILL"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("one-shot dispatch"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("tenant 3"), std::string::npos) << "attributable: " << e.what();
  EXPECT_NE(e.fix().find("recover_after_device_loss"), std::string::npos) << e.fix();
  std::printf("lost dispatch: %s\n", e.what());

  const RecoveryReport report = mk.recover_after_device_loss();
  EXPECT_EQ(report.decision, RecoveryDecision::Rebuilt) << (report.failure ? report.failure->what() : "");
  ASSERT_TRUE(report.original.has_value());
  EXPECT_EQ(report.original->kind(), ErrorKind::DeviceLost);
  EXPECT_GT(isolate::test::generation(*backend), generation);
  EXPECT_NE(isolate::test::worker_pid(*backend), pid);
  EXPECT_TRUE(dispatch_is_correct(mk, 0xAB));
  std::printf("kill to next correct dispatch: %.1f ms\n",
              std::chrono::duration<double, std::milli>(Clock::now() - killed_at).count());
}

// What this catches: a stopped (hung) worker that keeps every later call waiting forever.
TEST(IsolatedFaults, HungWorkerIsKilledByTheWatchdogAndReplaced) {
  IsolationOptions o;
  o.watchdog_timeout = 300ms;
  auto backend = isolated_cpu(o);
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  const pid_t pid = isolate::test::worker_pid(*backend);
  ASSERT_TRUE(kill_worker_and_wait(*backend, SIGSTOP));
  EXPECT_NE(isolate::test::worker_pid(*backend), pid);
  EXPECT_EQ(isolate::test::fault_count(*backend), 1u);
  // The stopped worker was killed and reaped, not left behind.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_TRUE(dispatch_is_correct(mk));
  const RecoveryReport report = mk.recover_after_device_loss();
  EXPECT_EQ(report.decision, RecoveryDecision::Rebuilt);
}

// What this catches: pipelines that are not rebuilt in a new worker (the next dispatch
// fails with an unknown handle) and custom opcodes lost across the restart.
TEST(IsolatedFaults, IdleWorkerKilledIsReplacedWithItsPipelines) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  OpcodeHandler twice{0x1000, "twice", ir::body({ir::result(ir::arg(0) * ir::c(2))})};
  auto mk = value_or_throw(Megakernel::bootstrap_with_opcodes(backend, {twice}));
  ASSERT_TRUE(kill_worker_and_wait(*backend));
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(mk.slot_count());
  publish_slot(ring, 0, item(0x1000, 0, {21}));
  auto out = mk.dispatch_readback(ConstByteSpan(control), ConstByteSpan(ring));
  ASSERT_TRUE(out) << out.error().what();
  EXPECT_EQ(out->slots[0].result, 42u);
}

// What this catches: a worker that keeps dying being restarted forever (a crash loop), and
// an Unrecoverable that does not say why.
TEST(IsolatedFaults, RestartBudgetMakesTheThirdFaultUnrecoverable) {
  IsolationOptions o;
  o.max_faults = 3;
  o.fault_window = 60s;
  auto backend = isolated_cpu(o);
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  ASSERT_TRUE(kill_worker_and_wait(*backend));
  ASSERT_TRUE(kill_worker_and_wait(*backend));
  ASSERT_TRUE(dispatch_is_correct(mk));
  const std::uint64_t generation = isolate::test::generation(*backend);
  ASSERT_EQ(::kill(isolate::test::worker_pid(*backend), SIGKILL), 0);
  ASSERT_TRUE(isolate::test::wait_generation(*backend, generation + 1, 60s));
  ASSERT_TRUE(isolate::test::unrecoverable(*backend));
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(mk.slot_count());
  auto refused = mk.dispatch(ConstByteSpan(control), ConstByteSpan(ring));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::DeviceLost);
  EXPECT_NE(refused.error().message().find("3 times within 60 s"), std::string::npos) << refused.error().what();
  const RecoveryReport report = mk.recover_after_device_loss();
  EXPECT_EQ(report.decision, RecoveryDecision::Unrecoverable);
  ASSERT_TRUE(report.failure.has_value());
  EXPECT_NE(report.failure->message().find("SIGKILL"), std::string::npos) << report.failure->what();
  EXPECT_FALSE(report.failure->fix().empty());
  std::printf("budget: %s\n", report.failure->what());
}

// What this catches: an old fault counted against the budget forever.
TEST(IsolatedFaults, FaultsOutsideTheWindowDoNotCount) {
  IsolationOptions o;
  o.max_faults = 2;
  o.fault_window = std::chrono::seconds(0);  // every fault is alone in its window
  auto backend = isolated_cpu(o);
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(kill_worker_and_wait(*backend)) << "fault " << i;
  EXPECT_TRUE(dispatch_is_correct(mk));
}

}  // namespace
}  // namespace mk::isolate_test
