// Typed IR scalar semantics (i32, f32, u64 and the checked u32 ops) as host+device
// functions over bit patterns: the CPU evaluator and the JIT's lowered code call these same
// functions, so both backends compute identical bits (docs/ir.md §1).
#pragma once

#include "mk/abi.h"
#include "mk/config.h"

#if !defined(__CUDACC_RTC__)
#include <cmath>
#include <cstring>
#endif

// The f32 rules are IEEE-754 binary32 with round-to-nearest-even and subnormals kept.
// -ffast-math (or -ffinite-math-only) lets the compiler assume there is no NaN and break
// the canonicalisation and comparisons below; x87 arithmetic rounds twice (to 80 then to
// 32 bits). Refuse both rather than drift from the GPU.
// (NVRTC and nvcc always define __USE_FAST_MATH__, as 1 under -use_fast_math.)
#if defined(__FAST_MATH__) || (defined(__USE_FAST_MATH__) && __USE_FAST_MATH__) || \
    (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "the IR's f32 semantics need IEEE arithmetic: no -ffast-math, -ffinite-math-only or -use_fast_math"
#endif
#if !MK_ON_DEVICE && defined(__FLT_EVAL_METHOD__) && __FLT_EVAL_METHOD__ != 0
#error "the IR's f32 semantics need float arithmetic evaluated in float (SSE, not x87): FLT_EVAL_METHOD must be 0"
#endif

namespace mk::interp {

using abi::u32;
using abi::u64;

// Every f32 operation that yields a NaN yields exactly this one (quiet, positive), so the
// CPU and the GPU (which produce 0x7FFFFFFF for some operations) agree bit for bit.
inline constexpr u32 F32_CANONICAL_NAN = 0x7FC00000u;

// --- f32 <-> bits ------------------------------------------------------------------
MK_HD inline float f32_value(u32 bits) {
#if MK_ON_DEVICE
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

MK_HD inline u32 f32_bits(float f) {
#if MK_ON_DEVICE
  return __float_as_uint(f);
#else
  u32 bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
#endif
}

// On the bits, so no compiler assumption about NaN can remove the test.
MK_HD inline bool f32_is_nan(u32 bits) { return (bits & 0x7FFFFFFFu) > 0x7F800000u; }
MK_HD inline u32 f32_canonical(float f) {
  const u32 bits = f32_bits(f);
  return f32_is_nan(bits) ? F32_CANONICAL_NAN : bits;
}

// --- f32 arithmetic: correctly rounded (round to nearest even), NaN canonical ---------
// The device uses the _rn intrinsics: correctly rounded whatever -prec-div/-prec-sqrt
// say, and never contracted into a fused multiply-add.
MK_HD inline u32 f32_add(u32 a, u32 b) {
#if MK_ON_DEVICE
  return f32_canonical(__fadd_rn(f32_value(a), f32_value(b)));
#else
  return f32_canonical(f32_value(a) + f32_value(b));
#endif
}
MK_HD inline u32 f32_sub(u32 a, u32 b) {
#if MK_ON_DEVICE
  return f32_canonical(__fsub_rn(f32_value(a), f32_value(b)));
#else
  return f32_canonical(f32_value(a) - f32_value(b));
#endif
}
MK_HD inline u32 f32_mul(u32 a, u32 b) {
#if MK_ON_DEVICE
  return f32_canonical(__fmul_rn(f32_value(a), f32_value(b)));
#else
  return f32_canonical(f32_value(a) * f32_value(b));
#endif
}
// Division by zero is IEEE (±inf, or NaN for 0/0); it does not fault.
MK_HD inline u32 f32_div(u32 a, u32 b) {
#if MK_ON_DEVICE
  return f32_canonical(__fdiv_rn(f32_value(a), f32_value(b)));
#else
  return f32_canonical(f32_value(a) / f32_value(b));
#endif
}
// a * b + c with one rounding.
MK_HD inline u32 f32_fma(u32 a, u32 b, u32 c) {
#if MK_ON_DEVICE
  return f32_canonical(__fmaf_rn(f32_value(a), f32_value(b), f32_value(c)));
#else
  return f32_canonical(std::fma(f32_value(a), f32_value(b), f32_value(c)));
#endif
}
MK_HD inline u32 f32_sqrt(u32 a) {
#if MK_ON_DEVICE
  return f32_canonical(__fsqrt_rn(f32_value(a)));
#else
  return f32_canonical(std::sqrt(f32_value(a)));
#endif
}
MK_HD inline u32 f32_floor(u32 a) {
#if MK_ON_DEVICE
  return f32_canonical(floorf(f32_value(a)));
#else
  return f32_canonical(std::floor(f32_value(a)));
#endif
}
MK_HD inline u32 f32_ceil(u32 a) {
#if MK_ON_DEVICE
  return f32_canonical(ceilf(f32_value(a)));
#else
  return f32_canonical(std::ceil(f32_value(a)));
#endif
}
// Round half to even (rint in the default rounding mode, which nothing here changes).
MK_HD inline u32 f32_round(u32 a) {
#if MK_ON_DEVICE
  return f32_canonical(rintf(f32_value(a)));
#else
  return f32_canonical(std::rint(f32_value(a)));
#endif
}
// Sign-bit operations, except that a NaN operand gives the canonical NaN like every
// other f32 operation (so no NaN payload or sign ever leaks out of the arithmetic).
MK_HD inline u32 f32_abs(u32 a) { return f32_is_nan(a) ? F32_CANONICAL_NAN : a & 0x7FFFFFFFu; }
MK_HD inline u32 f32_neg(u32 a) { return f32_is_nan(a) ? F32_CANONICAL_NAN : a ^ 0x80000000u; }

// IEEE 754-2008 minNum/maxNum with -0 ordered below +0: a NaN operand is ignored (both
// NaN: the canonical NaN); min(-0, +0) = -0 and max(-0, +0) = +0 in either order. Written
// out rather than fminf, whose signed-zero result C leaves unspecified.
MK_HD inline u32 f32_min(u32 a, u32 b) {
  if (f32_is_nan(a)) return f32_is_nan(b) ? F32_CANONICAL_NAN : b;
  if (f32_is_nan(b)) return a;
  const float x = f32_value(a), y = f32_value(b);
  if (x < y) return a;
  if (y < x) return b;
  return (a & 0x80000000u) != 0 ? a : b;  // equal: only ±0 can differ in bits
}
MK_HD inline u32 f32_max(u32 a, u32 b) {
  if (f32_is_nan(a)) return f32_is_nan(b) ? F32_CANONICAL_NAN : b;
  if (f32_is_nan(b)) return a;
  const float x = f32_value(a), y = f32_value(b);
  if (x > y) return a;
  if (y > x) return b;
  return (a & 0x80000000u) != 0 ? b : a;
}

// Ordered comparisons: any NaN operand gives 0, `ne` included (use !(a == b) for the
// unordered form). -0 == +0.
MK_HD inline u32 f32_eq(u32 a, u32 b) { return f32_value(a) == f32_value(b) ? 1u : 0u; }
MK_HD inline u32 f32_ne(u32 a, u32 b) {
  const float x = f32_value(a), y = f32_value(b);
  return x < y || x > y ? 1u : 0u;
}
MK_HD inline u32 f32_lt(u32 a, u32 b) { return f32_value(a) < f32_value(b) ? 1u : 0u; }
MK_HD inline u32 f32_le(u32 a, u32 b) { return f32_value(a) <= f32_value(b) ? 1u : 0u; }
MK_HD inline u32 f32_gt(u32 a, u32 b) { return f32_value(a) > f32_value(b) ? 1u : 0u; }
MK_HD inline u32 f32_ge(u32 a, u32 b) { return f32_value(a) >= f32_value(b) ? 1u : 0u; }

// --- conversions ---------------------------------------------------------------------
// Integer -> f32: round to nearest even.
MK_HD inline u32 f32_from_u32(u32 a) {
#if MK_ON_DEVICE
  return f32_bits(__uint2float_rn(a));
#else
  return f32_bits(static_cast<float>(a));
#endif
}
MK_HD inline u32 f32_from_i32(u32 a) {
#if MK_ON_DEVICE
  return f32_bits(__int2float_rn(static_cast<int>(a)));
#else
  return f32_bits(static_cast<float>(static_cast<int>(a)));
#endif
}
// f32 -> integer: truncate toward zero and saturate; NaN gives 0 (like PTX
// cvt.rzi.sat). The range tests come first, so the cast only ever sees values that fit.
MK_HD inline u32 u32_from_f32(u32 a) {
  const float x = f32_value(a);
  if (!(x >= 1.0f)) return 0u;  // NaN, negative, or below 1
  if (x >= 4294967296.0f) return 0xFFFFFFFFu;
  return static_cast<u32>(x);
}
MK_HD inline u32 i32_from_f32(u32 a) {
  const float x = f32_value(a);
  if (f32_is_nan(a)) return 0u;
  if (x >= 2147483648.0f) return 0x7FFFFFFFu;
  if (x <= -2147483648.0f) return 0x80000000u;
  return static_cast<u32>(static_cast<int>(x));
}
MK_HD inline u64 u64_from_i32(u32 a) { return static_cast<u64>(static_cast<long long>(static_cast<int>(a))); }
MK_HD inline u64 u64_from_words(u32 lo, u32 hi) { return static_cast<u64>(lo) | (static_cast<u64>(hi) << 32); }
MK_HD inline u32 u64_lo(u64 a) { return static_cast<u32>(a); }
MK_HD inline u32 u64_hi(u64 a) { return static_cast<u32>(a >> 32); }

// --- the step budget ------------------------------------------------------------------
// One more step of an item's run; true once it is past `budget` (the item then faults
// STEP_BUDGET). The CPU evaluator and the JIT's lowered handlers both count with it.
MK_HD inline bool ir_step_over_budget(u64& steps, u64 budget) { return ++steps > budget; }

// --- u32 -----------------------------------------------------------------------------
// Logical shifts: a count >= 32 gives 0 (it is not taken mod 32).
MK_HD inline u32 u32_shl(u32 a, u32 n) { return n >= 32u ? 0u : a << n; }
MK_HD inline u32 u32_shr(u32 a, u32 n) { return n >= 32u ? 0u : a >> n; }
MK_HD inline u32 u32_min(u32 a, u32 b) { return a < b ? a : b; }
MK_HD inline u32 u32_max(u32 a, u32 b) { return a > b ? a : b; }
MK_HD inline u32 u32_neg(u32 a) { return 0u - a; }
MK_HD inline u32 u32_mul_hi(u32 a, u32 b) { return static_cast<u32>((static_cast<u64>(a) * b) >> 32); }
MK_HD inline u64 u32_mul_wide(u32 a, u32 b) { return static_cast<u64>(a) * b; }

// --- i32 (two's complement in a u32; +, -, *, <<, &, |, ^, ==, != are the u32 ops) ----
MK_HD inline int i32_value(u32 a) { return static_cast<int>(a); }
// Truncating division; the caller has faulted a zero divisor. INT_MIN / -1 overflows in
// C++, so it is defined here: quotient INT_MIN, remainder 0.
MK_HD inline u32 i32_div(u32 a, u32 b) {
  if (a == 0x80000000u && b == 0xFFFFFFFFu) return 0x80000000u;
  return static_cast<u32>(i32_value(a) / i32_value(b));
}
MK_HD inline u32 i32_rem(u32 a, u32 b) {
  if (a == 0x80000000u && b == 0xFFFFFFFFu) return 0u;
  return static_cast<u32>(i32_value(a) % i32_value(b));
}
// Arithmetic shift: a count >= 32 fills with the sign (0 or -1).
MK_HD inline u32 i32_shr(u32 a, u32 n) {
  const u32 fill = (a & 0x80000000u) != 0 ? 0xFFFFFFFFu : 0u;
  if (n >= 32u) return fill;
  // Written with unsigned shifts: >> of a negative int is implementation-defined in C++17.
  return n == 0u ? a : (a >> n) | (fill << (32u - n));
}
MK_HD inline u32 i32_lt(u32 a, u32 b) { return i32_value(a) < i32_value(b) ? 1u : 0u; }
MK_HD inline u32 i32_le(u32 a, u32 b) { return i32_value(a) <= i32_value(b) ? 1u : 0u; }
MK_HD inline u32 i32_gt(u32 a, u32 b) { return i32_value(a) > i32_value(b) ? 1u : 0u; }
MK_HD inline u32 i32_ge(u32 a, u32 b) { return i32_value(a) >= i32_value(b) ? 1u : 0u; }
MK_HD inline u32 i32_min(u32 a, u32 b) { return i32_value(a) < i32_value(b) ? a : b; }
MK_HD inline u32 i32_max(u32 a, u32 b) { return i32_value(a) > i32_value(b) ? a : b; }
// abs(INT_MIN) wraps to INT_MIN.
MK_HD inline u32 i32_abs(u32 a) { return (a & 0x80000000u) != 0 ? 0u - a : a; }
MK_HD inline u32 i32_mul_hi(u32 a, u32 b) {
  const long long p = static_cast<long long>(i32_value(a)) * i32_value(b);
  return static_cast<u32>(static_cast<u64>(p) >> 32);
}

// --- u64 -------------------------------------------------------------------------------
// A count >= 64 gives 0.
MK_HD inline u64 u64_shl(u64 a, u32 n) { return n >= 64u ? 0ull : a << n; }
MK_HD inline u64 u64_shr(u64 a, u32 n) { return n >= 64u ? 0ull : a >> n; }
MK_HD inline u64 u64_min(u64 a, u64 b) { return a < b ? a : b; }
MK_HD inline u64 u64_max(u64 a, u64 b) { return a > b ? a : b; }
MK_HD inline u64 u64_neg(u64 a) { return 0ull - a; }
// High 64 bits of the 128-bit product, from 32-bit limbs (no __int128 on either side).
MK_HD inline u64 u64_mul_hi(u64 a, u64 b) {
  const u64 a0 = a & 0xFFFFFFFFull, a1 = a >> 32, b0 = b & 0xFFFFFFFFull, b1 = b >> 32;
  const u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const u64 middle = (p00 >> 32) + (p01 & 0xFFFFFFFFull) + (p10 & 0xFFFFFFFFull);
  return p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

}  // namespace mk::interp
