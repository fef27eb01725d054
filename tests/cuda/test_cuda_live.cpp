// GPU-only live-session tests: the soak, a kernel that dies with a CUDA error, and what
// the cuda live engine refuses. The behaviour shared with the CPU is in tests/live/.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <filesystem>
#include <thread>

#include "cuda/test_hooks.h"
#include "cuda/test_plain_kernel.h"
#include "live/returns_within.h"
#include "mk/mk.h"

namespace mk {
namespace {

using namespace std::chrono_literals;

std::optional<Megakernel> cuda_megakernel() {
  if (!cuda_available()) return std::nullopt;
  return value_or_throw(Megakernel::bootstrap(value_or_throw(make_backend("cuda"))));
}

// What this catches: slots lost or run twice when the ring wraps millions of times under
// four producers, counter runs dropped by the warp-aggregated flush, and a kernel that
// slows or stops over a long run. Bounded by MK_LIVE_SOAK_SECONDS (default 240).
TEST(GpuStress, LiveSoakBillionItems) {
  auto mk = cuda_megakernel();
  if (!mk) GTEST_SKIP() << "no CUDA device visible";
  const char* items_env = std::getenv("MK_LIVE_SOAK_ITEMS");
  const char* seconds_env = std::getenv("MK_LIVE_SOAK_SECONDS");
  const std::uint64_t target = items_env ? std::strtoull(items_env, nullptr, 10) : 1'000'000'000ull;
  const auto budget = std::chrono::seconds(seconds_env ? std::strtoll(seconds_env, nullptr, 10) : 240);
  constexpr std::uint32_t PRODUCERS = 4, BATCH = 4096, WINDOW = 4;
  LiveOptions options;
  options.slot_count = 1u << 16;
  options.tenant_count = PRODUCERS;
  options.observable_count = 64;
  options.watchdog_timeout = 5000ms;
  auto session = value_or_throw(LiveSession::start(*mk, options));

  std::atomic<std::uint64_t> submitted{0};
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) {
    producers.emplace_back([&, p] {
      // Producer p adds 1 to word p per item: the final words count each producer's items.
      std::vector<WorkItem> batch(
          BATCH, value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, p, std::vector<std::uint32_t>{p, 1})));
      std::deque<Ticket> window;
      while (!failed.load(std::memory_order_relaxed)) {
        if (submitted.fetch_add(BATCH) >= target || std::chrono::steady_clock::now() - start > budget) {
          submitted.fetch_sub(BATCH);
          break;
        }
        auto t = session.submit_wait(batch, 10s);
        if (!t) {
          submitted.fetch_sub(BATCH);
          ADD_FAILURE() << t.error().what();
          failed = true;
          break;
        }
        window.push_back(std::move(*t));
        if (window.size() > WINDOW) {
          auto ok = session.wait(window.front(), 10s);
          if (!ok || !*ok || window.front().fault_count() != 0) {
            ADD_FAILURE() << "ticket did not finish cleanly";
            failed = true;
            break;
          }
          window.pop_front();
        }
      }
    });
  }
  for (auto& t : producers) t.join();
  ASSERT_FALSE(failed.load());
  ASSERT_TRUE(session.drain(30s));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t total = submitted.load();
  std::vector<std::uint32_t> control;
  // Counters follow the harvested results within a sweep of the kernel.
  for (auto deadline = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < deadline;) {
    control = value_or_throw(session.read_control());
    if (control[abi::CTRL_DONE_COUNT] == static_cast<std::uint32_t>(total)) break;
  }
  std::printf("live soak: %llu items in %.1f s (%.1f M items/s), %u lanes\n", static_cast<unsigned long long>(total),
              seconds, static_cast<double>(total) / seconds / 1e6, session.lanes());
  EXPECT_EQ(session.stats().completed, total);
  EXPECT_EQ(control[abi::CTRL_DONE_COUNT], static_cast<std::uint32_t>(total));
  EXPECT_EQ(control[abi::CTRL_FAULT_COUNT], 0u);
  std::uint64_t sum = 0;
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) {
    const std::uint32_t word = control[abi::CTRL_OBSERVABLES + p];
    EXPECT_EQ(word, control[abi::tenant_word(p, abi::TENANT_DONE)]) << "producer " << p;
    sum += word;
  }
  EXPECT_EQ(sum, total) << "items lost or run twice";
  EXPECT_EQ(control[abi::CTRL_OPCODE_COUNTS + abi::IDX_ATOMIC_ADD], static_cast<std::uint32_t>(total));
  if (total < target)
    std::printf("live soak stopped by its time bound before %llu items\n", static_cast<unsigned long long>(target));
}

TEST(CudaLive, CustomOpcodesAreUnsupportedWithAFix) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device visible";
  OpcodeHandler handler{0x1000, "inc", ir::body({ir::result(ir::arg(0) + ir::c(1))})};
  auto mk = value_or_throw(Megakernel::bootstrap_with_opcodes(value_or_throw(make_backend("cuda")), {handler}));
  auto session = LiveSession::start(mk);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().kind(), ErrorKind::Unsupported);
  EXPECT_NE(session.error().fix().find("cpu"), std::string::npos) << session.error().what();
}

