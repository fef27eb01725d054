// Typed operations on the CPU evaluator against the independent host reference
// (typed_reference.h): the documented edge cases one by one, then every operation of
// tests/ir/typed_suite.h over thousands of edge-biased random operands (fixed seeds),
// NaN payloads, ±inf, subnormals, ±0, INT_MIN, -1 and u64 boundaries included.
// What this catches: an evaluator whose f32 results are not IEEE round-to-nearest-even
// bit for bit (double rounding, flushed subnormals, fused a*b+c, NaN payloads leaking),
// conversions that do not saturate, and i32/u64 edge rules that drift from docs/ir.md.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "harness.h"
#include "typed_reference.h"
#include "typed_suite.h"

namespace mk::ir::test {
namespace {

namespace ref = reference;
using namespace typed_test;

std::string hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(v));
  return text;
}

// Runs one expression of the given operand words and returns the u32 RESULT.
u32 eval(Expr e, std::vector<u32> args = {}) {
  const Ran r = run_body(body({result(std::move(e))}), std::move(args));
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  return r.result;
}
u32 f32op(Expr e, std::vector<u32> args) { return eval(bits_from_f32(std::move(e)), std::move(args)); }
Expr fa() { return f32_from_bits(arg(0)); }
Expr fb() { return f32_from_bits(arg(1)); }
Expr fc() { return f32_from_bits(arg(2)); }

constexpr u32 PLUS_ZERO = 0x00000000u, MINUS_ZERO = 0x80000000u, ONE = 0x3F800000u, INF = 0x7F800000u,
              NEG_INF = 0xFF800000u, QNAN = 0x7FC00000u, NAN_PAYLOAD = 0x7FC12345u, NEG_NAN = 0xFFC00000u,
              SIGNALLING_NAN = 0x7F800001u, MIN_SUBNORMAL = 0x00000001u, MIN_NORMAL = 0x00800000u;

TEST(TypedOps, EveryNanIsTheCanonicalQuietNan) {
  EXPECT_EQ(f32op(fa() + fb(), {NAN_PAYLOAD, ONE}), QNAN);
  EXPECT_EQ(f32op(fa() + fb(), {SIGNALLING_NAN, ONE}), QNAN);
  EXPECT_EQ(f32op(fa() - fb(), {INF, INF}), QNAN);
  EXPECT_EQ(f32op(fa() * fb(), {INF, PLUS_ZERO}), QNAN);
  EXPECT_EQ(f32op(fa() / fb(), {PLUS_ZERO, MINUS_ZERO}), QNAN);
  EXPECT_EQ(f32op(sqrt(fa()), {0xBF800000u}), QNAN);  // sqrt(-1)
  EXPECT_EQ(f32op(fma(fa(), fb(), fc()), {INF, PLUS_ZERO, ONE}), QNAN);
  EXPECT_EQ(f32op(floor(fa()), {NEG_NAN}), QNAN);
  EXPECT_EQ(f32op(round(fa()), {NAN_PAYLOAD}), QNAN);
  EXPECT_EQ(f32op(abs(fa()), {NEG_NAN}), QNAN);  // even the sign-bit operations
  EXPECT_EQ(f32op(neg(fa()), {QNAN}), QNAN);
  // Moving bits is not arithmetic: a bit cast, a select and a constant keep the payload.
  EXPECT_EQ(f32op(fa(), {NAN_PAYLOAD}), NAN_PAYLOAD);
  EXPECT_EQ(f32op(select(1, fa(), fb()), {NAN_PAYLOAD, ONE}), NAN_PAYLOAD);
  EXPECT_EQ(eval(bits_from_f32(c_f32_bits(NAN_PAYLOAD))), NAN_PAYLOAD);
}

TEST(TypedOps, DivisionByZeroIsIeeeAndDoesNotFault) {
  EXPECT_EQ(f32op(fa() / fb(), {ONE, PLUS_ZERO}), INF);
  EXPECT_EQ(f32op(fa() / fb(), {ONE, MINUS_ZERO}), NEG_INF);
  EXPECT_EQ(f32op(fa() / fb(), {0xBF800000u, PLUS_ZERO}), NEG_INF);
}

