// Every fault a custom opcode can raise, the counters it bumps, and which effects stay.
#include <gtest/gtest.h>

#include "harness.h"

namespace mk::ir::test {
namespace {

void expect_fault(const Ran& r, u32 code) {
  EXPECT_EQ(r.status, abi::STATUS_FAULT);
  EXPECT_EQ(r.result, code);
}

TEST(IrFaults, OutOfBoundsOnEveryMemoryOp) {
  const Geometry g{.slots = 2, .observables = 8, .tenants = 1};
  expect_fault(Single(body({result(load(8))}), g).run(), abi::FAULT_OUT_OF_BOUNDS);
  expect_fault(Single(body({store(8, 1)}), g).run(), abi::FAULT_OUT_OF_BOUNDS);
  expect_fault(Single(body({result(atomic_add(0xFFFFFFFFu, 1))}), g).run(), abi::FAULT_OUT_OF_BOUNDS);
  expect_fault(Single(body({result(cas(100, 0, 1))}), g).run(), abi::FAULT_OUT_OF_BOUNDS);
  EXPECT_EQ(Single(body({result(load(7))}), g).run().status, abi::STATUS_DONE);
}

TEST(IrFaults, EarlierEffectsStayLaterOnesNeverRun) {
  Single s(body({store(0, 11), let("old", atomic_add(1, 5)), printf(4, {1}), store(arg(0), 1), store(2, 22)}));
  expect_fault(s.run({1000}), abi::FAULT_OUT_OF_BOUNDS);
  EXPECT_EQ(s.machine.obs(0), 11u);
  EXPECT_EQ(s.machine.obs(1), 5u);
  EXPECT_EQ(s.machine.obs(2), 0u);
  EXPECT_EQ(s.machine.log_word(abi::LOG_CURSOR), 1u);
}

TEST(IrFaults, FaultInsideALoopKeepsEarlierIterations) {
  Single s(body({for_("i", 0, 10, {store(var("i"), 100 / (c(5) - var("i")))})}));
  expect_fault(s.run(), abi::FAULT_DIVIDE_BY_ZERO);
  for (u32 i = 0; i < 5; ++i) EXPECT_EQ(s.machine.obs(i), 100u / (5 - i)) << i;
  EXPECT_EQ(s.machine.obs(5), 0u);
}

TEST(IrFaults, DivideAndRemainderByZero) {
  expect_fault(run_body(body({result(arg(0) / arg(1))}), {1, 0}), abi::FAULT_DIVIDE_BY_ZERO);
  expect_fault(run_body(body({result(arg(0) % arg(1))}), {1, 0}), abi::FAULT_DIVIDE_BY_ZERO);
  expect_fault(run_body(body({result(select(1, c(0) / 0, 1))})), abi::FAULT_DIVIDE_BY_ZERO);
  EXPECT_EQ(run_body(body({result(select(0, c(1) / 0, 4))})).result, 4u);
}

TEST(IrFaults, UserFaultBumpsEveryCounter) {
  Single s(body({if_(arg(0), {fault()}), result(1)}), Geometry{.slots = 8, .observables = 4, .tenants = 2});
  expect_fault(s.run({1}, 1, 5), abi::FAULT_USER_FAULT);
  EXPECT_EQ(s.machine.ctrl(abi::CTRL_FAULT_COUNT), 1u);
  EXPECT_EQ(s.machine.ctrl(abi::CTRL_LAST_FAULT_SLOT), 5u);
  EXPECT_EQ(s.machine.ctrl(abi::CTRL_DONE_COUNT), 1u);
  EXPECT_EQ(s.machine.tenant(1, abi::TENANT_FAULTS), 1u);
  EXPECT_EQ(s.machine.tenant(1, abi::TENANT_DONE), 0u);
  EXPECT_EQ(s.machine.ctrl(abi::CTRL_OPCODE_COUNTS + abi::FIRST_CUSTOM_INDEX), 0u);  // faults are not DONE
  EXPECT_EQ(s.run({0}, 1, 5).status, abi::STATUS_DONE);
  EXPECT_EQ(s.machine.tenant(1, abi::TENANT_DONE), 1u);
}

TEST(IrFaults, EveryFaultCodePassesThrough) {
  for (u32 code = 1; code < abi::FAULT_CODE_COUNT; ++code) expect_fault(run_body(body({fault(code)})), code);
}

TEST(IrFaults, PrintfWithoutADebugLogIsBadArgs) {
  Single s(body({store(0, 1), printf(1, {2})}),
           Geometry{.slots = 2, .observables = 4, .tenants = 1, .log_capacity = 0});
  expect_fault(s.run(), abi::FAULT_BAD_ARGS);
  EXPECT_EQ(s.machine.obs(0), 1u);
}

// A body of exactly `budget` steps finishes; one more step faults before it runs.
TEST(IrFaults, StepBudgetIsExact) {
  // for (1) + 4 iterations x (1 + store(1)) = 9 steps, then result (1) = 10.
  const Body b = body({for_("i", 0, 4, {store(var("i"), 1)}), result(5)});
  EXPECT_EQ(max_steps(b), 10u);
  EXPECT_EQ(Single(b, {}, 10).run().result, 5u);

  Single short_budget(b, {}, 9);
  expect_fault(short_budget.run(), abi::FAULT_STEP_BUDGET);
  for (u32 i = 0; i < 4; ++i) EXPECT_EQ(short_budget.machine.obs(i), 1u);  // every store ran

  Single shorter(b, {}, 6);  // for, it0, store, it1, store, it2 -> the third store never runs
  expect_fault(shorter.run(), abi::FAULT_STEP_BUDGET);
  EXPECT_EQ(shorter.machine.obs(1), 1u);
  EXPECT_EQ(shorter.machine.obs(2), 0u);

  expect_fault(Single(body({result(1)}), {}, 0).run(), abi::FAULT_STEP_BUDGET);
  EXPECT_EQ(Single(Body{}, {}, 0).run().status, abi::STATUS_DONE);  // nothing ran, nothing counted
}

TEST(IrFaults, StepBudgetCountsOnlyTheBranchTaken) {
  // if (1) + then branch (2) + result (1) = 4; the else branch has 10 statements.
  Body heavy;
  for (int i = 0; i < 10; ++i) heavy.push_back(store(0, 1));
  const Body b = body({if_(arg(0), {store(1, 1), store(2, 1)}, heavy), result(1)});
  EXPECT_EQ(Single(b, {}, 4).run({1}).status, abi::STATUS_DONE);
  expect_fault(Single(b, {}, 4).run({0}), abi::FAULT_STEP_BUDGET);
}

TEST(IrFaults, DefaultBudgetStopsALongLoopNest) {
  const Body b = body({let("n", 0), for_("i", 0, 65536, {for_("j", 0, 65536, {set("n", var("n") + 1)})})});
  Single s(b);
  expect_fault(s.run(), abi::FAULT_STEP_BUDGET);
  EXPECT_TRUE(s.compiled.program->entry(abi::FIRST_CUSTOM_INDEX)->counts_steps);
  EXPECT_FALSE(Single(body({result(1)})).compiled.program->entry(abi::FIRST_CUSTOM_INDEX)->counts_steps);
}

TEST(IrFaults, BudgetResetsOnEveryRun) {
  // 4 steps per run against a budget of 4; the never-taken heavy branch makes the
  // worst case exceed the budget, so the evaluator really counts.
  Body heavy;
  for (int i = 0; i < 10; ++i) heavy.push_back(store(1, 1));
  Single s(body({let("n", atomic_add(0, 1)), if_(var("n") > 100, heavy), if_(var("n") < 5, {requeue()})}), {}, 4);
  ASSERT_TRUE(s.compiled.program->entry(abi::FIRST_CUSTOM_INDEX)->counts_steps);
  s.machine.publish(0, OPCODE);
  s.machine.drain(s.compiled.ops);
  EXPECT_EQ(s.machine.status(0), abi::STATUS_DONE);
  EXPECT_EQ(s.machine.obs(0), 6u);
}

}  // namespace
}  // namespace mk::ir::test
