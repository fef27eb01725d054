// Lowering of the typed IR to CUDA C++ (host only, no GPU): typed operations call the
// interp/ir_scalar.h functions the CPU evaluator calls, u64 values get u64 locals, the zero
// checks come first, and NVRTC accepts the typed suite and random typed bodies.
// What this catches: a lowering that computes a u64 in a u32 local, lowers an f32 operator
// to a plain C++ operator (no NaN canonicalisation, contractible), forgets the i32/u64
// division check, or produces code NVRTC rejects.
#include <gtest/gtest.h>

#include <filesystem>

#include "cuda/jit/embedded_headers.h"
#include "cuda/jit/jit_build.h"
#include "cuda/jit/kernel_source.h"
#include "cuda/jit/lower.h"
#include "lower_util.h"
#include "cuda/jit/nvrtc_compile.h"
#include "ir/typed_generator.h"
#include "ir/typed_suite.h"

namespace mk::detail {
namespace {

using namespace mk::ir;
using namespace lower_test;

TEST(JitLowerTyped, TypedOperationsCallTheSharedScalarFunctions) {
  const Expr f = f32_from_bits(arg(0)), g = f32_from_bits(arg(1));
  const std::string text =
      lower_ok({{4096, "typed",
                 body({let("s", f + g), let("d", f / g), let("m", fma(f, g, var("s"))), let("lt", f < g),
                       let("ne", f != g), let("lo", min(f, g)), let("r", round(sqrt(f))), let("u", u32_from_f32(f)),
                       let("q", i32_from_u32(arg(2)) / i32_from_u32(arg(3))), let("h", i32_from_u32(arg(2)) >> arg(4)),
                       result(var("u"))})}});
  EXPECT_TRUE(has(text, "= interp::f32_add(env.arg(0u), env.arg(1u));")) << text;
  EXPECT_TRUE(has(text, "= interp::f32_div(env.arg(0u), env.arg(1u));"));
  EXPECT_TRUE(has(text, "= interp::f32_fma(env.arg(0u), env.arg(1u), v_s);"));
  EXPECT_TRUE(has(text, "= interp::f32_lt(env.arg(0u), env.arg(1u));"));
  EXPECT_TRUE(has(text, "= interp::f32_ne(env.arg(0u), env.arg(1u));"));
  EXPECT_TRUE(has(text, "= interp::f32_min(env.arg(0u), env.arg(1u));"));
  EXPECT_TRUE(has(text, "= interp::f32_sqrt(env.arg(0u));"));
  EXPECT_TRUE(has(text, "= interp::u32_from_f32(env.arg(0u));"));
  EXPECT_TRUE(has(text, "if (env.arg(3u) == 0u) return interp::Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);"));
  EXPECT_TRUE(has(text, "= interp::i32_div(env.arg(2u), env.arg(3u));"));
  EXPECT_TRUE(has(text, "= interp::i32_shr(env.arg(2u), env.arg(4u));"));
  // No f32 value ever meets a C++ arithmetic operator.
  EXPECT_FALSE(has(text, "env.arg(0u) + env.arg(1u)"));
  EXPECT_FALSE(has(text, "env.arg(0u) / env.arg(1u)"));
}

TEST(JitLowerTyped, U64ValuesLiveInU64Locals) {
  const std::string text =
      lower_ok({{4096, "wide",
                 body({let("a", u64_from_u32(arg(0)) * u64_from_u32(arg(1))), let("b", var("a") / c_u64(1ull << 40)),
                       let("c", var("a") << arg(2)), let("p", atomic_add64(2, var("b"))), store64(4, var("c")),
                       result(u64_lo(load64(6)) + u64_hi(var("p")))})}});
  EXPECT_TRUE(has(text, "using abi::u64;")) << text;
  EXPECT_TRUE(has(text, "= static_cast<u64>(env.arg(0u));"));  // widened before the multiply
  EXPECT_TRUE(has(text, "u64 v_a = "));
  EXPECT_TRUE(has(text, "if (1099511627776ull == 0ull) return interp::Outcome::fault(abi::FAULT_DIVIDE_BY_ZERO);"));
  EXPECT_TRUE(has(text, "= interp::u64_shl(v_a, env.arg(2u));"));
  EXPECT_TRUE(has(text, "= 0ull; if (const u32 f = env.atomic_add64(2u, v_b, t"));
  EXPECT_TRUE(has(text, "if (const u32 f = env.store64(4u, v_c)) return interp::Outcome::fault(f);"));
  EXPECT_TRUE(has(text, "= 0ull; if (const u32 f = env.load64(6u, t"));
  EXPECT_TRUE(has(text, "= interp::u64_hi(v_p);"));
}

TEST(JitLowerTyped, TheKernelIncludesTheScalarHeaderAndItIsEmbedded) {
  auto src = make_kernel_source(ir::typed_test::typed_handlers(), 64);
  ASSERT_TRUE(src.has_value()) << src.error().what();
  EXPECT_TRUE(has(src->text, "#include \"interp/ir_scalar.h\""));
  bool embedded = false;
  for (const EmbeddedHeader& h : embedded_headers()) embedded = embedded || h.name == "interp/ir_scalar.h";
  EXPECT_TRUE(embedded);
}

#define MK_REQUIRE_TOOLKIT()                                                            \
  do {                                                                                  \
    if (!find_toolkit_root()) GTEST_SKIP() << "no CUDA toolkit headers for NVRTC here"; \
  } while (0)

TEST(JitLowerTyped, NvrtcCompilesTheTypedSuite) {
  MK_REQUIRE_TOOLKIT();
  const auto handlers = ir::typed_test::typed_handlers();
  JitImageRequest request;
  request.handlers = handlers;
  request.cache_dir = std::filesystem::path();
  auto image = build_jit_image(request);
  ASSERT_TRUE(image.has_value()) << image.error().what();
  EXPECT_FALSE(image->cubin.empty());
}

TEST(JitLowerTyped, NvrtcCompilesRandomTypedBodies) {
  MK_REQUIRE_TOOLKIT();
  ir::typed_test::TypedGenerator gen(99);
  std::vector<OpcodeHandler> handlers;
  for (std::uint32_t k = 0; k < abi::MAX_CUSTOM_OPCODES; ++k)
    handlers.push_back({4096 + k, "t" + std::to_string(k), gen.body()});
  JitImageRequest request;
  request.handlers = handlers;
  request.cache_dir = std::filesystem::path();
  auto image = build_jit_image(request);
  ASSERT_TRUE(image.has_value()) << image.error().what();
  EXPECT_FALSE(image->cubin.empty());
}

}  // namespace
}  // namespace mk::detail