TEST(TypedOps, SubnormalsAreKept) {
  EXPECT_EQ(f32op(fa() * fb(), {MIN_SUBNORMAL, ONE}), MIN_SUBNORMAL);
  EXPECT_EQ(f32op(fa() - fb(), {MIN_NORMAL, MIN_SUBNORMAL}), 0x007FFFFFu);
  EXPECT_EQ(f32op(fa() / fb(), {MIN_NORMAL, 0x40000000u}), 0x00400000u);  // 2^-126 / 2
  EXPECT_EQ(eval(fa() > fb(), {MIN_SUBNORMAL, PLUS_ZERO}), 1u);           // not flushed to zero
  EXPECT_EQ(f32op(floor(fa()), {0x80000001u}), 0xBF800000u);              // floor(-tiny) = -1
  EXPECT_EQ(f32op(ceil(fa()), {MIN_SUBNORMAL}), ONE);
}

TEST(TypedOps, FmaRoundsOnceAndMultiplyAddTwice) {
  // (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46 exactly; the product alone rounds to 1 + 2^-22.
  const std::vector<u32> args = {0x3F800001u, 0x3F800001u, 0xBF800002u};
  EXPECT_EQ(f32op(fma(fa(), fb(), fc()), args), 0x28800000u);
  EXPECT_EQ(f32op(fa() * fb() + fc(), args), PLUS_ZERO);
}

TEST(TypedOps, MinMaxIgnoreNanAndOrderSignedZeros) {
  EXPECT_EQ(f32op(min(fa(), fb()), {MINUS_ZERO, PLUS_ZERO}), MINUS_ZERO);
  EXPECT_EQ(f32op(min(fa(), fb()), {PLUS_ZERO, MINUS_ZERO}), MINUS_ZERO);
  EXPECT_EQ(f32op(max(fa(), fb()), {MINUS_ZERO, PLUS_ZERO}), PLUS_ZERO);
  EXPECT_EQ(f32op(max(fa(), fb()), {PLUS_ZERO, MINUS_ZERO}), PLUS_ZERO);
  EXPECT_EQ(f32op(min(fa(), fb()), {NAN_PAYLOAD, ONE}), ONE);
  EXPECT_EQ(f32op(max(fa(), fb()), {ONE, SIGNALLING_NAN}), ONE);
  EXPECT_EQ(f32op(min(fa(), fb()), {NAN_PAYLOAD, SIGNALLING_NAN}), QNAN);
  EXPECT_EQ(f32op(max(fa(), fb()), {NEG_INF, INF}), INF);
}

TEST(TypedOps, ComparisonsAreOrdered) {
  EXPECT_EQ(eval(fa() == fb(), {QNAN, QNAN}), 0u);
  EXPECT_EQ(eval(fa() != fb(), {QNAN, QNAN}), 0u);  // ordered: NaN != NaN is 0
  EXPECT_EQ(eval(fa() != fb(), {QNAN, ONE}), 0u);
  EXPECT_EQ(eval(!(fa() == fb()), {QNAN, ONE}), 1u);  // the unordered form
  EXPECT_EQ(eval(fa() < fb(), {QNAN, INF}), 0u);
  EXPECT_EQ(eval(fa() >= fb(), {INF, QNAN}), 0u);
  EXPECT_EQ(eval(fa() == fb(), {PLUS_ZERO, MINUS_ZERO}), 1u);
  EXPECT_EQ(eval(fa() != fb(), {ONE, 0x40000000u}), 1u);
  EXPECT_EQ(eval(fa() < fb(), {NEG_INF, MIN_SUBNORMAL}), 1u);
}

