// Differential test of the JIT against the CPU evaluator over random valid bodies (every
// statement and expression kind, nested blocks, loops near 2^32, faults, printf, requeue),
// with the backend's step budget and with tiny budgets that make step counting decide.
// Each item runs as its own tenant over its own 16-word window, so item order cannot
// change any word.
#include <gtest/gtest.h>

#include <random>

#include "ir/generator.h"
#include "gpu_util.h"

namespace mk::jit_test {

using ir::random_test::random_handlers;
namespace {

constexpr std::uint32_t TENANTS = abi::MAX_TENANTS;  // one item per tenant per dispatch
constexpr std::uint32_t WINDOW = 16;

Job random_job(const std::vector<OpcodeHandler>& handlers, std::uint32_t round, Rng& rng) {
  Job job = Job::make(TENANTS, TENANTS * WINDOW, TENANTS, 1u << 18, handlers);
  for (std::uint32_t i = 0; i < TENANTS * WINDOW; ++i) job.observable(i) = i * 0x9E3779B9u;
  for (std::uint32_t t = 0; t < TENANTS; ++t) {
    job.set_window(t, t * WINDOW, WINDOW);
    std::vector<std::uint32_t> args(abi::MAX_ARGS);
    for (auto& a : args) a = rng() % 40;
    job.publish(t, handlers[(round * 7 + t) % handlers.size()].opcode, args, t);
  }
  return job;
}

void count_outcomes(const Job& job, std::uint32_t (&seen)[abi::STATUS_COUNT]) {
  for (std::uint32_t t = 0; t < TENANTS; ++t) ++seen[job.status(t)];
}

TEST(JitRandom, BackendMatchesTheEvaluator) {
  MK_REQUIRE_CUDA(cuda);
  const auto handlers = random_handlers(2024, abi::MAX_CUSTOM_OPCODES);
  auto mk = Megakernel::bootstrap_sharded(cuda, TENANTS, 32, handlers);
  ASSERT_TRUE(mk.has_value()) << mk.error().what();
  Rng rng(5);
  std::uint32_t seen[abi::STATUS_COUNT] = {};
  for (std::uint32_t round = 0; round < 60; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const Job job = random_job(handlers, round, rng);
    Job want = job;
    run_oracle(want);
    const Job got = run_on(*mk, job);
    const std::string diff = compare_jobs(want, got);
    ASSERT_TRUE(diff.empty()) << diff;
    count_outcomes(got, seen);
  }
  // The bodies must reach every ending, or the comparison proves little.
  EXPECT_GT(seen[abi::STATUS_DONE], 200u);
  EXPECT_GT(seen[abi::STATUS_FAULT], 200u);
}

TEST(JitRandom, TinyStepBudgetsMatchTheEvaluator) {
  MK_REQUIRE_CUDA(cuda);
  for (std::uint32_t budget : {3u, 9u}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    const auto handlers = random_handlers(7 + budget, abi::MAX_CUSTOM_OPCODES);
    Rng rng(budget);
    std::uint32_t seen_budget_faults = 0;
    for (std::uint32_t round = 0; round < 12; ++round) {
      const Job job = random_job(handlers, round, rng);
      Job want = job;
      run_oracle(want, budget);
      Job got = job;
      const std::string error = run_direct(got, budget, 64);
      ASSERT_TRUE(error.empty()) << error;
      const std::string diff = compare_jobs(want, got);
      ASSERT_TRUE(diff.empty()) << "round " << round << "\n" << diff;
      for (std::uint32_t t = 0; t < TENANTS; ++t)
        seen_budget_faults += got.status(t) == abi::STATUS_FAULT && got.result(t) == abi::FAULT_STEP_BUDGET;
    }
    EXPECT_GT(seen_budget_faults, 10u);
  }
}

}  // namespace
}  // namespace mk::jit_test
