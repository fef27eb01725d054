// Random well-typed IR bodies (fixed seeds) for differential tests of the typed IR: every
// type, operator, named operation and conversion, 64-bit memory, nested through lets,
// selects and ifs. Items touch only a 16-word window (addresses 0..15; 64-bit accesses at
// even addresses, with an occasional odd or out-of-range one so BAD_ARGS and
// OUT_OF_BOUNDS are reached). Shared by tests/ir (evaluator vs the typed walker) and
// tests/jit (JIT vs evaluator).
#pragma once

#include <bit>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "mk/ir.h"

namespace mk::ir::typed_test {

class TypedGenerator {
 public:
  using u32 = std::uint32_t;
  using u64 = std::uint64_t;
  explicit TypedGenerator(u32 seed) : m_rng(seed) {}

  Body body() {
    m_visible.clear();
    m_next_name = 0;
    return block(0);
  }

  // Argument words: a mix of u32, i32 and f32 edge patterns and random bits.
  std::vector<u32> args() {
    std::vector<u32> out(abi::MAX_ARGS);
    for (u32& a : out) a = word();
    return out;
  }

 private:
  std::mt19937 m_rng;
  std::vector<std::pair<std::string, Type>> m_visible;
  int m_next_name = 0;

  u32 pick(u32 n) { return std::uniform_int_distribution<u32>(0, n - 1)(m_rng); }
  bool chance(u32 percent) { return pick(100) < percent; }
  u32 bits32() { return static_cast<u32>(m_rng()); }

  u32 word() {
    static constexpr u32 EDGES[] = {
        0,          1,           2,           31,          32,          33,          63,         64,
        0x7FFFFFFF, 0x80000000u, 0x80000001u, 0xFFFFFFFFu, 0xFFFFFFFEu, 0x80000000u, 0x3F800000, 0xBF800000u,
        0x7F800000, 0xFF800000u, 0x7FC00000,  0xFFC00000u, 0x7F800001,  0x7FFFFFFF,  0x00000001, 0x807FFFFFu,
        0x00800000, 0x7F7FFFFF,  0x3F000000,  0x3FC00000,  0x40200000,  0xBFC00000u, 0x4F800000, 0x4F7FFFFF,
        0x4F000000, 0xCF000000u, 0xCF000001u, 0x4EFFFFFF,  0x4B800000,  0x4B800001,  0x3EFFFFFF, 0x00400000};
    switch (pick(4)) {
      case 0:
        return EDGES[pick(std::size(EDGES))];
      case 1:  // small integers and halves as f32: rounding ties, floor/ceil of negatives
        return std::bit_cast<u32>(static_cast<float>(static_cast<int>(pick(41)) - 20) / 2.0f);
      case 2:  // subnormals and small integers
        return chance(50) ? bits32() & 0x807FFFFFu : pick(70);
      default:
        return bits32();
    }
  }

  u64 wide_constant() {
    static constexpr u64 EDGES[] = {0,
                                    1,
                                    0xFFFFFFFFull,
                                    0x100000000ull,
                                    0x7FFFFFFFFFFFFFFFull,
                                    0x8000000000000000ull,
                                    0xFFFFFFFFFFFFFFFFull,
                                    0xFFFFFFFF00000000ull};
    return chance(50) ? EDGES[pick(std::size(EDGES))] : (u64{bits32()} << 32 | bits32());
  }

  Expr constant(Type t) {
    switch (t) {
      case Type::U32:
        return c(word());
      case Type::I32:
        return c_i32(static_cast<std::int32_t>(word()));
      case Type::F32:
        return c_f32_bits(word());
      case Type::U64:
        return c_u64(wide_constant());
    }
    return c(0);
  }

  Type any_type() { return static_cast<Type>(pick(TYPE_COUNT)); }

  Expr leaf(Type t) {
    std::vector<std::string> vars;
    for (const auto& [name, type] : m_visible)
      if (type == t) vars.push_back(name);
    if (!vars.empty() && chance(40)) return var(vars[pick(static_cast<u32>(vars.size()))]);
    if (chance(40)) return constant(t);
    switch (t) {
      case Type::U32:
        return arg(pick(abi::MAX_ARGS));
      case Type::I32:
        return i32_from_u32(arg(pick(abi::MAX_ARGS)));
      case Type::F32:
        return f32_from_bits(arg(pick(abi::MAX_ARGS)));
      case Type::U64:
        return u64_from_words(arg(pick(abi::MAX_ARGS)), arg(pick(abi::MAX_ARGS)));
    }
    return c(0);
  }

