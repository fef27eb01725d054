// GPU tests of isolated CUDA backends (Isolation::Process): a trapping item kills the
// worker's context, recovery replaces the worker, and this process (which never
// initialises CUDA itself) dispatches correctly again. Skips cleanly without a GPU.
// Run by the lead on the H200: test_cuda_isolated (cuda preset: the trap opcode exists
// only with MK_TEST_HOOKS), mk-worker next to it or in MK_WORKER_PATH.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cuda/test_hooks.h"
#include "mk/mk.h"

namespace mk {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// MK_WORKER_PATH, else mk-worker beside this binary (.device/bin), else the build tree's.
std::string worker_path() {
  if (const char* env = std::getenv("MK_WORKER_PATH")) return env;
  std::error_code ec;
  const auto beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "mk-worker";
  if (!ec && access(beside.c_str(), X_OK) == 0) return beside.string();
  return MK_TEST_WORKER_PATH;
}

bool cuda_loaded_here() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find("libcuda.so") != std::string::npos) return true;
  return false;
}

// The isolated CUDA backend, or nullopt (with the reason) where the worker has no GPU.
std::optional<std::shared_ptr<Backend>> isolated_cuda(std::string& why) {
  BackendOptions options;
  options.isolation = Isolation::Process;
  options.isolate.worker_path = worker_path();
  auto backend = make_backend("cuda", options);
  if (!backend) {
    why = backend.error().what();
    if (backend.error().kind() != ErrorKind::Unsupported) ADD_FAILURE() << why;
    return std::nullopt;
  }
  return *backend;
}

WorkItem item(std::uint32_t opcode, std::initializer_list<std::uint32_t> args) {
  return value_or_throw(WorkItem::make(opcode, 0, std::span<const std::uint32_t>(args.begin(), args.size())));
}

bool store_runs(const Megakernel& mk, std::uint32_t value) {
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(mk.slot_count());
  publish_slot(ring, 0, item(abi::OP_STORE_U32, {3, value}));
  auto out = mk.dispatch(ConstByteSpan(control), ConstByteSpan(ring));
  if (!out) ADD_FAILURE() << out.error().what();
  return out && read_observable(out->control, 3) == value;
}

TEST(CudaIsolated, DispatchAndLiveSessionRunInTheWorker) {
  const bool loaded_before = cuda_loaded_here();
  std::string why;
  auto backend = isolated_cuda(why);
  if (!backend) GTEST_SKIP() << why;
  EXPECT_EQ((*backend)->name(), "cuda");
  auto mk = value_or_throw(Megakernel::bootstrap(*backend));
  EXPECT_TRUE(store_runs(mk, 0x1234));
  auto session = value_or_throw(LiveSession::start(mk));
  std::vector<WorkItem> batch(1000, item(abi::OP_ATOMIC_ADD, {1, 1}));
  auto ticket = value_or_throw(session.submit(batch));
  ASSERT_TRUE(value_or_throw(session.wait(ticket, 10s)));
  ASSERT_TRUE(session.drain(10s));
  EXPECT_EQ(value_or_throw(session.read_control())[abi::CTRL_OBSERVABLES + 1], 1000u);
  if (!loaded_before) {
    EXPECT_FALSE(cuda_loaded_here()) << "the caller's process loaded the CUDA driver";
  }
}

#if MK_TEST_HOOKS
// What this catches: a trap that takes the caller's process down with the context, a
// recovery that reports Rebuilt without a working device behind it, and (the reason for
// isolation) a driver that refuses the trapped process a new context: here the new
// context belongs to a new worker, so the same caller dispatches again.
TEST(CudaIsolated, TrapKillsTheWorkerRecoveryRebuildsAndTheNextDispatchIsCorrect) {
  const bool loaded_before = cuda_loaded_here();
  std::string why;
  auto backend = isolated_cuda(why);
  if (!backend) GTEST_SKIP() << why;
  auto mk = value_or_throw(Megakernel::bootstrap_sharded(*backend, 256, 64));
  ASSERT_TRUE(store_runs(mk, 1));
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(256);
  publish_slot(ring, 0, item(detail::TEST_TRAP_OPCODE, {detail::TEST_TRAP_ARG}));
  const auto trapped_at = Clock::now();
  auto lost = mk.dispatch(ConstByteSpan(control), ConstByteSpan(ring));
  ASSERT_FALSE(lost) << "a trapping item must not come back as a result";
  EXPECT_EQ(lost.error().kind(), ErrorKind::DeviceLost) << lost.error().what();
  EXPECT_NE(lost.error().message().find("slot 0"), std::string::npos) << "attributable: " << lost.error().what();
  std::printf("trap reported as: %s\n", lost.error().what());
  const RecoveryReport report = mk.recover_after_device_loss();
  ASSERT_EQ(report.decision, RecoveryDecision::Rebuilt) << (report.failure ? report.failure->what() : "");
  ASSERT_TRUE(report.original.has_value());
  EXPECT_TRUE(store_runs(mk, 0xBEEF)) << "the next dispatch in the same caller process";
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - trapped_at).count();
  std::printf("trap to next correct dispatch: %.1f ms (same caller process, new worker)\n", ms);
  if (!loaded_before) {
    EXPECT_FALSE(cuda_loaded_here()) << "the caller's process loaded the CUDA driver";
  }
}

// What this catches: live tickets that hang when the worker's live kernel traps. The
// CUDA live kernel cannot resume mid-ring, so the session ends: in-flight items are named
// lost, later waits fail, and a new session on the same backend runs.
TEST(CudaIsolated, TrapInALiveSessionEndsEveryTicketAndANewSessionRuns) {
  std::string why;
  auto backend = isolated_cuda(why);
  if (!backend) GTEST_SKIP() << why;
  auto mk = value_or_throw(Megakernel::bootstrap(*backend));
  LiveOptions options;
  options.watchdog_timeout = 1s;
  auto session = value_or_throw(LiveSession::start(mk, options));
  std::vector<WorkItem> ok(100, item(abi::OP_ATOMIC_ADD, {1, 1}));
  auto first = value_or_throw(session.submit(ok));
  ASSERT_TRUE(value_or_throw(session.wait(first, 10s)));
  std::vector<WorkItem> trap{item(detail::TEST_TRAP_OPCODE, {detail::TEST_TRAP_ARG})};
  const auto trapped_at = Clock::now();
  auto doomed = value_or_throw(session.submit(trap));
  auto waited = session.wait(doomed, 60s);
  ASSERT_FALSE(waited) << "a trapped item must end with an error, never a result or a hang";
  EXPECT_EQ(waited.error().kind(), ErrorKind::DeviceLost) << waited.error().what();
  std::printf("live trap ended its ticket after %.1f ms: %s\n",
              std::chrono::duration<double, std::milli>(Clock::now() - trapped_at).count(), waited.error().what());
  EXPECT_TRUE(first.ready()) << "finished tickets keep their results";
  const RecoveryReport report = mk.recover_after_device_loss();
  EXPECT_NE(report.decision, RecoveryDecision::Unrecoverable) << (report.failure ? report.failure->what() : "");
  auto fresh = value_or_throw(LiveSession::start(mk, options));
  auto again = value_or_throw(fresh.submit(ok));
  ASSERT_TRUE(value_or_throw(fresh.wait(again, 10s)));
  std::printf("live trap to a new session's first result: %.1f ms; last fault: %s\n",
              std::chrono::duration<double, std::milli>(Clock::now() - trapped_at).count(),
              session.stats().last_fault.c_str());
}
#endif

}  // namespace
}  // namespace mk
