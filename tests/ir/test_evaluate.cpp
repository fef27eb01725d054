// Evaluation through interp::step_slot: arithmetic, control flow, memory, printf,
// requeue, windows and dispatch, each checked against values computed independently.
#include <gtest/gtest.h>

#include "harness.h"

namespace mk::ir::test {
namespace {

// Reference results for the operator table, written out from docs/ir.md.
u32 reference(BinaryOp op, u32 a, u32 b) {
  switch (op) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Rem:
      return a % b;
    case BinaryOp::And:
      return a & b;
    case BinaryOp::Or:
      return a | b;
    case BinaryOp::Xor:
      return a ^ b;
    case BinaryOp::Shl:
      return b >= 32 ? 0 : a << b;
    case BinaryOp::Shr:
      return b >= 32 ? 0 : a >> b;
    case BinaryOp::Eq:
      return a == b;
    case BinaryOp::Ne:
      return a != b;
    case BinaryOp::Lt:
      return a < b;
    case BinaryOp::Le:
      return a <= b;
    case BinaryOp::Gt:
      return a > b;
    case BinaryOp::Ge:
      return a >= b;
  }
  return 0;
}

TEST(IrEvaluate, EveryOperatorOverEdgeValues) {
  const std::vector<OpcodeHandler> hs = [] {
    std::vector<OpcodeHandler> out;
    for (u32 i = 0; i < BINARY_OP_COUNT; ++i)
      out.push_back(
          {OPCODE + i, "op" + std::to_string(i), body({result(binary(static_cast<BinaryOp>(i), arg(0), arg(1)))})});
    return out;
  }();
  Compiled compiled = compile(hs);
  Machine m;
  m.stamp(hs);
  const u32 values[] = {0, 1, 2, 3, 7, 31, 32, 33, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu};
  for (u32 i = 0; i < BINARY_OP_COUNT; ++i) {
    const auto op = static_cast<BinaryOp>(i);
    for (u32 a : values) {
      for (u32 b : values) {
        m.publish(0, OPCODE + i, {a, b});
        m.step(0, compiled.ops);
        if ((op == BinaryOp::Div || op == BinaryOp::Rem) && b == 0) {
          EXPECT_EQ(m.status(0), abi::STATUS_FAULT);
          EXPECT_EQ(m.result(0), abi::FAULT_DIVIDE_BY_ZERO);
          continue;
        }
        ASSERT_EQ(m.status(0), abi::STATUS_DONE) << to_string(op);
        EXPECT_EQ(m.result(0), reference(op, a, b)) << a << " " << to_string(op) << " " << b;
      }
    }
  }
}

TEST(IrEvaluate, ShiftsOf32OrMoreGiveZero) {
  EXPECT_EQ(run_body(body({result(arg(0) << arg(1))}), {1, 32}).result, 0u);
  EXPECT_EQ(run_body(body({result(arg(0) >> arg(1))}), {0x80000000u, 32}).result, 0u);
  EXPECT_EQ(run_body(body({result(arg(0) << arg(1))}), {1, 0xFFFFFFFFu}).result, 0u);
  EXPECT_EQ(run_body(body({result(arg(0) << arg(1))}), {1, 31}).result, 0x80000000u);
}

TEST(IrEvaluate, WrapAroundAndUnsignedCompare) {
  EXPECT_EQ(run_body(body({result(c(0xFFFFFFFFu) + 2)})).result, 1u);
  EXPECT_EQ(run_body(body({result(c(0) - 1)})).result, 0xFFFFFFFFu);
  EXPECT_EQ(run_body(body({result(c(0x10000) * 0x10000)})).result, 0u);
  EXPECT_EQ(run_body(body({result(c(0xFFFFFFFFu) > 1)})).result, 1u);
  EXPECT_EQ(run_body(body({result(!c(0))})).result, 1u);
  EXPECT_EQ(run_body(body({result(!c(5))})).result, 0u);
}

TEST(IrEvaluate, LetSetAndArguments) {
  const Body b =
      body({let("x", arg(0) + arg(1)), set("x", var("x") * 3), let("y", var("x") - arg(11)), result(var("y"))});
  EXPECT_EQ(run_body(b, {4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}).result, 25u);
}

TEST(IrEvaluate, SetCanReadItsOwnVariable) {
  // x = (x + 1) * x + select(x, x, 100): the target is written only after every read.
  const Body b =
      body({let("x", arg(0)), set("x", (var("x") + 1) * var("x") + select(var("x"), var("x"), 100)), result(var("x"))});
  EXPECT_EQ(run_body(b, {3}).result, 15u);
  EXPECT_EQ(run_body(b, {0}).result, 100u);
}

TEST(IrEvaluate, FallingOffTheEndIsDoneZero) {
  const Ran r = run_body(body({let("x", 5)}));
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  EXPECT_EQ(r.result, 0u);
  EXPECT_EQ(run_body({}).status, abi::STATUS_DONE);
}

TEST(IrEvaluate, ResultEndsTheItem) {
  Single s(body({store(0, 1), result(7), store(1, 1)}));
  EXPECT_EQ(s.run().result, 7u);
  EXPECT_EQ(s.machine.obs(0), 1u);
  EXPECT_EQ(s.machine.obs(1), 0u);
}

TEST(IrEvaluate, IfElse) {
  const Body b = body({if_(arg(0) > 10, {result(1)}, {if_(arg(0) == 5, {result(2)})}), result(3)});
  EXPECT_EQ(run_body(b, {11}).result, 1u);
  EXPECT_EQ(run_body(b, {5}).result, 2u);
  EXPECT_EQ(run_body(b, {4}).result, 3u);
}

TEST(IrEvaluate, Loops) {
  // sum of i*j for i in 1..5, j in 0..i-ish via a mask: checks nesting and loop variables.
  const Body b = body({
      let("sum", 0),
      for_("i", 1, 5, {for_("j", 0, 3, {set("sum", var("sum") + var("i") * var("j"))})}),
      for_("k", 7, 7, {set("sum", 999)}),  // empty loop never runs
      result(var("sum")),
  });
  u32 want = 0;
  for (u32 i = 1; i < 5; ++i)
    for (u32 j = 0; j < 3; ++j) want += i * j;
  EXPECT_EQ(run_body(b).result, want);
}

TEST(IrEvaluate, LoopNearTheTopOfTheRange) {
  const Body b =
      body({let("n", 0), for_("i", 0xFFFFFFFDu, 0xFFFFFFFFu, {set("n", var("n") + var("i"))}), result(var("n"))});
  EXPECT_EQ(run_body(b).result, 0xFFFFFFFDu + 0xFFFFFFFEu);
}

TEST(IrEvaluate, LoopBodyLetsStartFreshEachIteration) {
  const Body b = body({let("acc", 0), for_("i", 0, 4, {let("t", var("i") * 2), set("acc", var("acc") + var("t"))}),
                       result(var("acc"))});
  EXPECT_EQ(run_body(b).result, 12u);
}

TEST(IrEvaluate, MemoryOps) {
  Single s(body({
      store(arg(0), 40),
      let("old", atomic_add(arg(0), 2)),
      let("seen", cas(arg(0), 42, 50)),  // succeeds
      let("miss", cas(arg(0), 42, 60)),  // fails: word is 50
      store(arg(0) + 1, var("old")),
      store(arg(0) + 2, var("seen")),
      store(arg(0) + 3, var("miss")),
      result(load(arg(0))),
  }));
  const Ran r = s.run({10});
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  EXPECT_EQ(r.result, 50u);
  EXPECT_EQ(s.machine.obs(10), 50u);
  EXPECT_EQ(s.machine.obs(11), 40u);
  EXPECT_EQ(s.machine.obs(12), 42u);
  EXPECT_EQ(s.machine.obs(13), 50u);
}

TEST(IrEvaluate, SelectEvaluatesOnlyTheChosenOperand) {
  Single s(body({
      let("a", select(arg(0), atomic_add(0, 1), atomic_add(1, 1))),
      let("b", select(c(0), load(1000000), 5)),  // the out-of-window load never runs
      result(var("b")),
  }));
  EXPECT_EQ(s.run({1}).result, 5u);
  EXPECT_EQ(s.run({0}).result, 5u);
  EXPECT_EQ(s.run({1}).result, 5u);
  EXPECT_EQ(s.machine.obs(0), 2u);
  EXPECT_EQ(s.machine.obs(1), 1u);
}

TEST(IrEvaluate, EvaluationIsLeftToRight) {
  // load then atomic_add: the load sees the old value; the opposite order would see +1.
  Single s(body({store(0, 10), result(load(0) * 100 + atomic_add(0, 1))}));
  EXPECT_EQ(s.run().result, 10u * 100 + 10);
  Single t(body({store(0, 10), result(atomic_add(0, 1) * 100 + load(0))}));
  EXPECT_EQ(t.run().result, 10u * 100 + 11);
}

TEST(IrEvaluate, TenantAndSlot) {
  Single s(body({result((tenant() << 16) | slot())}), Geometry{.slots = 8, .observables = 16, .tenants = 3});
  EXPECT_EQ(s.run({}, 2, 5).result, (2u << 16) | 5u);
  EXPECT_EQ(s.run({}, 0, 7).result, 7u);
}

TEST(IrEvaluate, TenantWindows) {
  Single s(body({store(arg(0), arg(1)), result(load(arg(0)))}), Geometry{.slots = 4, .observables = 64, .tenants = 2});
  s.machine.set_window(1, 16, 8);
  Ran r = s.run({3, 77}, 1);
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  EXPECT_EQ(r.result, 77u);
  EXPECT_EQ(s.machine.obs(16 + 3), 77u);
  EXPECT_EQ(s.machine.obs(3), 0u);
  r = s.run({8, 1}, 1);  // one past the window
  EXPECT_EQ(r.status, abi::STATUS_FAULT);
  EXPECT_EQ(r.result, abi::FAULT_OUT_OF_BOUNDS);
  EXPECT_EQ(s.machine.obs(16 + 8), 0u);
  r = s.run({8, 5}, 0);  // tenant 0 sees everything from word 0
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  EXPECT_EQ(s.machine.obs(8), 5u);
  // A window past the observable region is clamped to nothing.
  s.machine.set_window(1, 60, 100);
  EXPECT_EQ(s.run({3, 1}, 1).status, abi::STATUS_DONE);
  EXPECT_EQ(s.machine.obs(63), 1u);
  EXPECT_EQ(s.run({4, 1}, 1).result, abi::FAULT_OUT_OF_BOUNDS);
}

TEST(IrEvaluate, PrintfWritesDebugLogRecords) {
  Single s(body({printf(3, {arg(0), tenant()}), printf(0x7FFFFFFF, {1, 2, 3, 4, 5}), printf(9), result(1)}),
           Geometry{.slots = 8, .observables = 16, .tenants = 2, .log_capacity = 4});
  const Ran r = s.run({42}, 1, 6);
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  EXPECT_EQ(s.machine.log_word(abi::LOG_CURSOR), 3u);
  const u32* rec = s.machine.record(0);
  EXPECT_EQ(rec[abi::REC_COMMIT], 3u | abi::REC_COMMIT_BIT);
  EXPECT_EQ(rec[abi::REC_TENANT], 1u);
  EXPECT_EQ(rec[abi::REC_SLOT], 6u);
  EXPECT_EQ(rec[abi::REC_ARGS + 0], 42u);
  EXPECT_EQ(rec[abi::REC_ARGS + 1], 1u);
  EXPECT_EQ(rec[abi::REC_ARGS + 2], 0u);
  rec = s.machine.record(1);
  EXPECT_EQ(rec[abi::REC_COMMIT], 0x7FFFFFFFu | abi::REC_COMMIT_BIT);
  for (u32 i = 0; i < 5; ++i) EXPECT_EQ(rec[abi::REC_ARGS + i], i + 1);
  EXPECT_EQ(s.machine.record(2)[abi::REC_COMMIT], 9u | abi::REC_COMMIT_BIT);
}

TEST(IrEvaluate, PrintfPastCapacityCountsDropsAndGoesOn) {
  Single s(body({for_("i", 0, 5, {printf(1, {var("i")})}), result(2)}),
           Geometry{.slots = 2, .observables = 4, .tenants = 1, .log_capacity = 2});
  const Ran r = s.run();
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  EXPECT_EQ(r.result, 2u);
  EXPECT_EQ(s.machine.log_word(abi::LOG_CURSOR), 5u);  // 3 dropped, visible
  EXPECT_EQ(s.machine.record(1)[abi::REC_ARGS], 1u);
}

TEST(IrEvaluate, RequeueRunsAgainUntilBounded) {
  Single s(body({let("seen", atomic_add(0, 1)), requeue()}));
  s.machine.publish(0, OPCODE);
  for (u32 run = 1; run <= abi::MAX_REQUEUES; ++run) {
    s.machine.step(0, s.compiled.ops);
    ASSERT_EQ(s.machine.status(0), abi::STATUS_REQUEUE);
    ASSERT_EQ(s.machine.result(0), run);  // the interpreter's requeue count
  }
  s.machine.step(0, s.compiled.ops);
  EXPECT_EQ(s.machine.status(0), abi::STATUS_FAULT);
  EXPECT_EQ(s.machine.result(0), abi::FAULT_STEP_BUDGET);
  EXPECT_EQ(s.machine.obs(0), abi::MAX_REQUEUES + 1);  // every run's effects stay
}

TEST(IrEvaluate, RequeueUntilAConditionHolds) {
  Single s(body({let("n", atomic_add(0, 1)), if_(var("n") < 2, {requeue()}), result(var("n"))}));
  s.machine.publish(0, OPCODE);
  const u32 sweeps = s.machine.drain(s.compiled.ops);
  EXPECT_EQ(s.machine.status(0), abi::STATUS_DONE);
  EXPECT_EQ(s.machine.result(0), 2u);
  EXPECT_EQ(sweeps, 4u);  // three runs, then a sweep that finds nothing
  EXPECT_EQ(s.machine.ctrl(abi::CTRL_DONE_COUNT), 1u);
}

TEST(IrEvaluate, DispatchByTableIndexAndMetrics) {
  const std::vector<OpcodeHandler> hs = {
      {300, "a", body({result(1)})}, {301, "b", body({result(2)})}, {9000, "c", body({result(3)})}};
  Compiled compiled = compile(hs);
  Machine m;
  m.stamp(hs);
  m.publish(0, 9000);
  m.publish(1, 300);
  m.publish(2, 301);
  m.publish(3, 301);
  m.publish(4, 302);  // not registered
  m.drain(compiled.ops);
  EXPECT_EQ(m.result(0), 3u);
  EXPECT_EQ(m.result(1), 1u);
  EXPECT_EQ(m.result(2), 2u);
  EXPECT_EQ(m.status(4), abi::STATUS_FAULT);
  EXPECT_EQ(m.result(4), abi::FAULT_UNKNOWN_OPCODE);
  EXPECT_EQ(m.ctrl(abi::CTRL_OPCODE_COUNTS + 12), 1u);
  EXPECT_EQ(m.ctrl(abi::CTRL_OPCODE_COUNTS + 13), 2u);
  EXPECT_EQ(m.ctrl(abi::CTRL_OPCODE_COUNTS + 14), 1u);
  EXPECT_EQ(m.ctrl(abi::CTRL_DONE_COUNT), 5u);
}

TEST(IrEvaluate, UnknownTableIndexFaults) {
  Compiled compiled = compile({{OPCODE, "a", body({result(1)})}});
  Machine m;
  // Stamp the id at index 13, where the program has no handler.
  m.stamp({{1, "unused", {}}, {OPCODE, "a", {}}});
  m.publish(0, OPCODE);
  m.step(0, compiled.ops);
  EXPECT_EQ(m.status(0), abi::STATUS_FAULT);
  EXPECT_EQ(m.result(0), abi::FAULT_UNKNOWN_OPCODE);
  CustomOps none{};
  m.stamp({{OPCODE, "a", {}}});
  m.publish(0, OPCODE);
  m.step(0, none);
  EXPECT_EQ(m.result(0), abi::FAULT_UNKNOWN_OPCODE);
  m.publish(0, OPCODE);
  m.step(0, compiled.ops);
  EXPECT_EQ(m.result(0), 1u);
}

TEST(IrEvaluate, UnauthorisedTenantNeverRunsTheBody) {
  Single s(body({store(0, 1), result(1)}));
  s.machine.tenant(1, abi::TENANT_ALLOW_LO) = ~(1u << abi::FIRST_CUSTOM_INDEX);
  const Ran r = s.run({}, 1);
  EXPECT_EQ(r.status, abi::STATUS_FAULT);
  EXPECT_EQ(r.result, abi::FAULT_UNAUTHORIZED);
  EXPECT_EQ(s.machine.obs(0), 0u);
}

TEST(IrEvaluate, CustomOpcodeInsidePackedSlot) {
  const std::vector<OpcodeHandler> hs = {
      {200, "addmul", body({store(arg(0), arg(1) * arg(2) + arg(3)), result(arg(1))})}};
  Compiled compiled = compile(hs);
  Machine m;
  m.stamp(hs);
  // op 0: STORE_U32 (addr 5, value 9); op 1: custom 200 with args (6, 3, 4) and arg(3) unset -> 0.
  const u32 header = 2u | (5u << 8);
  const u32 opcodes = abi::OP_STORE_U32 | (200u << 8);
  const u32 offsets = 0u | (2u << 8);
  m.publish(0, abi::OP_PACKED_SLOT, {header, opcodes, offsets, 5, 9, 6, 3, 4});
  m.step(0, compiled.ops);
  EXPECT_EQ(m.status(0), abi::STATUS_DONE);
  EXPECT_EQ(m.result(0), 3u);
  EXPECT_EQ(m.obs(5), 9u);
  EXPECT_EQ(m.obs(6), 12u);
}

TEST(IrEvaluate, RequeueInsidePackedSlotIsBadArgs) {
  const std::vector<OpcodeHandler> hs = {{200, "rq", body({requeue()})}};
  Compiled compiled = compile(hs);
  Machine m;
  m.stamp(hs);
  m.publish(0, abi::OP_PACKED_SLOT, {1u, 200u, 0u});
  m.step(0, compiled.ops);
  EXPECT_EQ(m.status(0), abi::STATUS_FAULT);
  EXPECT_EQ(m.result(0), abi::FAULT_BAD_ARGS);
}

TEST(IrEvaluate, ManyVariablesSpillPastTheInlineRegisters) {
  Body b;
  for (u32 i = 0; i < 100; ++i) b.push_back(let("v" + std::to_string(i), arg(0) + i));
  Expr sum = 0;
  for (u32 i = 0; i < 100; ++i) sum = sum + var("v" + std::to_string(i));
  b.push_back(result(sum));
  Single s(b);
  EXPECT_GT(s.compiled.program->entry(abi::FIRST_CUSTOM_INDEX)->registers, 64u);
  EXPECT_EQ(s.run({1}).result, 100u + 99u * 100u / 2u);
}

TEST(IrEvaluate, BuildRejectsInvalidHandlers) {
  auto built = Program::build(std::vector<OpcodeHandler>{{OPCODE, "x", body({result(var("nope"))})}});
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(built.error().message(), R"(opcode 4096 "x" body[0].result: variable "nope" is not bound)");
}

}  // namespace
}  // namespace mk::ir::test