TEST(TypedOps, RoundIsHalfToEven) {
  const auto r = [](float x) { return f32op(round(fa()), {std::bit_cast<u32>(x)}); };
  EXPECT_EQ(r(0.5f), PLUS_ZERO);
  EXPECT_EQ(r(1.5f), std::bit_cast<u32>(2.0f));
  EXPECT_EQ(r(2.5f), std::bit_cast<u32>(2.0f));
  EXPECT_EQ(r(-0.5f), MINUS_ZERO);
  EXPECT_EQ(r(-2.5f), std::bit_cast<u32>(-2.0f));
  EXPECT_EQ(r(-3.5f), std::bit_cast<u32>(-4.0f));
  EXPECT_EQ(r(0.49999997f), PLUS_ZERO);
  EXPECT_EQ(r(8388609.0f), std::bit_cast<u32>(8388609.0f));  // 2^23 + 1: already whole
  EXPECT_EQ(f32op(floor(fa()), {std::bit_cast<u32>(-0.5f)}), std::bit_cast<u32>(-1.0f));
  EXPECT_EQ(f32op(ceil(fa()), {std::bit_cast<u32>(-0.5f)}), MINUS_ZERO);
  EXPECT_EQ(f32op(floor(fa()), {MINUS_ZERO}), MINUS_ZERO);
}

TEST(TypedOps, FloatToIntegerTruncatesAndSaturates) {
  const auto u = [](u32 x) { return eval(u32_from_f32(f32_from_bits(arg(0))), {x}); };
  const auto i = [](u32 x) { return eval(u32_from_i32(i32_from_f32(f32_from_bits(arg(0)))), {x}); };
  EXPECT_EQ(u(std::bit_cast<u32>(3.99f)), 3u);
  EXPECT_EQ(u(std::bit_cast<u32>(0.99f)), 0u);
  EXPECT_EQ(u(std::bit_cast<u32>(-0.99f)), 0u);
  EXPECT_EQ(u(std::bit_cast<u32>(-1.0f)), 0u);  // saturates at 0
  EXPECT_EQ(u(NEG_INF), 0u);
  EXPECT_EQ(u(QNAN), 0u);
  EXPECT_EQ(u(NEG_NAN), 0u);
  EXPECT_EQ(u(0x4F7FFFFFu), 4294967040u);  // the largest f32 below 2^32
  EXPECT_EQ(u(0x4F800000u), 0xFFFFFFFFu);  // 2^32
  EXPECT_EQ(u(INF), 0xFFFFFFFFu);
  EXPECT_EQ(i(std::bit_cast<u32>(-1.5f)), 0xFFFFFFFFu);  // -1: toward zero
  EXPECT_EQ(i(0x4EFFFFFFu), 2147483520u);
  EXPECT_EQ(i(0x4F000000u), 0x7FFFFFFFu);  // 2^31 saturates to INT_MAX
  EXPECT_EQ(i(0xCF000000u), 0x80000000u);  // -2^31 is INT_MIN exactly
  EXPECT_EQ(i(0xCF000001u), 0x80000000u);  // below saturates
  EXPECT_EQ(i(NEG_INF), 0x80000000u);
  EXPECT_EQ(i(QNAN), 0u);
  EXPECT_EQ(f32op(f32_from_u32(arg(0)), {0xFFFFFFFFu}), 0x4F800000u);  // rounds to 2^32
  EXPECT_EQ(f32op(f32_from_u32(arg(0)), {16777217u}), 0x4B800000u);    // 2^24 + 1: tie to even
  EXPECT_EQ(f32op(f32_from_i32(i32_from_u32(arg(0))), {0x80000000u}), 0xCF000000u);
}

