// Handlers that run every typed operation once per item and store each result in its own
// window word, plus the edge-biased operand words they are fed. Shared by the CPU tests
// (tests/ir/test_typed_ops.cpp, against typed_reference.h) and the GPU twin
// (tests/jit/test_jit_typed.cpp, JIT against the CPU evaluator).
#pragma once

#include <bit>
#include <random>
#include <vector>

#include "mk/ir.h"

namespace mk::ir::typed_test {

using u32 = std::uint32_t;
using u64 = std::uint64_t;

enum TypedOp : u32 {
  F32_OPS = 4300,  // a, b, c (f32 bits), u, s (u32, i32 bits), dst -> F32_WORDS words at dst
  I32_OPS,         // a, b (i32 bits), n (shift count), dst -> I32_WORDS words at dst (dst even)
  U64_OPS,         // a_lo, a_hi, b_lo, b_hi, n, dst -> U64_WORDS words at dst (dst even)
  MEM64,           // addr, lo, hi, mode: 0 atomic_add64 (-> lo ^ hi of the old value), 1 store64,
                   // 2 load64 (-> lo + 3 hi), 3 atomic_add64 (-> 0: order-independent under contention)
  DIV_ZERO,        // mode, a, b, marker: store(marker, 1) then a / b or a % b in i32 (mode 0, 1), u64 (2, 3)
};
inline constexpr u32 F32_WORDS = 24;
inline constexpr u32 I32_WORDS = 24;
inline constexpr u32 U64_WORDS = 44;
inline constexpr u32 SENTINEL = 0x5EA15EA1u;  // a guarded division's value for a zero divisor

inline std::vector<OpcodeHandler> typed_handlers() {
  std::vector<OpcodeHandler> h;
  {
    auto a = var("a"), b = var("b"), cc = var("c");
    auto at = [](u32 k) { return arg(5) + k; };
    auto f = [&](u32 k, Expr e) { return store(at(k), bits_from_f32(e)); };
    auto w = [&](u32 k, Expr e) { return store(at(k), e); };
    h.push_back({F32_OPS, "f32_ops",
                 body({let("a", f32_from_bits(arg(0))),
                       let("b", Type::F32, f32_from_bits(arg(1))),
                       let("c", f32_from_bits(arg(2))),
                       f(0, a + b),
                       f(1, a - b),
                       f(2, a * b),
                       f(3, a / b),
                       f(4, fma(a, b, cc)),
                       f(5, min(a, b)),
                       f(6, max(a, b)),
                       f(7, abs(a)),
                       f(8, neg(a)),
                       f(9, sqrt(a)),
                       f(10, floor(a)),
                       f(11, ceil(a)),
                       f(12, round(a)),
                       w(13, a == b),
                       w(14, a != b),
                       w(15, a < b),
                       w(16, a <= b),
                       w(17, a > b),
                       w(18, a >= b),
                       w(19, u32_from_f32(a)),
                       w(20, u32_from_i32(i32_from_f32(a))),
                       f(21, f32_from_u32(arg(3))),
                       f(22, f32_from_i32(i32_from_u32(arg(4)))),
                       f(23, select(arg(3) & 1, a, b)),
                       result(bits_from_f32(fma(a, b, cc)))})});
  }
  {
    auto a = var("a"), b = var("b"), n = var("n");
    auto at = [](u32 k) { return arg(3) + k; };
    auto i = [&](u32 k, Expr e) { return store(at(k), u32_from_i32(e)); };
    auto w = [&](u32 k, Expr e) { return store(at(k), e); };
    h.push_back({I32_OPS, "i32_ops",
                 body({let("a", i32_from_u32(arg(0))),
                       let("b", i32_from_u32(arg(1))),
                       let("n", arg(2)),
                       let("nz", arg(1) != 0),
                       i(0, a + b),
                       i(1, a - b),
                       i(2, a * b),
                       i(3, select(var("nz"), a / b, c_i32(static_cast<std::int32_t>(SENTINEL)))),
                       i(4, select(var("nz"), a % b, c_i32(static_cast<std::int32_t>(SENTINEL)))),
                       i(5, a & b),
                       i(6, a | b),
                       i(7, a ^ b),
                       i(8, a << n),
                       i(9, a >> n),
                       w(10, a == b),
                       w(11, a != b),
                       w(12, a < b),
                       w(13, a <= b),
                       w(14, a > b),
                       w(15, a >= b),
                       i(16, min(a, b)),
                       i(17, max(a, b)),
                       i(18, mul_hi(a, b)),
                       i(19, neg(a)),
                       i(20, abs(a)),
                       w(21, u32_from_f32(f32_from_i32(a))),
                       store64(at(22), u64_from_i32(a)),
                       result(u32_from_i32(a + b))})});
  }
  {
    auto a = var("a"), b = var("b"), n = var("n");
    auto at = [](u32 k) { return arg(5) + k; };
    auto q = [&](u32 k, Expr e) { return store64(at(k), e); };
    auto w = [&](u32 k, Expr e) { return store(at(k), e); };
    h.push_back({U64_OPS, "u64_ops",
                 body({let("a", u64_from_words(arg(0), arg(1))),
                       let("b", u64_from_words(arg(2), arg(3))),
                       let("n", arg(4)),
                       let("nz", b != c_u64(0)),
                       q(0, a + b),
                       q(2, a - b),
                       q(4, a * b),
                       q(6, select(var("nz"), a / b, c_u64(SENTINEL))),
                       q(8, select(var("nz"), a % b, c_u64(SENTINEL))),
                       q(10, a & b),
                       q(12, a | b),
                       q(14, a ^ b),
                       q(16, a << n),
                       q(18, a >> n),
                       q(20, min(a, b)),
                       q(22, max(a, b)),
                       q(24, mul_hi(a, b)),
                       q(26, neg(a)),
                       q(28, u64_from_u32(arg(0))),
                       q(30, mul_wide(arg(0), arg(2))),
                       w(32, a == b),
                       w(33, a != b),
                       w(34, a < b),
                       w(35, a <= b),
                       w(36, a > b),
                       w(37, a >= b),
                       w(38, u64_lo(a)),
                       w(39, u64_hi(a)),
                       w(40, min(arg(0), arg(2))),
                       w(41, max(arg(0), arg(2))),
                       w(42, mul_hi(arg(0), arg(2))),
                       w(43, neg(arg(0))),
                       result(u64_lo(a * b) ^ u64_hi(a + b))})});
  }
  h.push_back(
      {MEM64, "mem64",
       body({let("v", u64_from_words(arg(1), arg(2))),
             if_(arg(3) == 0, {let("p", atomic_add64(arg(0), var("v"))), result(u64_lo(var("p")) ^ u64_hi(var("p")))}),
             if_(arg(3) == 1, {store64(arg(0), var("v")), result(1)}),
             if_(arg(3) == 3, {let("q", atomic_add64(arg(0), var("v"))), result(0)}), let("x", load64(arg(0))),
             result(u64_lo(var("x")) + u64_hi(var("x")) * 3)})});
  h.push_back({DIV_ZERO, "div_zero",
               body({store(arg(3), 1), let("a", arg(1)), let("b", arg(2)),
                     if_(arg(0) == 0, {result(u32_from_i32(i32_from_u32(var("a")) / i32_from_u32(var("b"))))}),
                     if_(arg(0) == 1, {result(u32_from_i32(i32_from_u32(var("a")) % i32_from_u32(var("b"))))}),
                     if_(arg(0) == 2, {result(u64_lo(u64_from_u32(var("a")) / u64_from_u32(var("b"))))}),
                     result(u64_lo(u64_from_words(var("a"), var("a")) % u64_from_u32(var("b"))))})});
  return h;
}

// Operand words biased toward the edges of each type.
class Operands {
 public:
  explicit Operands(u32 seed) : m_rng(seed) {}

