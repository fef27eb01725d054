// Random valid u32 IR bodies (names bound before use and never rebound while visible,
// small constant loops, most addresses inside a 16-word window, every statement kind):
// the property tests (tests/ir/test_property.cpp) and the JIT's differential tests
// against the CPU evaluator (tests/jit) draw from the same generator.
#pragma once

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "mk/ir.h"

namespace mk::ir::random_test {

class Generator {
 public:
  using u32 = std::uint32_t;
  explicit Generator(u32 seed) : m_rng(seed) {}

  ir::Body body() {
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

  ir::Expr address(int depth) { return chance(85) ? (expr(depth) & 15) : expr(depth); }

  ir::Expr expr(int depth) {
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

  ir::Body block(int nesting) {
    ir::Body out;
    const std::size_t mark = m_visible.size();
    const u32 count = pick(nesting == 0 ? 8 : 4);
    for (u32 i = 0; i < count; ++i) out.push_back(stmt(nesting));
    m_visible.resize(mark);
    return out;
  }

  std::vector<ir::Expr> printf_args() {
    std::vector<ir::Expr> args;
    for (u32 n = pick(abi::PRINTF_MAX_ARGS + 1); n > 0; --n) args.push_back(expr(2));
    return args;
  }

  ir::Stmt stmt(int nesting) {
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
    if (roll < 83) return ir::printf(pick(1000), printf_args());
    if (roll < 88) return result(expr(3));
    if (roll < 91) return fault(1 + pick(abi::FAULT_CODE_COUNT - 1));
    if (roll < 93) return requeue();
    return store(address(1), expr(1));
  }
};

// `count` random handlers with opcodes 4096.. and names "r0".. .
inline std::vector<OpcodeHandler> random_handlers(std::uint32_t seed, std::uint32_t count) {
  Generator gen(seed);
  std::vector<OpcodeHandler> out;
  for (std::uint32_t k = 0; k < count; ++k) out.push_back({4096 + k, "r" + std::to_string(k), gen.body()});
  return out;
}

}  // namespace mk::ir::random_test