  // Word addresses for 32-bit accesses: mostly inside the window.
  Expr address(int depth) { return chance(90) ? (gen(Type::U32, depth) & 15) : gen(Type::U32, depth); }
  // Pair addresses: mostly even and inside; sometimes odd (BAD_ARGS) or the last word (OOB).
  Expr pair_address(int depth) {
    const u32 roll = pick(100);
    if (roll < 80) return gen(Type::U32, depth) & 14;
    if (roll < 88) return (gen(Type::U32, depth) & 14) | 1;
    if (roll < 94) return c(15 + pick(3));
    return gen(Type::U32, depth);
  }
  Expr shift_count(int depth) { return chance(70) ? (gen(Type::U32, depth) & 127) : gen(Type::U32, depth); }
  // A divisor that is rarely zero (a zero divisor faults DIVIDE_BY_ZERO).
  Expr divisor(Type t, int depth) {
    Expr b = gen(t, depth);
    if (t == Type::F32 || chance(15)) return b;
    return b | (t == Type::U64 ? c_u64(1) : t == Type::I32 ? c_i32(1) : c(1));
  }

  Expr binary_of(Type t, int depth) {
    static constexpr BinaryOp FLOAT_OPS[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div};
    const BinaryOp op = t == Type::F32 ? FLOAT_OPS[pick(4)] : static_cast<BinaryOp>(pick(10));  // + .. >>
    Expr a = gen(t, depth - 1);
    if (op == BinaryOp::Shl || op == BinaryOp::Shr) return binary(op, a, shift_count(depth - 1));
    if (op == BinaryOp::Div || op == BinaryOp::Rem) return binary(op, a, divisor(t, depth - 1));
    return binary(op, a, gen(t, depth - 1));
  }

  Expr comparison(int depth) {
    const Type t = any_type();
    const auto op = static_cast<BinaryOp>(static_cast<u32>(BinaryOp::Eq) + pick(6));
    return binary(op, gen(t, depth - 1), gen(t, depth - 1));
  }

  Expr select_of(Type t, int depth) { return select(gen(Type::U32, depth - 1), gen(t, depth - 1), gen(t, depth - 1)); }

  Expr gen_f32(int d) {
    switch (pick(17)) {
      case 0:
      case 1:
      case 2:
        return binary_of(Type::F32, d);
      case 3:
        return fma(gen(Type::F32, d - 1), gen(Type::F32, d - 1), gen(Type::F32, d - 1));
      case 4:
        return min(gen(Type::F32, d - 1), gen(Type::F32, d - 1));
      case 5:
        return max(gen(Type::F32, d - 1), gen(Type::F32, d - 1));
      case 6:
        return abs(gen(Type::F32, d - 1));
      case 7:
        return neg(gen(Type::F32, d - 1));
      case 8:
        return sqrt(gen(Type::F32, d - 1));
      case 9:
        return floor(gen(Type::F32, d - 1));
      case 10:
        return ceil(gen(Type::F32, d - 1));
      case 11:
        return round(gen(Type::F32, d - 1));
      case 12:
        return f32_from_u32(gen(Type::U32, d - 1));
      case 13:
        return f32_from_i32(gen(Type::I32, d - 1));
      case 14:
        return f32_from_bits(gen(Type::U32, d - 1));
      default:
        return select_of(Type::F32, d);
    }
  }

  Expr gen_i32(int d) {
    switch (pick(12)) {
      case 0:
      case 1:
      case 2:
      case 3:
        return binary_of(Type::I32, d);
      case 4:
        return min(gen(Type::I32, d - 1), gen(Type::I32, d - 1));
      case 5:
        return max(gen(Type::I32, d - 1), gen(Type::I32, d - 1));
      case 6:
        return mul_hi(gen(Type::I32, d - 1), gen(Type::I32, d - 1));
      case 7:
        return chance(50) ? neg(gen(Type::I32, d - 1)) : abs(gen(Type::I32, d - 1));
      case 8:
        return i32_from_u32(gen(Type::U32, d - 1));
      case 9:
        return i32_from_f32(gen(Type::F32, d - 1));
      default:
        return select_of(Type::I32, d);
    }
  }