  u32 pick(u32 n) { return std::uniform_int_distribution<u32>(0, n - 1)(m_rng); }
  u32 bits() { return static_cast<u32>(m_rng()); }

  // f32 bit patterns: ±0, ±inf, NaNs (quiet, signalling, negative, payloads), subnormals,
  // the normal boundary, FLT_MAX, rounding ties, conversion boundaries, random bits.
  u32 f32() {
    static constexpr u32 EDGES[] = {
        0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFFFFFFFFu,
        0x7FBFFFFFu, 0x7FC12345u, 0x00000001u, 0x80000001u, 0x007FFFFFu, 0x807FFFFFu, 0x00400000u, 0x00800000u,
        0x80800000u, 0x7F7FFFFFu, 0xFF7FFFFFu, 0x3F800000u, 0xBF800000u, 0x3F000000u, 0xBF000000u, 0x3FC00000u,
        0xBFC00000u, 0x40200000u, 0xC0200000u, 0x3EFFFFFFu, 0x4B000000u, 0x4B000001u, 0x4B7FFFFFu, 0x4B800000u,
        0x4F800000u, 0x4F7FFFFFu, 0x4F000000u, 0xCF000000u, 0xCF000001u, 0x4EFFFFFFu, 0x3F7FFFFFu, 0x34000000u};
    switch (pick(5)) {
      case 0:
      case 1:
        return EDGES[pick(std::size(EDGES))];
      case 2:  // halves and small integers: rounding ties, floor/ceil of negatives
        return std::bit_cast<u32>(static_cast<float>(static_cast<int>(pick(41)) - 20) / 2.0f);
      case 3:  // subnormals
        return bits() & 0x807FFFFFu;
      default:
        return bits();
    }
  }

