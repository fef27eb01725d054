// The GPU twin of tests/ir/test_typed_*: the typed IR (i32, f32, u64, conversions, 64-bit
// memory) through the CUDA JIT megakernel against the CPU backend, bit for bit, over the
// same edge-biased random operands (fixed seeds). Skips without a CUDA device.
// What this catches: device f32 results that differ from IEEE round-to-nearest-even on the
// host (flushed subnormals, contracted multiply-adds, approximate division or square root,
// non-canonical NaNs such as 0x7FFFFFFF), float->int conversions that saturate differently,
// i32/u64 lowering errors (INT_MIN / -1, shifts >= the width, mul_hi), and 64-bit accesses
// that check bounds, alignment or carry differently from the CPU.
// Every job is order-independent: items write their own words or add commutatively.
#include <gtest/gtest.h>

#include "gpu_util.h"
#include "ir/typed_generator.h"
#include "ir/typed_suite.h"

namespace mk::jit_test {
namespace {

using namespace ir::typed_test;

constexpr std::uint32_t SLOTS = 1024;
constexpr std::uint32_t WG = 64;
constexpr std::uint32_t STRIDE = 64;  // window words per item of the suite (even)

std::shared_ptr<Backend> cpu() { return make_cpu_backend({.threads = 2}); }

// The same job on both backends; the CPU's buffers are the reference.
void expect_same_on_both(const Megakernel& gpu, const Megakernel& host, const Job& job) {
  const Job want = run_on(host, job);
  const Job got = run_on(gpu, job);
  MK_EXPECT_SAME(want, got);
}

TEST(JitTyped, EveryOperationMatchesTheCpuBitForBit) {
  MK_REQUIRE_CUDA(cuda);
  const auto handlers = typed_handlers();
  auto gpu = Megakernel::bootstrap_sharded(cuda, SLOTS, WG, handlers);
  ASSERT_TRUE(gpu.has_value()) << gpu.error().what();
  auto host = Megakernel::bootstrap_sharded(cpu(), SLOTS, WG, handlers);
  ASSERT_TRUE(host.has_value()) << host.error().what();
  Operands r(77);
  static constexpr TypedOp OPS[] = {F32_OPS, F32_OPS, I32_OPS, U64_OPS};  // f32 has the most to get wrong
  for (std::uint32_t round = 0; round < 24; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Job job = Job::make(SLOTS, SLOTS * STRIDE, 1, 0, handlers);
    for (std::uint32_t i = 0; i < SLOTS * STRIDE; ++i) job.observable(i) = 0xDEADBEEFu;
    for (std::uint32_t s = 0; s < SLOTS; ++s) {
      const TypedOp op = OPS[(s + round) % std::size(OPS)];
      job.publish(s, op, typed_args(op, r, s * STRIDE));
    }
    const Job want = run_on(*host, job);
    for (std::uint32_t s = 0; s < SLOTS; ++s) ASSERT_EQ(want.status(s), abi::STATUS_DONE) << "slot " << s;
    const Job got = run_on(*gpu, job);
    const std::string diff = compare_jobs(want, got);
    ASSERT_TRUE(diff.empty()) << diff;
  }
}

TEST(JitTyped, MemoryAndDivisionFaultsMatchTheCpu) {
  MK_REQUIRE_CUDA(cuda);
  const auto handlers = typed_handlers();
  auto gpu = Megakernel::bootstrap_sharded(cuda, SLOTS, WG, handlers);
  ASSERT_TRUE(gpu.has_value()) << gpu.error().what();
  auto host = Megakernel::bootstrap_sharded(cpu(), SLOTS, WG, handlers);
  ASSERT_TRUE(host.has_value()) << host.error().what();
  // Tenant 1 sees 16 words from an odd base, so its odd addresses are the aligned ones.
  Job job = Job::make(SLOTS, 4096, 2, 0, handlers);
  for (std::uint32_t i = 0; i < 4096; ++i) job.observable(i) = i * 0x9E3779B9u;
  job.set_window(1, 3001, 16);
  Operands r(5);
  std::uint32_t s = 0;
  // Own pairs at 8k: store64, load64, atomic_add64 with carries.
  for (std::uint32_t k = 0; k < 200; ++k) {
    const std::uint64_t v = r.u64v();
    job.publish(s++, MEM64, {8 * k, static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(v >> 32), k % 3});
  }
  // Faults: odd, last word, past the end, far away; every mode; both tenants.
  for (std::uint32_t addr : {1601u, 4095u, 4096u, 0xFFFFFFFFu})
    for (std::uint32_t mode = 0; mode < 3; ++mode) job.publish(s++, MEM64, {addr, 1, 2, mode});
  for (std::uint32_t addr : {0u, 14u, 15u, 16u})
    for (std::uint32_t mode = 0; mode < 3; ++mode) job.publish(s++, MEM64, {addr, 3, 4, mode}, 1);
  for (std::uint32_t mode = 0; mode < 3; ++mode) job.publish(s++, MEM64, {1 + 2 * mode, 3, 4, mode}, 1);
  // Contended 64-bit adds to one pair (commutative): carries from many items.
  for (std::uint32_t k = 0; k < 300; ++k) job.publish(s++, MEM64, {2000, 0xFFFFFFF0u + k, k, 3});
  // Division by zero (marker stored first) and the INT_MIN / -1 rule through the fault handler.
  for (std::uint32_t mode = 0; mode < 4; ++mode)
    for (std::uint32_t b : {0u, 1u, 0xFFFFFFFFu}) {
      const std::uint32_t marker = 2400 + s;
      job.publish(s++, DIV_ZERO, {mode, 0x80000000u, b, marker});
    }
  ASSERT_LT(s, SLOTS);
  expect_same_on_both(*gpu, *host, job);
}

// Each item runs as its own tenant over its own 16-word window at an even base.
Job random_job(const std::vector<OpcodeHandler>& handlers, std::uint32_t round, ir::typed_test::TypedGenerator& gen) {
  constexpr std::uint32_t TENANTS = abi::MAX_TENANTS, WINDOW = 16;
  Job job = Job::make(TENANTS, TENANTS * WINDOW, TENANTS, 0, handlers);
  for (std::uint32_t i = 0; i < TENANTS * WINDOW; ++i) job.observable(i) = i * 0x9E3779B9u;
  for (std::uint32_t t = 0; t < TENANTS; ++t) {
    job.set_window(t, t * WINDOW, WINDOW);
    job.publish(t, handlers[(round * 7 + t) % handlers.size()].opcode, gen.args(), t);
  }
  return job;
}

TEST(JitTyped, RandomTypedBodiesMatchTheCpu) {
  MK_REQUIRE_CUDA(cuda);
  for (std::uint32_t seed : {2025u, 31u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TypedGenerator gen(seed);
    std::vector<OpcodeHandler> handlers;
    for (std::uint32_t k = 0; k < abi::MAX_CUSTOM_OPCODES; ++k)
      handlers.push_back({4096 + k, "t" + std::to_string(k), gen.body()});
    auto gpu = Megakernel::bootstrap_sharded(cuda, abi::MAX_TENANTS, 32, handlers);
    ASSERT_TRUE(gpu.has_value()) << gpu.error().what();
    auto host = Megakernel::bootstrap_sharded(cpu(), abi::MAX_TENANTS, 32, handlers);
    ASSERT_TRUE(host.has_value()) << host.error().what();
    std::uint32_t done = 0, faults = 0;
    for (std::uint32_t round = 0; round < 40; ++round) {
      SCOPED_TRACE("round " + std::to_string(round));
      const Job job = random_job(handlers, round, gen);
      const Job want = run_on(*host, job);
      const Job got = run_on(*gpu, job);
      const std::string diff = compare_jobs(want, got);
      ASSERT_TRUE(diff.empty()) << diff;
      for (std::uint32_t t = 0; t < abi::MAX_TENANTS; ++t) {
        done += got.status(t) == abi::STATUS_DONE;
        faults += got.status(t) == abi::STATUS_FAULT;
      }
    }
    EXPECT_GT(done, 1000u);
    EXPECT_GT(faults, 50u);
  }
}

}  // namespace
}  // namespace mk::jit_test