TEST(TypedOps, SignedIntegerEdges) {
  const auto i = [](Expr e, std::vector<u32> args) { return eval(u32_from_i32(std::move(e)), std::move(args)); };
  const Expr a = i32_from_u32(arg(0)), b = i32_from_u32(arg(1));
  EXPECT_EQ(i(a / b, {0x80000000u, 0xFFFFFFFFu}), 0x80000000u);  // INT_MIN / -1 = INT_MIN
  EXPECT_EQ(i(a % b, {0x80000000u, 0xFFFFFFFFu}), 0u);
  EXPECT_EQ(i(a / b, {static_cast<u32>(-7), 2}), static_cast<u32>(-3));  // truncates
  EXPECT_EQ(i(a % b, {static_cast<u32>(-7), 2}), static_cast<u32>(-1));  // sign of the dividend
  EXPECT_EQ(i(a >> arg(1), {0x80000000u, 31}), 0xFFFFFFFFu);
  EXPECT_EQ(i(a >> arg(1), {0x80000000u, 40}), 0xFFFFFFFFu);  // >= 32: the sign
  EXPECT_EQ(i(a >> arg(1), {0x40000000u, 40}), 0u);
  EXPECT_EQ(i(a << arg(1), {1, 32}), 0u);
  EXPECT_EQ(eval(a < b, {0xFFFFFFFFu, 0}), 1u);  // -1 < 0 signed
  EXPECT_EQ(eval(arg(0) < arg(1), {0xFFFFFFFFu, 0}), 0u);
  EXPECT_EQ(i(abs(a), {0x80000000u}), 0x80000000u);
  EXPECT_EQ(i(neg(a), {0x80000000u}), 0x80000000u);
  EXPECT_EQ(i(min(a, b), {0xFFFFFFFFu, 1}), 0xFFFFFFFFu);
  EXPECT_EQ(i(mul_hi(a, b), {0xFFFFFFFFu, 0xFFFFFFFFu}), 0u);  // -1 * -1 = 1
  EXPECT_EQ(i(mul_hi(a, b), {0x80000000u, 2}), 0xFFFFFFFFu);
  EXPECT_EQ(eval(u64_hi(u64_from_i32(a)), {0x80000000u}), 0xFFFFFFFFu);
  EXPECT_EQ(eval(mul_hi(arg(0), arg(1)), {0xFFFFFFFFu, 0xFFFFFFFFu}), 0xFFFFFFFEu);
}

TEST(TypedOps, DivisionByZeroFaultsForI32AndU64) {
  const Expr a = i32_from_u32(arg(0)), b = i32_from_u32(arg(1));
  const Expr x = u64_from_words(arg(0), arg(0)), y = u64_from_u32(arg(1));
  for (Expr e : {u32_from_i32(a / b), u32_from_i32(a % b), u64_lo(x / y), u64_lo(x % y)}) {
    const Ran r = run_body(body({result(e)}), {5, 0});
    EXPECT_EQ(r.status, abi::STATUS_FAULT);
    EXPECT_EQ(r.result, abi::FAULT_DIVIDE_BY_ZERO);
  }
}

TEST(TypedOps, U64Edges) {
  const Expr a = u64_from_words(arg(0), arg(1)), b = u64_from_words(arg(2), arg(3));
  const auto lo_hi = [](Expr e, std::vector<u32> args) {
    return std::pair{eval(u64_lo(e), args), eval(u64_hi(e), args)};
  };
  EXPECT_EQ(lo_hi(a + b, {0xFFFFFFFFu, 0, 1, 0}), std::pair(0u, 1u));  // carry into the high word
  EXPECT_EQ(lo_hi(a - b, {0, 0, 1, 0}), std::pair(0xFFFFFFFFu, 0xFFFFFFFFu));
  EXPECT_EQ(lo_hi(a * b, {0, 1, 0, 1}), std::pair(0u, 0u));  // 2^64 wraps
  EXPECT_EQ(lo_hi(mul_hi(a, b), {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}),
            std::pair(0xFFFFFFFEu, 0xFFFFFFFFu));
  EXPECT_EQ(lo_hi(a << arg(4), {1, 0, 0, 0, 63}), std::pair(0u, 0x80000000u));
  EXPECT_EQ(lo_hi(a << arg(4), {1, 0, 0, 0, 64}), std::pair(0u, 0u));
  EXPECT_EQ(lo_hi(a >> arg(4), {0, 0x80000000u, 0, 0, 63}), std::pair(1u, 0u));
  EXPECT_EQ(lo_hi(mul_wide(arg(0), arg(1)), {0xFFFFFFFFu, 0xFFFFFFFFu}), std::pair(1u, 0xFFFFFFFEu));
  EXPECT_EQ(eval(a < b, {0, 1, 0xFFFFFFFFu, 0}), 0u);  // compares all 64 bits
  EXPECT_EQ(lo_hi(neg(a), {1, 0}), std::pair(0xFFFFFFFFu, 0xFFFFFFFFu));
}

// ---------------------------------------------------------------------------
// Every operation of the typed suite over random operands.

constexpr u32 DST = 2;  // even: the suite stores u64 results with store64