  u32 i32() {
    static constexpr u32 EDGES[] = {0,           1,           2,           3,           7,
                                    0x7FFFFFFFu, 0x80000000u, 0x80000001u, 0xFFFFFFFFu, 0xFFFFFFFEu,
                                    0xFFFFFFF9u, 0x10000u,    0xFFFF0000u};
    const u32 roll = pick(3);
    return roll == 0 ? EDGES[pick(std::size(EDGES))] : roll == 1 ? pick(40) - 20 : bits();
  }

  u32 count() {
    static constexpr u32 EDGES[] = {0, 1, 31, 32, 33, 63, 64, 65, 127, 0x80000000u, 0xFFFFFFFFu};
    return pick(2) == 0 ? EDGES[pick(std::size(EDGES))] : pick(70);
  }

  u64 u64v() {
    static constexpr u64 EDGES[] = {0,
                                    1,
                                    2,
                                    0xFFFFFFFFull,
                                    0x100000000ull,
                                    0x7FFFFFFFFFFFFFFFull,
                                    0x8000000000000000ull,
                                    0xFFFFFFFFFFFFFFFFull,
                                    0xFFFFFFFF00000000ull,
                                    0x00000000FFFFFFFEull};
    const u32 roll = pick(3);
    return roll == 0 ? EDGES[pick(std::size(EDGES))] : roll == 1 ? u64{pick(1000)} : (u64{bits()} << 32 | bits());
  }

 private:
  std::mt19937 m_rng;
};

// Argument words of one item of `op`, its outputs at window-relative `dst` (even).
inline std::vector<u32> typed_args(TypedOp op, Operands& r, u32 dst) {
  switch (op) {
    case F32_OPS:
      return {r.f32(), r.f32(), r.f32(), r.pick(2) ? r.bits() : r.pick(1u << 25), r.i32(), dst};
    case I32_OPS:
      return {r.i32(), r.pick(8) == 0 ? 0u : r.i32(), r.count(), dst};
    case U64_OPS: {
      const u64 a = r.u64v(), b = r.pick(8) == 0 ? 0 : r.u64v();
      return {u32(a), u32(a >> 32), u32(b), u32(b >> 32), r.count(), dst};
    }
    default:
      return {};
  }
}

}  // namespace mk::ir::typed_test