  Expr gen_u64(int d) {
    switch (pick(14)) {
      case 0:
      case 1:
      case 2:
      case 3:
        return binary_of(Type::U64, d);
      case 4:
        return chance(50) ? min(gen(Type::U64, d - 1), gen(Type::U64, d - 1))
                          : max(gen(Type::U64, d - 1), gen(Type::U64, d - 1));
      case 5:
        return mul_hi(gen(Type::U64, d - 1), gen(Type::U64, d - 1));
      case 6:
        return neg(gen(Type::U64, d - 1));
      case 7:
        return u64_from_u32(gen(Type::U32, d - 1));
      case 8:
        return u64_from_i32(gen(Type::I32, d - 1));
      case 9:
        return mul_wide(gen(Type::U32, d - 1), gen(Type::U32, d - 1));
      case 10:
        return u64_from_words(gen(Type::U32, d - 1), gen(Type::U32, d - 1));
      case 11:
        return load64(pair_address(d - 1));
      case 12:
        return atomic_add64(pair_address(d - 1), gen(Type::U64, d - 1));
      default:
        return select_of(Type::U64, d);
    }
  }

  Expr gen_u32(int d) {
    switch (pick(17)) {
      case 0:
      case 1:
        return binary_of(Type::U32, d);
      case 2:
      case 3:
        return comparison(d);
      case 4:
        return u32_from_f32(gen(Type::F32, d - 1));
      case 5:
        return bits_from_f32(gen(Type::F32, d - 1));
      case 6:
        return u32_from_i32(gen(Type::I32, d - 1));
      case 7:
        return u64_lo(gen(Type::U64, d - 1));
      case 8:
        return u64_hi(gen(Type::U64, d - 1));
      case 9:
        return chance(50) ? min(gen(Type::U32, d - 1), gen(Type::U32, d - 1))
                          : max(gen(Type::U32, d - 1), gen(Type::U32, d - 1));
      case 10:
        return mul_hi(gen(Type::U32, d - 1), gen(Type::U32, d - 1));
      case 11:
        return neg(gen(Type::U32, d - 1));
      case 12:
        return load(address(d - 1));
      case 13:
        return !gen(Type::U32, d - 1);
      case 14:
        return atomic_add(address(d - 1), gen(Type::U32, d - 1));
      default:
        return select_of(Type::U32, d);
    }
  }

  Expr gen(Type t, int depth) {
    if (depth <= 0 || chance(20)) return leaf(t);
    switch (t) {
      case Type::F32:
        return gen_f32(depth);
      case Type::I32:
        return gen_i32(depth);
      case Type::U64:
        return gen_u64(depth);
      case Type::U32:
        return gen_u32(depth);
    }
    return leaf(t);
  }

  // Any type, made a u32 word so it can be stored or returned.
  Expr as_word(int depth) {
    const Type t = any_type();
    Expr e = gen(t, depth);
    switch (t) {
      case Type::I32:
        return u32_from_i32(e);
      case Type::F32:
        return bits_from_f32(e);
      case Type::U64:
        return chance(50) ? u64_lo(e) : u64_hi(e);
      default:
        return e;
    }
  }

  Body block(int nesting) {
    Body out;
    const std::size_t mark = m_visible.size();
    const u32 count = 1 + pick(nesting == 0 ? 8 : 3);
    for (u32 i = 0; i < count; ++i) out.push_back(stmt(nesting));
    m_visible.resize(mark);
    return out;
  }

  Stmt stmt(int nesting) {
    const u32 roll = pick(100);
    if (roll < 35) {
      const Type t = any_type();
      std::string name = "v" + std::to_string(m_next_name++);
      Expr value = gen(t, 3);
      m_visible.emplace_back(name, t);
      return chance(50) ? let(std::move(name), std::move(value)) : let(std::move(name), t, std::move(value));
    }
    if (roll < 45 && !m_visible.empty()) {
      const auto [name, type] = m_visible[pick(static_cast<u32>(m_visible.size()))];
      return set(name, gen(type, 3));
    }
    if (roll < 65) return store(address(1), as_word(3));
    if (roll < 80) return store64(pair_address(1), gen(Type::U64, 3));
    if (roll < 88 && nesting < 2)
      return if_(gen(Type::U32, 2), block(nesting + 1), chance(50) ? block(nesting + 1) : Body{});
    if (roll < 93) return result(as_word(3));
    return store(address(1), as_word(2));
  }
};

}  // namespace mk::ir::typed_test