class Suite {
 public:
  Suite()
      : m_handlers(typed_handlers()),
        m_compiled(compile(m_handlers)),
        m_machine(Geometry{.slots = 1, .observables = 64}) {
    m_machine.stamp(m_handlers);
  }

  // Runs one item; returns RESULT, with `words` output words from DST in `out`.
  Ran run(TypedOp op, const std::vector<u32>& args, u32 words, std::vector<u32>& out) {
    for (u32 i = 0; i < 64; ++i) m_machine.obs(i) = 0xDEADBEEFu;
    m_machine.publish(0, op, args);
    m_machine.step(0, m_compiled.ops);
    out.assign(words, 0);
    for (u32 i = 0; i < words; ++i) out[i] = m_machine.obs(DST + i);
    return {m_machine.status(0), m_machine.result(0)};
  }

 private:
  std::vector<OpcodeHandler> m_handlers;
  Compiled m_compiled;
  Machine m_machine;
};

// Reports the first differing word by name; returns whether all matched.
bool same(const std::vector<u32>& got, const std::vector<u32>& want, const char* const* names,
          const std::vector<u32>& args) {
  for (std::size_t k = 0; k < want.size(); ++k) {
    if (got[k] == want[k]) continue;
    std::string in;
    for (u32 a : args) in += hex(a) + " ";
    ADD_FAILURE() << names[k] << " (word " << k << "): got " << hex(got[k]) << ", want " << hex(want[k]) << "; args "
                  << in;
    return false;
  }
  return true;
}

void put64(std::vector<u32>& out, std::size_t at, std::uint64_t v) {
  out[at] = static_cast<u32>(v);
  out[at + 1] = static_cast<u32>(v >> 32);
}

TEST(TypedOps, F32SuiteMatchesTheReference) {
  static const char* const NAMES[F32_WORDS] = {
      "a+b", "a-b",  "a*b",   "a/b",          "fma",          "min",          "max",          "abs",
      "neg", "sqrt", "floor", "ceil",         "round",        "==",           "!=",           "<",
      "<=",  ">",    ">=",    "u32_from_f32", "i32_from_f32", "f32_from_u32", "f32_from_i32", "select"};
  Suite suite;
  Operands r(1401);
  std::vector<u32> out;
  for (int i = 0; i < 20000; ++i) {
    const std::vector<u32> args = typed_args(F32_OPS, r, DST);
    const u32 a = args[0], b = args[1], c = args[2], u = args[3], s = args[4];
    const Ran ran = suite.run(F32_OPS, args, F32_WORDS, out);
    ASSERT_EQ(ran.status, abi::STATUS_DONE);
    const std::vector<u32> want = {
        ref::add(a, b),       ref::sub(a, b),       ref::mul(a, b),       ref::div(a, b), ref::fma(a, b, c),
        ref::min(a, b),       ref::max(a, b),       ref::abs(a),          ref::neg(a),    ref::sqrt(a),
        ref::floor(a),        ref::ceil(a),         ref::round(a),        ref::eq(a, b),  ref::ne(a, b),
        ref::lt(a, b),        ref::le(a, b),        ref::gt(a, b),        ref::ge(a, b),  ref::u32_from_f32(a),
        ref::i32_from_f32(a), ref::f32_from_u32(u), ref::f32_from_i32(s), (u & 1) ? a : b};
    ASSERT_TRUE(same(out, want, NAMES, args));
    ASSERT_EQ(ran.result, want[4]);
  }
}

