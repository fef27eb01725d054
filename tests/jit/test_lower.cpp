// Lowering of IR to CUDA C++ (host only): the generated text has one case per handler,
// the checks docs/ir.md requires, evaluation in IR order, and a line -> IR path table.
// What this catches: a lowering that drops a zero-divisor or shift check, reorders memory
// effects, counts steps differently from the evaluator, or maps errors to the wrong node.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "cuda/jit/embedded_headers.h"
#include "cuda/jit/kernel_source.h"
#include "cuda/jit/lower.h"
#include "lower_util.h"

namespace mk::detail {
namespace {

using namespace mk::ir;
using namespace lower_test;

TEST(JitLower, OneCasePerHandlerAndUnknownIndexFaults) {
  const std::string text =
      lower_ok({{4096, "saxpy", body({result(arg(0) * arg(1) + arg(2))})}, {5000, "nop", body({})}});
  EXPECT_TRUE(has(text, "struct JitCustomOps"));
  EXPECT_TRUE(has(text, "template <cuda::thread_scope S>"));
  EXPECT_TRUE(has(text, "__device__ interp::Outcome operator()(const interp::Env<S>& env, u32 table_index"));
  EXPECT_TRUE(has(text, "switch (table_index)"));
  EXPECT_TRUE(has(text, "case 12u: return mk_op_12<S>(env);  // opcode 4096 \"saxpy\""));
  EXPECT_TRUE(has(text, "case 13u: return mk_op_13<S>(env);  // opcode 5000 \"nop\""));
  EXPECT_FALSE(has(text, "case 14u"));
  EXPECT_TRUE(has(text, "default: return interp::Outcome::fault(abi::FAULT_UNKNOWN_OPCODE);"));
  // An empty body falls off the end: DONE with 0.
  EXPECT_TRUE(has(text, "return interp::Outcome::done(0u);  // fell off the end"));
}

TEST(JitLower, ArithmeticChecksMatchTheIrSemantics) {
  const std::string text =
      lower_ok({{4096, "ops",
                 body({let("a", arg(0) / arg(1)), let("b", arg(0) % arg(2)), let("c", arg(0) << arg(1)),
                       let("d", arg(0) >> arg(3)), let("e", arg(0) < arg(1)), let("f", !arg(4)),
                       result(((var("a") + var("b") - var("c") * var("d")) ^ var("e")) | var("f"))})}});
  EXPECT_TRUE(has(text, "if (env.arg(1u) == 0u) return interp::Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);"));
  EXPECT_TRUE(has(text, "if (env.arg(2u) == 0u) return interp::Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);"));
  // Shifts call the interp/ir_scalar.h functions the CPU evaluator calls (a count >= 32 gives 0).
  EXPECT_TRUE(has(text, "= interp::u32_shl(env.arg(0u), env.arg(1u));"));
  EXPECT_TRUE(has(text, "= interp::u32_shr(env.arg(0u), env.arg(3u));"));
  EXPECT_TRUE(has(text, "= env.arg(0u) < env.arg(1u) ? 1u : 0u;"));  // unsigned compare of u32 values
  EXPECT_TRUE(has(text, "= env.arg(4u) == 0u ? 1u : 0u;"));
  EXPECT_TRUE(has(text, "u32 v_a = "));
  // The division check comes before the division.
  EXPECT_LT(line_of(text, "if (env.arg(1u) == 0u)"), line_of(text, "env.arg(0u) / env.arg(1u)"));
}

TEST(JitLower, MemoryGoesThroughEnvInEvaluationOrder) {
  const std::string text = lower_ok(
      {{4096, "mem", body({store(load(arg(0)), atomic_add(arg(1), 2)), let("p", cas(3, 4, 5)), result(var("p"))})}});
  const std::uint32_t load_line = line_of(text, "env.load(env.arg(0u), t");
  const std::uint32_t add_line = line_of(text, "env.atomic_add(env.arg(1u), 2u, t");
  const std::uint32_t store_line = line_of(text, "env.store(t");
  const std::uint32_t cas_line = line_of(text, "env.compare_swap(3u, 4u, 5u, t");
  ASSERT_NE(load_line, 0u);
  ASSERT_NE(add_line, 0u);
  ASSERT_NE(store_line, 0u);
  ASSERT_NE(cas_line, 0u);
  EXPECT_LT(load_line, add_line);  // address before value
  EXPECT_LT(add_line, store_line);
  EXPECT_LT(store_line, cas_line);
  // Every access returns its fault code and a non-zero one ends the item.
  EXPECT_TRUE(has(text, "if (const u32 f = env.store(t0, t1)) return interp::Outcome::fault(f);"));
}

TEST(JitLower, SelectEvaluatesOnlyTheChosenOperand) {
  const std::string text = lower_ok({{4096, "sel", body({result(select(arg(0), load(1), load(2)))})}});
  const std::uint32_t branch = line_of(text, "if (env.arg(0u) != 0u) {");
  const std::uint32_t first = line_of(text, "env.load(1u,");
  const std::uint32_t other = line_of(text, "} else {");
  const std::uint32_t second = line_of(text, "env.load(2u,");
  ASSERT_TRUE(branch && first && other && second);
  EXPECT_LT(branch, first);
  EXPECT_LT(first, other);
  EXPECT_LT(other, second);
}

TEST(JitLower, StatementsEndTheItemLikeTheEvaluator) {
  const std::string text =
      lower_ok({{4096, "ends",
                 body({if_(arg(0) == 1, {requeue()}), if_(arg(0) == 2, {fault(abi::FAULT_USER_FAULT)}),
                       ir::printf(5, {arg(1), tenant(), slot()}), result(7), store(0, 1)})}});
  EXPECT_TRUE(has(text, "return interp::Outcome::requeue(0u);"));
  EXPECT_TRUE(has(text, "return interp::Outcome::fault(7u);"));
  EXPECT_TRUE(has(text, "const u32 a[5] = {env.arg(1u), env.tenant, env.slot, 0u, 0u}"));
  EXPECT_TRUE(has(text, "env.printf(5u, a, 3u, r)"));
  EXPECT_TRUE(has(text, "return interp::Outcome::done(7u);"));
  // The store after `result` can never run: it is not emitted, and nor is the fall-off return.
  EXPECT_FALSE(has(text, "env.store("));
  EXPECT_FALSE(has(text, "fell off the end"));
}

TEST(JitLower, StepsAreCountedOnlyWhenTheWorstCaseCanExceedTheBudget) {
  // 1 + 40000 * 2 steps > 65536: counted before every statement and loop iteration.
  const std::string counted = lower_ok({{4096, "long", body({for_("i", 0, 40000, {store(0, var("i"))})})}});
  EXPECT_TRUE(has(counted, "unsigned long long steps = 0;"));
  const std::uint32_t loop = line_of(counted, "for (u32 v_i = 0u; v_i < 40000u; ++v_i) {");
  ASSERT_NE(loop, 0u);
  // The for statement's own step right before it, one per iteration first thing inside.
  EXPECT_EQ(
      line_of(
          counted,
          "if (interp::ir_step_over_budget(steps, 65536ull)) return interp::Outcome::fault(abi::FAULT_STEP_BUDGET);") +
          1,
      loop);
  std::istringstream in(counted);
  std::string line;
  for (std::uint32_t n = 1; std::getline(in, line) && n <= loop + 1; ++n)
    if (n == loop + 1) {
      EXPECT_TRUE(has(line, "ir_step_over_budget(steps")) << line;
    }
  std::size_t checks = 0;
  for (std::size_t at = counted.find("ir_step_over_budget("); at != std::string::npos;
       at = counted.find("ir_step_over_budget(", at + 1))
    ++checks;
  EXPECT_EQ(checks, 3u);  // the for statement, each iteration, the store
  // 1 + 100 * 2 steps fit: no counting at all, as in the evaluator.
  const std::string free = lower_ok({{4096, "short", body({for_("i", 0, 100, {store(0, var("i"))})})}});
  EXPECT_FALSE(has(free, "ir_step_over_budget("));
  EXPECT_FALSE(has(free, "unsigned long long steps"));
  EXPECT_TRUE(has(free, "within the budget: not counted"));
  // A smaller budget turns counting on for the same body.
  auto small =
      lower_handlers(std::vector<OpcodeHandler>{{4096, "short", body({for_("i", 0, 100, {store(0, var("i"))})})}}, 50);
  ASSERT_TRUE(small.has_value());
  EXPECT_TRUE(has(small->text, "if (interp::ir_step_over_budget(steps, 50ull))"));
}

TEST(JitLower, LinesMapBackToIrNodePaths) {
  auto out = lower_handlers(std::vector<OpcodeHandler>{
      {4096, "saxpy", body({let("x", arg(0)), if_(arg(1), {store(var("x"), atomic_add(2, 3))}, {result(load(9))})})}});
  ASSERT_TRUE(out.has_value());
  const std::string& text = out->text;
  const std::uint32_t add = line_of(text, "env.atomic_add(");
  const std::uint32_t store_line = line_of(text, "env.store(");
  const std::uint32_t load_line = line_of(text, "env.load(");
  ASSERT_TRUE(add && store_line && load_line);
  EXPECT_EQ(line_path(*out, 1, add), "opcode 4096 \"saxpy\" body[1].then[0].value");
  EXPECT_EQ(line_path(*out, 1, store_line), "opcode 4096 \"saxpy\" body[1].then[0]");
  EXPECT_EQ(line_path(*out, 1, load_line), "opcode 4096 \"saxpy\" body[1].else[0].result");
  EXPECT_EQ(line_path(*out, 1, line_of(text, "u32 v_x")), "opcode 4096 \"saxpy\" body[0]");
  EXPECT_EQ(line_path(*out, 1, 1), "");  // the preamble belongs to no handler
  EXPECT_EQ(out->line_paths.size(), static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
}

TEST(JitLower, HostileNamesCannotBreakOutOfComments) {
  const std::string text = lower_ok({{4096, "evil\n#error boom \\", body({})}});
  EXPECT_FALSE(has(text, "\n#error"));
  EXPECT_FALSE(has(text, "\\\n"));  // no line continuation out of a // comment
}

TEST(JitLower, InvalidIrIsRejectedBeforeLowering) {
  auto out = lower_handlers(std::vector<OpcodeHandler>{{4096, "bad", body({result(var("nope"))})}});
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(has(out.error().message(), "nope")) << out.error().message();
}

TEST(JitKernelSource, WrapsTheSharedKernelBody) {
  auto src =
      make_kernel_source(std::vector<OpcodeHandler>{{4096, "saxpy", body({result(atomic_add(0, arg(0)))})}}, 128);
  ASSERT_TRUE(src.has_value());
  EXPECT_TRUE(has(src->text, "#include \"cuda/batch_kernel.cuh\""));  // which includes one_shot_kernel.cuh
  EXPECT_TRUE(has(src->text,
                  "extern \"C\" __global__ void __launch_bounds__(128) mk_jit_one_shot(mk::detail::OneShotParams p)"));
  EXPECT_TRUE(has(src->text, "mk::detail::one_shot_run<mk::jit_generated::JitCustomOps, false>(p);"));
  EXPECT_FALSE(has(src->text, "mk_jit_one_shot_traced"));  // built on the first traced launch
  // The compact-batch kernel over the same ops (docs/bulk.md), untraced images only.
  EXPECT_TRUE(has(src->text, "mk_jit_batch(mk::detail::BatchParams p)"));
  EXPECT_TRUE(has(src->text, "mk::detail::batch_run<mk::jit_generated::JitCustomOps>(p);"));
  auto traced = make_kernel_source(std::vector<OpcodeHandler>{{4096, "saxpy", body({})}}, 128, JIT_STEP_BUDGET, true);
  ASSERT_TRUE(traced.has_value());
  EXPECT_TRUE(has(traced->text, "__launch_bounds__(128) mk_jit_one_shot_traced(mk::detail::OneShotParams p)"));
  EXPECT_TRUE(has(traced->text, "mk::detail::one_shot_run<mk::jit_generated::JitCustomOps, true>(p);"));
  EXPECT_FALSE(has(traced->text, "mk_jit_batch"));
  // Line numbers of the whole translation unit map to IR paths (what NVRTC's log names).
  EXPECT_EQ(src->path_of_line(line_of(src->text, "env.atomic_add(")), "opcode 4096 \"saxpy\" body[0].result");
  EXPECT_EQ(src->path_of_line(line_of(src->text, "mk_jit_one_shot(")), "");
}

// Every quoted #include of the JIT source and of the embedded headers resolves to an
// embedded header, so NVRTC never needs the source tree.
TEST(JitKernelSource, EmbeddedHeadersAreClosedUnderQuotedIncludes) {
  std::set<std::string> names;
  for (const EmbeddedHeader& h : embedded_headers()) names.insert(std::string(h.name));
  for (const char* required : {"interp/step.h", "interp/env.h", "mk/abi.h", "mk/config.h", "cuda/one_shot_kernel.cuh",
                               "cuda/one_shot_params.h", "cuda/test_hooks.h"})
    EXPECT_TRUE(names.count(required)) << required;
  auto src = make_kernel_source(std::vector<OpcodeHandler>{{4096, "x", body({})}}, 256);
  ASSERT_TRUE(src.has_value());
  std::vector<std::pair<std::string, std::string>> texts = {{"mk_jit_kernel.cu", src->text}};
  for (const EmbeddedHeader& h : embedded_headers()) texts.emplace_back(h.name, h.text);
  for (const auto& [file, text] : texts) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      const auto at = line.find("#include \"");
      if (at == std::string::npos) continue;
      const auto begin = at + 10;
      const std::string name = line.substr(begin, line.find('"', begin) - begin);
      EXPECT_TRUE(names.count(name)) << file << " includes \"" << name << "\" which is not embedded";
    }
  }
}

}  // namespace
}  // namespace mk::detail
