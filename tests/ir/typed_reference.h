// An independent host reference for the typed IR's operations, written from docs/ir.md:
// f32 through double arithmetic (correctly rounded for + - * / sqrt since 53 >= 2*24 + 2)
// and exact midpoint handling for fma, integers through 64/128-bit arithmetic. It never
// calls interp/ir_scalar.h, so the evaluator and the JIT are checked against a second
// spelling of every rule, not against themselves.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "mk/ir.h"

namespace mk::ir::reference {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i32 = std::int32_t;
using i64 = std::int64_t;
__extension__ typedef unsigned __int128 u128;

inline constexpr u32 CANONICAL_NAN = 0x7FC00000u;

inline float fl(u32 bits) { return std::bit_cast<float>(bits); }
inline u32 bits(float f) { return std::bit_cast<u32>(f); }
inline i32 s32(u32 v) { return static_cast<i32>(v); }
inline u32 w32(i64 v) { return static_cast<u32>(static_cast<u64>(v)); }

// A double result rounded once to f32, NaN made canonical.
inline u32 f32_of(double d) {
  if (std::isnan(d)) return CANONICAL_NAN;
  return bits(static_cast<float>(d));
}

inline u32 add(u32 a, u32 b) { return f32_of(double(fl(a)) + double(fl(b))); }
inline u32 sub(u32 a, u32 b) { return f32_of(double(fl(a)) - double(fl(b))); }
inline u32 mul(u32 a, u32 b) { return f32_of(double(fl(a)) * double(fl(b))); }
inline u32 div(u32 a, u32 b) { return f32_of(double(fl(a)) / double(fl(b))); }
inline u32 sqrt(u32 a) { return f32_of(std::sqrt(double(fl(a)))); }
inline u32 floor(u32 a) { return f32_of(std::floor(double(fl(a)))); }
inline u32 ceil(u32 a) { return f32_of(std::ceil(double(fl(a)))); }

// Ties to even, written out (not rint): the sign of a zero result follows the operand.
inline u32 round(u32 a) {
  const double x = fl(a);
  if (std::isnan(x)) return CANONICAL_NAN;
  if (std::isinf(x)) return a;
  const double down = std::floor(x);
  const double frac = x - down;
  double r = frac < 0.5 ? down : frac > 0.5 ? down + 1 : (std::fmod(down, 2.0) == 0 ? down : down + 1);
  if (r == 0) r = std::copysign(0.0, x);
  return f32_of(r);
}

// a * b + c rounded once: the product is exact in double; TwoSum gives the sum exactly
// as s + e; rounding s to f32 is right unless s sits exactly on an f32 midpoint, where the
// sign of e decides.
inline u32 fma(u32 ua, u32 ub, u32 uc) {
  const double a = fl(ua), b = fl(ub), c = fl(uc);
  const double p = a * b;
  const double s = p + c;
  if (!std::isfinite(s) || !std::isfinite(p)) return f32_of(s);
  const double bb = s - p;
  const double e = (p - (s - bb)) + (c - bb);
  const float r = static_cast<float>(s);
  if (e == 0 || double(r) == s || std::isinf(r)) return f32_of(r);
  const float other = std::nextafter(
      r, s > double(r) ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity());
  if ((double(r) + double(other)) / 2 != s) return f32_of(r);
  const float up = std::max(r, other), down = std::min(r, other);
  return f32_of(e > 0 ? up : down);
}

inline bool nan(u32 a) { return std::isnan(fl(a)); }

// minNum/maxNum, -0 below +0.
inline u32 min(u32 a, u32 b) {
  if (nan(a) && nan(b)) return CANONICAL_NAN;
  if (nan(a)) return b;
  if (nan(b)) return a;
  if (fl(a) == fl(b)) return std::signbit(fl(a)) ? a : b;
  return fl(a) < fl(b) ? a : b;
}
inline u32 max(u32 a, u32 b) {
  if (nan(a) && nan(b)) return CANONICAL_NAN;
  if (nan(a)) return b;
  if (nan(b)) return a;
  if (fl(a) == fl(b)) return std::signbit(fl(a)) ? b : a;
  return fl(a) > fl(b) ? a : b;
}
inline u32 abs(u32 a) { return nan(a) ? CANONICAL_NAN : bits(std::fabs(fl(a))); }
inline u32 neg(u32 a) { return nan(a) ? CANONICAL_NAN : bits(-fl(a)); }

// Ordered comparisons on the values (double compares the same).
inline u32 eq(u32 a, u32 b) { return double(fl(a)) == double(fl(b)); }
inline u32 ne(u32 a, u32 b) { return !nan(a) && !nan(b) && double(fl(a)) != double(fl(b)); }
inline u32 lt(u32 a, u32 b) { return double(fl(a)) < double(fl(b)); }
inline u32 le(u32 a, u32 b) { return double(fl(a)) <= double(fl(b)); }
inline u32 gt(u32 a, u32 b) { return double(fl(a)) > double(fl(b)); }
inline u32 ge(u32 a, u32 b) { return double(fl(a)) >= double(fl(b)); }

inline u32 f32_from_u32(u32 a) { return bits(static_cast<float>(static_cast<double>(a))); }
inline u32 f32_from_i32(u32 a) { return bits(static_cast<float>(static_cast<double>(s32(a)))); }
// Truncate, saturate, NaN -> 0 (through double: every f32 is exact there).
inline u32 u32_from_f32(u32 a) {
  const double x = fl(a);
  if (std::isnan(x)) return 0;
  const double t = std::trunc(x);
  if (t <= 0) return 0;
  if (t >= 4294967295.0) return 0xFFFFFFFFu;
  return static_cast<u32>(t);
}
inline u32 i32_from_f32(u32 a) {
  const double x = fl(a);
  if (std::isnan(x)) return 0;
  const double t = std::trunc(x);
  if (t <= -2147483648.0) return 0x80000000u;
  if (t >= 2147483647.0) return 0x7FFFFFFFu;
  return w32(static_cast<i64>(t));
}

// i32 through 64-bit arithmetic: INT_MIN / -1 = 2^31 wraps to INT_MIN, the remainder is 0.
inline u32 i32_div(u32 a, u32 b) { return w32(i64{s32(a)} / i64{s32(b)}); }
inline u32 i32_rem(u32 a, u32 b) { return w32(i64{s32(a)} % i64{s32(b)}); }
inline u32 i32_shr(u32 a, u32 n) { return w32(i64{s32(a)} >> (n > 63 ? 63 : n)); }
inline u32 i32_mul_hi(u32 a, u32 b) { return w32((i64{s32(a)} * i64{s32(b)}) >> 32); }
inline u32 i32_abs(u32 a) { return w32(std::llabs(i64{s32(a)})); }
inline u32 i32_min(u32 a, u32 b) { return s32(a) < s32(b) ? a : b; }
inline u32 i32_max(u32 a, u32 b) { return s32(a) > s32(b) ? a : b; }

inline u32 u32_shl(u32 a, u32 n) { return static_cast<u32>(n >= 32 ? 0 : u64{a} << n); }
inline u32 u32_shr(u32 a, u32 n) { return static_cast<u32>(n >= 32 ? 0 : u64{a} >> n); }
inline u32 u32_mul_hi(u32 a, u32 b) { return static_cast<u32>((u64{a} * b) >> 32); }

inline u64 u64_shl(u64 a, u32 n) { return n >= 64 ? 0 : a << n; }
inline u64 u64_shr(u64 a, u32 n) { return n >= 64 ? 0 : a >> n; }
inline u64 u64_mul_hi(u64 a, u64 b) { return static_cast<u64>((u128{a} * b) >> 64); }

}  // namespace mk::ir::reference
