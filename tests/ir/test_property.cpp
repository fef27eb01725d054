// Property tests over random valid bodies (fixed seed): JSON round trip gives an equal
// tree and identical buffers, and the compiled evaluator matches the naive reference
// walker word for word, including faults, step budgets, printf and requeue.
#include <gtest/gtest.h>

#include <random>

#include "harness.h"
#include "reference.h"

namespace mk::ir::test {
namespace {

// Generates bodies that validate: names are bound before use and never rebound while
// visible, loops are small and constant, and most addresses land inside a 16-word window.
class Generator {
 public:
  explicit Generator(std::uint32_t seed) : m_rng(seed) {}

  Body body() {
    m_visible.clear();
    m_next_name = 0;
    return block(0);
  }

 private:
  std::mt19937 m_rng;
  std::vector<std::pair<std::string, bool>> m_visible;  // name, is loop variable
  int m_next_name = 0;

  u32 pick(u32 n) { return std::uniform_int_distribution<u32>(0, n - 1)(m_rng); }
  bool chance(u32 percent) { return pick(100) < percent; }

  u32 constant() {
    static constexpr u32 EDGES[] = {0, 1, 2, 3, 15, 16, 31, 32, 33, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu};
    return chance(60) ? pick(20) : EDGES[pick(std::size(EDGES))];
  }

  Expr address(int depth) { return chance(85) ? (expr(depth) & 15) : expr(depth); }

  Expr expr(int depth) {
    const u32 kinds = depth <= 0 ? 5 : 14;
    switch (pick(kinds)) {
      case 0:
        return constant();
      case 1:
        return arg(pick(abi::MAX_ARGS));
      case 2:
        return chance(50) ? tenant() : slot();
      case 3:
      case 4:
        if (m_visible.empty()) return constant();
        return var(m_visible[pick(static_cast<u32>(m_visible.size()))].first);
      case 5:
      case 6:
      case 7: {
        const auto op = static_cast<BinaryOp>(pick(BINARY_OP_COUNT));
        Expr b = expr(depth - 1);
        if ((op == BinaryOp::Div || op == BinaryOp::Rem) && chance(70)) b = b | 1;
        return binary(op, expr(depth - 1), b);
      }
      case 8:
        return !expr(depth - 1);
      case 9:
        return select(expr(depth - 1), expr(depth - 1), expr(depth - 1));
      case 10:
        return load(address(depth - 1));
      case 11:
        return atomic_add(address(depth - 1), expr(depth - 1));
      case 12:
        return cas(address(depth - 1), expr(depth - 1), expr(depth - 1));
      default:
        return expr(depth - 1);
    }
  }

  Body block(int nesting) {
    Body out;
    const std::size_t mark = m_visible.size();
    const u32 count = pick(nesting == 0 ? 8 : 4);
    for (u32 i = 0; i < count; ++i) out.push_back(stmt(nesting));
    m_visible.resize(mark);
    return out;
  }

  std::vector<Expr> printf_args() {
    std::vector<Expr> args;
    for (u32 n = pick(abi::PRINTF_MAX_ARGS + 1); n > 0; --n) args.push_back(expr(2));
    return args;
  }

  Stmt stmt(int nesting) {
    const u32 roll = pick(100);
    if (roll < 25) {
      std::string name = "v" + std::to_string(m_next_name++);
      Stmt s = let(name, expr(3));
      m_visible.emplace_back(std::move(name), false);
      return s;
    }
    if (roll < 40) {
      std::vector<std::string> settable;
      for (const auto& [name, loop] : m_visible)
        if (!loop) settable.push_back(name);
      if (!settable.empty()) return set(settable[pick(static_cast<u32>(settable.size()))], expr(3));
      return store(address(2), expr(2));
    }
    if (roll < 55) return store(address(2), expr(3));
    if (roll < 65 && nesting < 3) return if_(expr(2), block(nesting + 1), chance(50) ? block(nesting + 1) : Body{});
    if (roll < 73 && nesting < 3) {
      const u32 from = chance(80) ? pick(4) : 0xFFFFFFFFu - pick(3);
      const u32 to = from + pick(4);
      std::string name = "i" + std::to_string(m_next_name++);
      m_visible.emplace_back(name, true);
      Body loop_body = block(nesting + 1);
      m_visible.pop_back();
      return for_(name, from, to < from ? 0xFFFFFFFFu : to, std::move(loop_body));
    }
    if (roll < 83) return printf(pick(1000), printf_args());
    if (roll < 88) return result(expr(3));
    if (roll < 91) return fault(1 + pick(abi::FAULT_CODE_COUNT - 1));
    if (roll < 93) return requeue();
    return store(address(1), expr(1));
  }
};

constexpr Geometry GEOMETRY{.slots = 4, .observables = 32, .tenants = 2, .log_capacity = 6};
constexpr u32 SLOT = 3;
constexpr u32 TENANT = 1;

// Runs one item of `handlers[0]` with `custom` on fresh buffers (tenant 1's window is
// observables 8..23, seeded with a pattern) and returns every word of every buffer.
template <class Custom>
std::vector<u32> run_words(const std::vector<OpcodeHandler>& handlers, Custom& custom, const std::vector<u32>& args) {
  Machine m(GEOMETRY);
  m.stamp(handlers);
  m.set_window(TENANT, 8, 16);
  for (u32 i = 0; i < GEOMETRY.observables; ++i) m.obs(i) = i * 0x9E3779B9u;
  m.publish(SLOT, handlers[0].opcode, args, TENANT);
  m.step(SLOT, custom);
  return m.all_words();
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
    ++outcomes[got[SLOT * abi::SLOT_WORDS + abi::SLOT_STATUS]];
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
    if (words[SLOT * abi::SLOT_WORDS + abi::SLOT_STATUS] == abi::STATUS_FAULT) {
      const u32 code = words[SLOT * abi::SLOT_WORDS + abi::SLOT_RESULT];
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
