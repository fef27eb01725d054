// Property tests over random well-typed bodies (typed_generator.h, fixed seeds): they
// validate, survive the JSON round trip as an equal tree with identical buffers, and the
// compiled evaluator matches the typed reference walker word for word, faults included.
// What this catches: a compiler that picks the wrong typed instruction for an operand
// type, loses a register's high half, lets a 32-bit result keep stale high bits, or
// orders 64-bit effects and faults differently from the reference.
#include <gtest/gtest.h>

#include "harness.h"
#include "typed_generator.h"
#include "typed_walker.h"

namespace mk::ir::test {
namespace {

using typed_test::TypedGenerator;

constexpr Geometry GEOMETRY{.slots = 4, .observables = 48, .tenants = 2, .log_capacity = 0};
// Tenant 1's window is observables 16..31 (an even base, so even window addresses are aligned).
constexpr ItemPlace PLACE{.geometry = GEOMETRY, .slot = 3, .tenant = 1, .window_base = 16};

template <class Custom>
std::vector<u32> run_words(const std::vector<OpcodeHandler>& handlers, Custom& custom, const std::vector<u32>& args) {
  return run_item_words(PLACE, handlers, custom, args);
}

TEST(TypedProperty, GeneratedBodiesValidate) {
  TypedGenerator gen(11);
  for (int i = 0; i < 500; ++i) {
    const std::vector<OpcodeHandler> hs = {{OPCODE, "t", gen.body()}};
    const Status s = validate_handlers(hs);
    ASSERT_TRUE(s.has_value()) << s.error().what() << "\n" << body_to_json(hs[0].body);
  }
}

TEST(TypedProperty, JsonRoundTripPreservesTreeAndBehaviour) {
  TypedGenerator gen(4242);
  for (int i = 0; i < 400; ++i) {
    const std::vector<OpcodeHandler> original = {{OPCODE, "t", gen.body()}};
    const std::string text = handlers_to_json(original);
    auto parsed = handlers_from_json(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().what() << "\n" << text;
    ASSERT_TRUE(equal((*parsed)[0].body, original[0].body)) << text;
    ASSERT_EQ(handlers_to_json(*parsed), text);
    const std::vector<u32> args = gen.args();
    Compiled a = compile(original);
    Compiled b = compile(*parsed);
    ASSERT_EQ(run_words(original, a.ops, args), run_words(*parsed, b.ops, args)) << text;
  }
}

TEST(TypedProperty, CompiledEvaluatorMatchesTheTypedWalker) {
  TypedGenerator gen(2025);
  u32 done = 0;
  std::vector<u32> faults(abi::FAULT_CODE_COUNT, 0);
  for (int i = 0; i < 3000; ++i) {
    const std::vector<OpcodeHandler> hs = {{OPCODE, "t", gen.body()}};
    const std::vector<u32> args = gen.args();
    Compiled compiled = compile(hs);
    TypedReferenceOps reference{&hs};
    const std::vector<u32> got = run_words(hs, compiled.ops, args);
    const std::vector<u32> want = run_words(hs, reference, args);
    ASSERT_EQ(got, want) << body_to_json(hs[0].body);
    const u32 status = got[PLACE.slot * abi::SLOT_WORDS + abi::SLOT_STATUS];
    if (status == abi::STATUS_DONE) ++done;
    if (status == abi::STATUS_FAULT) ++faults.at(got[PLACE.slot * abi::SLOT_WORDS + abi::SLOT_RESULT]);
  }
  // The bodies must reach every ending, or the comparison proves little.
  EXPECT_GT(done, 1000u);
  EXPECT_GT(faults[abi::FAULT_OUT_OF_BOUNDS], 20u);
  EXPECT_GT(faults[abi::FAULT_BAD_ARGS], 20u);
  EXPECT_GT(faults[abi::FAULT_DIVIDE_BY_ZERO], 5u);
}

}  // namespace
}  // namespace mk::ir::test
