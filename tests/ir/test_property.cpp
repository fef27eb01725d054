// Property tests over random valid bodies (fixed seed): JSON round trip gives an equal
// tree and identical buffers, and the compiled evaluator matches the naive reference
// walker word for word, including faults, step budgets, printf and requeue.
#include <gtest/gtest.h>

#include "generator.h"
#include "harness.h"
#include "reference.h"

namespace mk::ir::test {
namespace {

using random_test::Generator;  // tests/ir/generator.h

constexpr Geometry GEOMETRY{.slots = 4, .observables = 32, .tenants = 2, .log_capacity = 6};
// Tenant 1's window is observables 8..23.
constexpr ItemPlace PLACE{.geometry = GEOMETRY, .slot = 3, .tenant = 1, .window_base = 8};

template <class Custom>
std::vector<u32> run_words(const std::vector<OpcodeHandler>& handlers, Custom& custom, const std::vector<u32>& args) {
  return run_item_words(PLACE, handlers, custom, args);
}

TEST(IrProperty, GeneratedBodiesValidate) {
  Generator gen(7);
  for (int i = 0; i < 300; ++i) {
    const std::vector<OpcodeHandler> hs = {{OPCODE, "p", gen.body()}};
    const Status s = validate_handlers(hs);
    ASSERT_TRUE(s.has_value()) << s.error().what() << "\n" << body_to_json(hs[0].body);
  }
}

TEST(IrProperty, JsonRoundTripPreservesTreeAndBehaviour) {
  Generator gen(12345);
  std::mt19937 rng(99);
  for (int i = 0; i < 400; ++i) {
    const std::vector<OpcodeHandler> original = {{OPCODE, "p", gen.body()}};
    const std::string text = handlers_to_json(original);
    auto parsed = handlers_from_json(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().what() << "\n" << text;
    ASSERT_TRUE(equal((*parsed)[0].body, original[0].body)) << text;
    ASSERT_EQ(handlers_to_json(*parsed), text);

    std::vector<u32> args(abi::MAX_ARGS);
    for (u32& a : args) a = rng();
    Compiled a = compile(original);
    Compiled b = compile(*parsed);
    ASSERT_EQ(run_words(original, a.ops, args), run_words(*parsed, b.ops, args)) << text;
  }
}

TEST(IrProperty, CompiledEvaluatorMatchesReferenceWalker) {
  Generator gen(2024);
  std::mt19937 rng(5);
  u32 outcomes[abi::STATUS_COUNT] = {};
  for (int i = 0; i < 1500; ++i) {
    const std::vector<OpcodeHandler> hs = {{OPCODE, "p", gen.body()}};
    std::vector<u32> args(abi::MAX_ARGS);
    for (u32& a : args) a = rng() % 40;
    // A small budget half the time, so that step counting and STEP_BUDGET are exercised.
    const u32 budget = i % 2 == 0 ? 1u << 16 : 1 + rng() % 12;
    Compiled compiled = compile(hs, budget);
    ReferenceOps reference{&hs, budget};
    const std::vector<u32> got = run_words(hs, compiled.ops, args);
    const std::vector<u32> want = run_words(hs, reference, args);
    ASSERT_EQ(got, want) << "budget " << budget << "\n" << body_to_json(hs[0].body);
    ++outcomes[got[PLACE.slot * abi::SLOT_WORDS + abi::SLOT_STATUS]];
  }
  // The generator must reach every ending, or the comparison proves little.
  EXPECT_GT(outcomes[abi::STATUS_DONE], 100u);
  EXPECT_GT(outcomes[abi::STATUS_FAULT], 100u);
  EXPECT_GT(outcomes[abi::STATUS_REQUEUE], 10u);
}

TEST(IrProperty, FaultKindsAreAllReached) {
  Generator gen(31337);
  std::mt19937 rng(8);
  std::vector<u32> seen(abi::FAULT_CODE_COUNT, 0);
  for (int i = 0; i < 1500; ++i) {
    const std::vector<OpcodeHandler> hs = {{OPCODE, "p", gen.body()}};
    std::vector<u32> args(abi::MAX_ARGS);
    for (u32& a : args) a = rng() % 40;
    Compiled compiled = compile(hs, 1 + rng() % 30);
    const std::vector<u32> words = run_words(hs, compiled.ops, args);
    if (words[PLACE.slot * abi::SLOT_WORDS + abi::SLOT_STATUS] == abi::STATUS_FAULT) {
      const u32 code = words[PLACE.slot * abi::SLOT_WORDS + abi::SLOT_RESULT];
      ASSERT_LT(code, abi::FAULT_CODE_COUNT);
      ++seen[code];
    }
  }
  EXPECT_GT(seen[abi::FAULT_OUT_OF_BOUNDS], 0u);
  EXPECT_GT(seen[abi::FAULT_DIVIDE_BY_ZERO], 0u);
  EXPECT_GT(seen[abi::FAULT_STEP_BUDGET], 0u);
  EXPECT_GT(seen[abi::FAULT_USER_FAULT], 0u);
}

}  // namespace
}  // namespace mk::ir::test
