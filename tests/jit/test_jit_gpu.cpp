// Custom opcodes on the CUDA backend (JIT) against the CPU evaluator, word for word:
// arithmetic, loops, every fault, printf, requeue, packed slots, tenants with windows.
// What this catches: lowered code whose semantics drift from docs/ir.md (wrap, shifts,
// unsigned compares, evaluation order, partial effects before a fault, step counting),
// and a JIT kernel whose round logic or accounting differs from the built-in kernel's.
// Every job is order-independent: items touch their own words or commute.
#include <gtest/gtest.h>

#include <random>

#include "cuda/cuda_pipeline.h"
#include "gpu_util.h"
#include "suite.h"

namespace mk::jit_test {
namespace {

constexpr std::uint32_t SLOTS = 1024;
constexpr std::uint32_t WG = 64;
constexpr std::uint32_t OBSERVABLES = 8192;

const Megakernel& suite_megakernel(const std::shared_ptr<Backend>& cuda) {
  static std::optional<Megakernel> mk;
  if (!mk) mk = value_or_throw(Megakernel::bootstrap_sharded(cuda, SLOTS, WG, suite_handlers()));
  return *mk;
}

Job suite_job(std::uint32_t tenants = 1, std::uint32_t log_records = 0) {
  Job job = Job::make(SLOTS, OBSERVABLES, tenants, log_records, suite_handlers());
  for (std::uint32_t i = 0; i < OBSERVABLES; ++i) job.observable(i) = i * 0x9E3779B9u;
  return job;
}

// Oracle and device on the same job; returns the device's buffers.
Job expect_same_as_oracle(const std::shared_ptr<Backend>& cuda, const Job& job) {
  Job want = job;
  run_oracle(want);
  Job got = run_on(suite_megakernel(cuda), job);
  MK_EXPECT_SAME(want, got);
  return got;
}

TEST(JitGpu, BackendAdvertisesCustomOpcodes) {
  MK_REQUIRE_CUDA(cuda);
  EXPECT_TRUE(cuda->supports(Feature::CustomOpcodes));
  EXPECT_TRUE(cuda->supports(Feature::PayloadProcessor));
}

TEST(JitGpu, ArithmeticAndLoopsMatchTheEvaluator) {
  MK_REQUIRE_CUDA(cuda);
  Rng rng(1);
  static constexpr std::uint32_t EDGES[] = {0, 1, 2, 31, 32, 33, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu};
  auto value = [&] { return rng() % 3 == 0 ? EDGES[rng() % std::size(EDGES)] : static_cast<std::uint32_t>(rng()); };
  Job job = suite_job();
  for (std::uint32_t s = 0; s < 600; ++s)  // four own words each at 4s
    job.publish(s, ARITH, {value(), value(), rng() % 3 == 0 ? value() : rng() % 40, 4 * s});
  for (std::uint32_t s = 600; s < SLOTS; ++s)  // reads a shared table, writes four own words
    job.publish(s, LOOPS, {value(), 7000 + rng() % 100, 2400 + 4 * (s - 600)});
  const Job got = expect_same_as_oracle(cuda, job);
  for (std::uint32_t s = 0; s < SLOTS; ++s) ASSERT_EQ(got.status(s), abi::STATUS_DONE) << "slot " << s;
}

TEST(JitGpu, EveryFaultKindWithItsPartialEffects) {
  MK_REQUIRE_CUDA(cuda);
  Job job = suite_job();
  std::uint32_t s = 0, addr = 0;
  auto next = [&] { return addr += 4, addr - 4; };
  for (std::uint32_t y : {0u, 1u, 7u}) {
    job.publish(s++, DIVIDE, {next(), 100, y, 0});
    job.publish(s++, DIVIDE, {next(), 100, y, 1});
  }
  for (std::uint32_t kind = 0; kind < 4; ++kind)
    for (std::uint32_t probe : {2u, 3u, OBSERVABLES, 0xFFFFFFFFu}) {  // 2, 3: the item's own words
      const std::uint32_t own = next();
      job.publish(s++, BOUNDS, {own, probe < 4 ? own + probe : probe, kind});
    }
  const std::uint32_t budget_slot = s, budget_addr = next();
  job.publish(s++, BUDGET, {budget_addr});
  const std::uint32_t edge_slot = s, edge_addr = next();
  job.publish(s++, BUDGET_EDGE, {edge_addr});
  const std::uint32_t over_slot = s, over_addr = next();
  job.publish(s++, BUDGET_OVER, {over_addr});
  for (std::uint32_t code = 0; code < 4; ++code) job.publish(s++, USER, {code, next()});
  for (std::uint32_t cond : {0u, 1u}) {
    job.publish(s++, SHORT_CIRCUIT, {cond, 10, 0xFFFFFFF0u});  // b out of bounds, chosen when cond == 0
    job.publish(s++, SHORT_CIRCUIT, {cond, 0xFFFFFFF0u, 11});  // a out of bounds, chosen when cond == 1
  }
  job.publish(s++, 0x5555, {});  // not registered: UNKNOWN_OPCODE
  const Job got = expect_same_as_oracle(cuda, job);

  // Independent of the oracle: the documented outcomes.
  std::uint32_t faults[abi::FAULT_CODE_COUNT] = {};
  for (std::uint32_t k = 0; k < s; ++k)
    if (got.status(k) == abi::STATUS_FAULT) ++faults[got.result(k)];
  EXPECT_EQ(faults[abi::FAULT_DIVIDE_BY_ZERO], 2u + 1u);  // x / 0, x % 0, user fault(9)
  EXPECT_EQ(faults[abi::FAULT_OUT_OF_BOUNDS], 4u * 2u + 2u);
  EXPECT_EQ(faults[abi::FAULT_STEP_BUDGET], 2u);
  EXPECT_EQ(faults[abi::FAULT_USER_FAULT], 1u);
  EXPECT_EQ(faults[abi::FAULT_BAD_ARGS], 1u);
  EXPECT_EQ(faults[abi::FAULT_UNKNOWN_OPCODE], 1u);
  Job view = got;
  // BUDGET faults at the store of trip 32767 (step 65537): trip 32766 was the last stored.
  EXPECT_EQ(got.status(budget_slot), abi::STATUS_FAULT);
  EXPECT_EQ(view.observable(budget_addr), 32766u);
  EXPECT_EQ(got.status(edge_slot), abi::STATUS_DONE);
  EXPECT_EQ(view.observable(edge_addr + 1), 99u);
  EXPECT_EQ(got.status(over_slot), abi::STATUS_FAULT);
  EXPECT_EQ(view.observable(over_addr + 1), 99u);                            // step 65536 ran
  EXPECT_EQ(view.observable(over_addr + 2), (over_addr + 2) * 0x9E3779B9u);  // step 65537 did not
  EXPECT_EQ(view.control[abi::CTRL_FAULT_COUNT], 18u);
}

TEST(JitGpu, PrintfRecordsMatch) {
  MK_REQUIRE_CUDA(cuda);
  Job job = suite_job(4, 2048);
  for (std::uint32_t s = 0; s < 200; ++s) job.publish(s, PRINTS, {s, s * 3, s ^ 0x55, 0xFFFFFFFFu - s}, s % 4);
  const Job got = expect_same_as_oracle(cuda, job);
  EXPECT_EQ(got.log[abi::LOG_CURSOR], 200u * 6u);
  // Without a debug log, printf faults BAD_ARGS like the built-in PRINTF.
  Job no_log = suite_job();
  for (std::uint32_t s = 0; s < 10; ++s) no_log.publish(s, PRINTS, {s});
  const Job bad = expect_same_as_oracle(cuda, no_log);
  EXPECT_EQ(bad.status(0), abi::STATUS_FAULT);
  EXPECT_EQ(bad.result(0), abi::FAULT_BAD_ARGS);
  // A full log drops records but counts the claims; the item goes on.
  Job small = suite_job(1, 3);
  for (std::uint32_t s = 0; s < 10; ++s) small.publish(s, PRINTS, {s});
  const Job full = expect_same_as_oracle(cuda, small);
  EXPECT_EQ(full.log[abi::LOG_CURSOR], 60u);
  EXPECT_EQ(full.status(9), abi::STATUS_DONE);
}

TEST(JitGpu, RequeueRerunsUntilDoneOrTheLimit) {
  MK_REQUIRE_CUDA(cuda);
  Job job = suite_job();
  const std::uint32_t times[] = {0, 1, 5, 63, 64, 65, 200};
  for (std::uint32_t k = 0; k < std::size(times); ++k) {
    job.observable(4 * k) = 0;
    job.publish(k, REQUEUES, {4 * k, times[k]});
  }
  const Job got = expect_same_as_oracle(cuda, job);
  for (std::uint32_t k = 0; k < std::size(times); ++k) {
    SCOPED_TRACE(times[k]);
    if (times[k] <= abi::MAX_REQUEUES) {
      EXPECT_EQ(got.status(k), abi::STATUS_DONE);
      EXPECT_EQ(got.result(k), times[k] + 100);
    } else {
      EXPECT_EQ(got.status(k), abi::STATUS_FAULT);
      EXPECT_EQ(got.result(k), abi::FAULT_STEP_BUDGET);
    }
  }
}

TEST(JitGpu, TenantsWindowsAndAuthorisation) {
  MK_REQUIRE_CUDA(cuda);
  Job job = suite_job(8, 0);
  job.set_window(1, 512, 256);
  job.set_window(2, 1024, 64);
  job.set_allow(2, ~(std::uint64_t{1} << (abi::FIRST_CUSTOM_INDEX + (IDENT - ARITH))));  // no IDENT
  job.control[abi::tenant_word(3, abi::TENANT_FLAGS)] = 0;                               // disabled
  job.set_window(4, 100, 0);                                                             // empty window
  job.set_window(5, OBSERVABLES - 8, 1000);                                              // clamped to 8 words
  job.set_window(6, 2048, 512);
  job.set_window(7, 2560, 512);
  std::uint32_t s = 0;
  for (std::uint32_t t = 0; t < 9; ++t)  // tenant 8 does not exist
    for (std::uint32_t a : {0u, 3u, 7u, 8u, 63u, 64u, 255u, 256u}) {
      // Own words per tenant (IDENT) and per-tenant counters that no IDENT touches.
      job.publish(s++, IDENT, {a + (t == 0 ? 4000 : 0)}, t);
      job.publish(s++, COUNTER, {200 + a % 4, t + 1}, t);
    }
  const Job got = expect_same_as_oracle(cuda, job);
  Job view = got;
  EXPECT_EQ(view.observable(512 + 7), (1u << 16) | 20u);        // tenant 1's addr 7, from slot 16 + 2 * 2
  EXPECT_EQ(got.result(16 + 2 * 7), abi::FAULT_OUT_OF_BOUNDS);  // tenant 1's addr 256
  EXPECT_EQ(got.result(2 * 16), abi::FAULT_UNAUTHORIZED);       // tenant 2 may not run IDENT
  EXPECT_EQ(got.result(3 * 16 + 1), abi::FAULT_UNAUTHORIZED);   // tenant 3 is disabled
  EXPECT_EQ(got.result(4 * 16), abi::FAULT_OUT_OF_BOUNDS);      // tenant 4's window is empty
  EXPECT_EQ(got.status(8 * 16), abi::STATUS_FAULT);             // tenant 8 does not exist
}

TEST(JitGpu, PackedSlotsCarryCustomOpcodes) {
  MK_REQUIRE_CUDA(cuda);
  Job job = suite_job(2, 0);
  const std::vector<std::vector<PackedOp>> packs = {
      {{PACKABLE, {1, 2, 3}}},
      {{abi::OP_STORE_U32, {40, 9}}, {PACKABLE, {4, 5}}, {abi::OP_LOAD_U32, {40}}},
      {{abi::OP_ATOMIC_ADD, {41, 1}}, {PACKABLE_REQUEUE, {}}},  // BAD_ARGS after the add
      {{202, {}}},                                              // not registered
  };
  std::uint32_t s = 0;
  for (const auto& ops : packs) {
    const WorkItem item = value_or_throw(try_make_packed_item(0, ops));
    job.publish(s++, item.opcode, std::vector<std::uint32_t>(item.args.begin(), item.args.end()), item.tenant);
  }
  job.publish(s++, PACKABLE, {10, 20, 30});
  job.publish(s++, abi::OP_ATOMIC_ADD, {42, 5});  // built-ins still run in the JIT kernel
  job.publish(s++, abi::OP_MEMCPY, {60, 50, 2});
  const Job got = expect_same_as_oracle(cuda, job);
  EXPECT_EQ(got.result(0), 1u + 4u + 3u);
  EXPECT_EQ(got.status(2), abi::STATUS_FAULT);
  EXPECT_EQ(got.result(2), abi::FAULT_BAD_ARGS);
  EXPECT_EQ(got.result(3), abi::FAULT_UNKNOWN_OPCODE);
  EXPECT_EQ(got.result(4), 10u + 40u + 30u);
}

TEST(JitGpu, CasAndSharedCountersOverAWholeRing) {
  MK_REQUIRE_CUDA(cuda);
  Job job = suite_job();
  Rng rng(3);
  for (std::uint32_t s = 0; s < SLOTS; ++s) {
    if (s % 2 == 0) {
      const std::uint32_t own = 2 * s;
      job.observable(own) = rng() % 4;
      job.publish(s, CAS_OWN, {own, rng() % 4, rng()});
    } else {
      job.publish(s, COUNTER, {5000 + rng() % 8, rng()});
    }
  }
  expect_same_as_oracle(cuda, job);
}

TEST(JitGpu, TracedDispatchGivesTheSameBuffers) {
  MK_REQUIRE_CUDA(cuda);
  Job job = suite_job(1, 1024);
  for (std::uint32_t s = 0; s < 300; ++s) job.publish(s, s % 3 == 0 ? PRINTS : ARITH, {s, s + 1, s % 40, 4 * s});
  Job want = job;
  run_oracle(want);
  std::vector<TraceEvent> trace;
  const Job got = run_on(suite_megakernel(cuda), job, &trace);
  MK_EXPECT_SAME(want, got);
  EXPECT_EQ(trace.size(), 300u);
  for (const TraceEvent& e : trace) EXPECT_EQ(e.status, abi::STATUS_DONE);
}

// A ring much larger than the grid: lanes stride, rounds repeat, counters aggregate.
TEST(JitGpu, LargeRingDrains) {
  MK_REQUIRE_CUDA(cuda);
  constexpr std::uint32_t BIG = 1u << 16;
  const Megakernel mk = value_or_throw(Megakernel::bootstrap_sharded(cuda, BIG, WG, suite_handlers()));
  Job job = Job::make(BIG, 4 * BIG + 64, 4, 0, suite_handlers());
  Rng rng(11);
  for (std::uint32_t s = 0; s < BIG; ++s) {
    if (s % 4 == 3)
      job.publish(s, COUNTER, {4 * BIG + s % 64, rng()}, s % 4);
    else
      job.publish(s, ARITH, {static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng()), rng() % 40, 4 * s},
                  s % 4);
  }
  Job want = job;
  run_oracle(want);
  DispatchStats stats;
  const Job got = run_on(mk, job, nullptr, &stats);
  MK_EXPECT_SAME(want, got);
  EXPECT_EQ(stats.items_done, BIG);
  EXPECT_TRUE(stats.device_ns_known);
}

}  // namespace
}  // namespace mk::jit_test