#if MK_TEST_HOOKS
// Runs alone (scripts/gpu-check): the trap leaves this process without a usable GPU.
TEST(LiveRecovery, TrappingKernelBecomesDeviceLostWithinTwiceTheTimeout) {
  auto mk = cuda_megakernel();
  if (!mk) GTEST_SKIP() << "no CUDA device visible";
  LiveOptions options;
  options.watchdog_timeout = 500ms;
  auto session = value_or_throw(LiveSession::start(*mk, options));
  // A healthy item first.
  std::vector<WorkItem> ok{value_or_throw(WorkItem::make(abi::OP_STORE_U32, 0, std::vector<std::uint32_t>{1, 5}))};
  auto first = value_or_throw(session.submit(ok));
  ASSERT_TRUE(value_or_throw(session.wait(first, 5s)));

  std::vector<WorkItem> trap{
      value_or_throw(WorkItem::make(detail::TEST_TRAP_OPCODE, 0, std::vector<std::uint32_t>{detail::TEST_TRAP_ARG}))};
  const auto start = std::chrono::steady_clock::now();
  auto ticket = value_or_throw(session.submit(trap));
  auto waited = session.wait(ticket, 30s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(waited) << "a dead kernel must be an error, not a result or a timeout";
  EXPECT_EQ(waited.error().kind(), ErrorKind::DeviceLost) << waited.error().what();
  EXPECT_LE(elapsed, 2 * options.watchdog_timeout);
  std::printf("live trap reported after %lld ms as: %s\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()),
              waited.error().what());
  auto again = session.submit(ok);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::DeviceLost);
  // The process cannot use the GPU again on some drivers (see Recovery.*); a fresh one can.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const int rc = std::system((self + " --gtest_filter=CudaLive.SessionStartsAndRuns > /dev/null").c_str());
  EXPECT_EQ(rc, 0) << "a fresh process could not start a live session after the trap";
  std::printf("a fresh process ran a live session after the trap (rc=%d)\n", rc);
}
#endif

#if MK_TEST_HOOKS
// What this catches: a live session that takes every SM, so a kernel the process launches
// on another stream never runs while the session lives (the user cannot use the GPU).
TEST(CudaLive, PlainKernelRunsBesideAnSmBoundedSession) {
  auto mk = cuda_megakernel();
  if (!mk) GTEST_SKIP() << "no CUDA device visible";
  // Its first H200 run (commit 62c69c1) hung before its own bounded wait: the first
  // launch of a kernel loads its module (lazy loading), and that waited for the live
  // kernel. The kernel, its stream and its memory are now made before the session starts
  // (passed on H200, session 6).
  ASSERT_TRUE(detail::test_plain_kernel_prepare());
  LiveOptions options;
  options.slot_count = 65536;  // unbounded, its grid would spread over every SM
  options.max_sms = 8;
  auto session = value_or_throw(LiveSession::start(*mk, options));
  EXPECT_LE(session.lanes(), 8u * 128u);
  std::vector<WorkItem> add{value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{0, 1}))};
  auto before = value_or_throw(session.submit(add));
  ASSERT_TRUE(value_or_throw(session.wait(before, 5s)));
  // Many more blocks than SMs: they queue for the free SMs and all finish.
  constexpr std::uint32_t BLOCKS = 4096;
  auto counted = detail::test_plain_kernel_count(BLOCKS, 20000ms);
  ASSERT_TRUE(counted) << counted.error().what();
  EXPECT_EQ(*counted, std::uint64_t{BLOCKS} * 256u);
  // The session is untouched.
  auto after = value_or_throw(session.submit(add));
  ASSERT_TRUE(value_or_throw(session.wait(after, 5s)));
  EXPECT_EQ(after.results()[0], (ItemResult{abi::STATUS_DONE, 1}));
  EXPECT_TRUE(session.health());
}
#endif

// What this catches: page-locked memory freed while a live kernel runs. cudaFreeHost
// waits for the whole device, so a BatchBuilder (its records are page-locked on CUDA) that
// went out of scope beside a running session hung forever (mk_bench_live on H200,
// session 8). Such frees are deferred until no live kernel runs.
TEST(CudaLive, BatchBuilderFreedBesideARunningSessionReturns) {
  auto mk = cuda_megakernel();
  if (!mk) GTEST_SKIP() << "no CUDA device visible";
  auto session = value_or_throw(LiveSession::start(*mk));
  live_test::expect_returns_within("a BatchBuilder's destructor beside a live kernel", 20s, [&] {
    auto b = value_or_throw(BatchBuilder::make(*mk, BatchShape::uniform(abi::OP_ATOMIC_ADD, 0, 2), 1 << 16));
    Word* r = b.append(1 << 16);
    for (std::uint32_t k = 0; k < (1u << 16); ++k) r[2 * k] = k % 64, r[2 * k + 1] = 1;
  });  // the builder's page-locked records are freed at the lambda's end, beside the live kernel
  // The session still runs items.
  std::vector<WorkItem> add{value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{0, 1}))};
  auto t = value_or_throw(session.submit(add));
  ASSERT_TRUE(value_or_throw(session.wait(t, 5s)));
  EXPECT_EQ(t.results()[0], (ItemResult{abi::STATUS_DONE, 0}));
}

TEST(CudaLive, SessionStartsAndRuns) {
  auto mk = cuda_megakernel();
  if (!mk) GTEST_SKIP() << "no CUDA device visible";
  auto session = value_or_throw(LiveSession::start(*mk));
  std::vector<WorkItem> items{value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{2, 9})),
                              value_or_throw(WorkItem::make(abi::OP_LOAD_U32, 0, std::vector<std::uint32_t>{2}))};
  auto t1 = value_or_throw(session.submit(std::span(items).first(1)));
  ASSERT_TRUE(value_or_throw(session.wait(t1, 5s)));
  auto t2 = value_or_throw(session.submit(std::span(items).last(1)));
  ASSERT_TRUE(value_or_throw(session.wait(t2, 5s)));
  EXPECT_EQ(t2.results()[0], (ItemResult{abi::STATUS_DONE, 9}));
}

}  // namespace
}  // namespace mk