TEST(TypedOps, I32SuiteMatchesTheReference) {
  static const char* const NAMES[I32_WORDS] = {"a+b", "a-b", "a*b",    "a/b", "a%b", "a&b",     "a|b",     "a^b",
                                               "<<",  ">>",  "==",     "!=",  "<",   "<=",      ">",       ">=",
                                               "min", "max", "mul_hi", "neg", "abs", "via f32", "sext lo", "sext hi"};
  Suite suite;
  Operands r(1402);
  std::vector<u32> out;
  for (int i = 0; i < 20000; ++i) {
    const std::vector<u32> args = typed_args(I32_OPS, r, DST);
    const u32 a = args[0], b = args[1], n = args[2];
    const Ran ran = suite.run(I32_OPS, args, I32_WORDS, out);
    ASSERT_EQ(ran.status, abi::STATUS_DONE);
    const auto sa = ref::s32(a), sb = ref::s32(b);
    std::vector<u32> want = {a + b,
                             a - b,
                             a * b,
                             b != 0 ? ref::i32_div(a, b) : SENTINEL,
                             b != 0 ? ref::i32_rem(a, b) : SENTINEL,
                             a & b,
                             a | b,
                             a ^ b,
                             ref::u32_shl(a, n),
                             ref::i32_shr(a, n),
                             a == b,
                             a != b,
                             sa<sb, sa <= sb, sa>
                                 sb,
                             sa >= sb,
                             ref::i32_min(a, b),
                             ref::i32_max(a, b),
                             ref::i32_mul_hi(a, b),
                             0u - a,
                             ref::i32_abs(a),
                             ref::u32_from_f32(ref::f32_from_i32(a)),
                             0,
                             0};
    put64(want, 22, static_cast<std::uint64_t>(std::int64_t{sa}));
    ASSERT_TRUE(same(out, want, NAMES, args));
    ASSERT_EQ(ran.result, a + b);
  }
}

TEST(TypedOps, U64SuiteMatchesTheReference) {
  static const char* const NAMES[U64_WORDS] = {
      "a+b lo", "a+b hi",  "a-b lo",  "a-b hi",      "a*b lo",      "a*b hi",  "a/b lo",     "a/b hi",    "a%b lo",
      "a%b hi", "a&b lo",  "a&b hi",  "a|b lo",      "a|b hi",      "a^b lo",  "a^b hi",     "<< lo",     "<< hi",
      ">> lo",  ">> hi",   "min lo",  "min hi",      "max lo",      "max hi",  "mul_hi lo",  "mul_hi hi", "neg lo",
      "neg hi", "zext lo", "zext hi", "mul_wide lo", "mul_wide hi", "==",      "!=",         "<",         "<=",
      ">",      ">=",      "lo",      "hi",          "u32 min",     "u32 max", "u32 mul_hi", "u32 neg"};
  Suite suite;
  Operands r(1403);
  std::vector<u32> out;
  for (int i = 0; i < 20000; ++i) {
    const std::vector<u32> args = typed_args(U64_OPS, r, DST);
    const std::uint64_t a = std::uint64_t{args[1]} << 32 | args[0], b = std::uint64_t{args[3]} << 32 | args[2];
    const u32 n = args[4], alo = args[0], blo = args[2];
    const Ran ran = suite.run(U64_OPS, args, U64_WORDS, out);
    ASSERT_EQ(ran.status, abi::STATUS_DONE);
    std::vector<u32> want(U64_WORDS);
    put64(want, 0, a + b);
    put64(want, 2, a - b);
    put64(want, 4, a * b);
    put64(want, 6, b != 0 ? a / b : SENTINEL);
    put64(want, 8, b != 0 ? a % b : SENTINEL);
    put64(want, 10, a & b);
    put64(want, 12, a | b);
    put64(want, 14, a ^ b);
    put64(want, 16, ref::u64_shl(a, n));
    put64(want, 18, ref::u64_shr(a, n));
    put64(want, 20, a < b ? a : b);
    put64(want, 22, a > b ? a : b);
    put64(want, 24, ref::u64_mul_hi(a, b));
    put64(want, 26, 0 - a);
    put64(want, 28, alo);
    put64(want, 30, std::uint64_t{alo} * blo);
    want[32] = a == b, want[33] = a != b, want[34] = a<b, want[35] = a <= b, want[36] = a> b, want[37] = a >= b;
    want[38] = static_cast<u32>(a), want[39] = static_cast<u32>(a >> 32);
    want[40] = alo < blo ? alo : blo, want[41] = alo > blo ? alo : blo, want[42] = ref::u32_mul_hi(alo, blo);
    want[43] = 0u - alo;
    ASSERT_TRUE(same(out, want, NAMES, args));
    ASSERT_EQ(ran.result, static_cast<u32>(a * b) ^ static_cast<u32>((a + b) >> 32));
  }
}

}  // namespace
}  // namespace mk::ir::test
