// NVRTC end to end without a GPU: lowered handlers (hand-written and random) compile to a
// CUBIN for sm_90, the disk cache serves the second build, and a compile error comes back
// as a Backend error carrying NVRTC's log and the IR node path of the failing line.
// What this catches: lowered code NVRTC rejects, headers missing from the embedded set,
// a cache that misses when it should hit, and compiler errors that lose their log.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cuda/jit/embedded_headers.h"
#include "cuda/jit/jit_build.h"
#include "cuda/jit/nvrtc_compile.h"
#include "ir/generator.h"
#include "temp_dir.h"

namespace mk::detail {
namespace {

using namespace mk::ir;
using jit_test::TempDir;

// NVRTC needs the toolkit headers; a host without a toolkit skips.
#define MK_REQUIRE_TOOLKIT()                                                            \
  do {                                                                                  \
    if (!find_toolkit_root()) GTEST_SKIP() << "no CUDA toolkit headers for NVRTC here"; \
  } while (0)

std::vector<OpcodeHandler> sample_handlers() {
  return {
      {4096, "saxpy",
       body({let("x", load(arg(0))), store(arg(1), var("x") * arg(2) + load(arg(1))), result(var("x"))})},
      {4097, "loop",
       body({let("acc", 0), for_("i", 0, 40000, {set("acc", var("acc") + (var("i") << arg(0)))}), result(var("acc"))})},
      {4098, "misc",
       body({if_(arg(0) == 0, {requeue()}, {ir::printf(3, {arg(0), arg(1) / arg(2), arg(3) % arg(4)})}),
             let("p", cas(0, arg(1), select(arg(2), atomic_add(1, 1), arg(3) >> 40))),
             if_(var("p") > 5, {fault(abi::FAULT_USER_FAULT)}), result(!var("p"))})},
  };
}

bool is_elf(const std::vector<std::byte>& image) {
  return image.size() > 4 && image[0] == std::byte{0x7F} && image[1] == std::byte{'E'} && image[2] == std::byte{'L'} &&
         image[3] == std::byte{'F'};
}

TEST(JitNvrtc, ReportsItsVersionAndSupportsHopper) {
  const NvrtcVersion v = nvrtc_version();
  EXPECT_GE(v.major, 12);
  EXPECT_TRUE(nvrtc_supports_arch(9, 0));
  EXPECT_FALSE(nvrtc_supports_arch(1, 0));
}

TEST(JitNvrtc, ColdBuildCompilesThenTheCacheServesTheSameImage) {
  MK_REQUIRE_TOOLKIT();
  TempDir tmp;
  const auto handlers = sample_handlers();
  JitImageRequest request;
  request.handlers = handlers;
  request.cache_dir = tmp.path();
  auto cold = build_jit_image(request);
  ASSERT_TRUE(cold.has_value()) << cold.error().what();
  EXPECT_TRUE(is_elf(cold->cubin));
  EXPECT_FALSE(cold->stats.cache_hit);
  EXPECT_TRUE(cold->stats.cache_enabled);
  EXPECT_GT(cold->stats.compile_ms, 0.0);
  EXPECT_EQ(cold->stats.key_hex.size(), 64u);
  EXPECT_TRUE(std::filesystem::exists(cold->stats.cache_path)) << cold->stats.cache_note;

  auto warm = build_jit_image(request);
  ASSERT_TRUE(warm.has_value()) << warm.error().what();
  EXPECT_TRUE(warm->stats.cache_hit);
  EXPECT_EQ(warm->stats.compile_ms, 0.0);
  EXPECT_EQ(warm->cubin, cold->cubin);
  EXPECT_EQ(warm->stats.key_hex, cold->stats.key_hex);

  // Another geometry (launch bounds) is another image.
  request.block_threads = 128;
  auto other = build_jit_image(request);
  ASSERT_TRUE(other.has_value()) << other.error().what();
  EXPECT_FALSE(other->stats.cache_hit);
  EXPECT_NE(other->stats.key_hex, cold->stats.key_hex);

  // A corrupted entry is detected, reported, and rebuilt.
  request.block_threads = 256;
  {
    std::fstream f(cold->stats.cache_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x55');
  }
  auto rebuilt = build_jit_image(request);
  ASSERT_TRUE(rebuilt.has_value()) << rebuilt.error().what();
  EXPECT_FALSE(rebuilt->stats.cache_hit);
  EXPECT_NE(rebuilt->stats.cache_note.find("checksum"), std::string::npos) << rebuilt->stats.cache_note;
  EXPECT_EQ(rebuilt->cubin, cold->cubin);
  auto again = build_jit_image(request);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->stats.cache_hit);
}

// The lowering of 52 random bodies (every statement and expression kind, nesting, loops,
// small step budgets) is valid CUDA C++ for NVRTC.
TEST(JitNvrtc, RandomBodiesLowerToCodeNvrtcAccepts) {
  MK_REQUIRE_TOOLKIT();
  const auto handlers = ir::random_test::random_handlers(77, abi::MAX_CUSTOM_OPCODES);
  JitImageRequest request;
  request.handlers = handlers;
  request.cache_dir = std::filesystem::path();  // no cache: always compile
  request.step_budget = 9;                      // step counting in almost every body
  auto image = build_jit_image(request);
  ASSERT_TRUE(image.has_value()) << image.error().what();
  EXPECT_TRUE(is_elf(image->cubin));
  EXPECT_FALSE(image->stats.cache_enabled);
}

TEST(JitNvrtc, CompileErrorsCarryTheLogAndTheIrPath) {
  MK_REQUIRE_TOOLKIT();
  NvrtcRequest request;
  request.source = "__global__ void k() {}\n__device__ int broken() { return undefined_name; }\n";
  request.source_name = "bad.cu";
  request.options = {"--gpu-architecture=sm_90", "-std=c++17"};
  request.path_of_line = [](std::uint32_t line) {
    return line == 2 ? std::string("opcode 4096 \"bad\" body[3].value") : std::string();
  };
  auto out = nvrtc_compile(request);
  ASSERT_FALSE(out.has_value());
  const Error& e = out.error();
  EXPECT_EQ(e.kind(), ErrorKind::Backend);
  EXPECT_NE(e.message().find("bad.cu(2)"), std::string::npos) << e.message();  // the log
  EXPECT_NE(e.message().find("undefined_name"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("at opcode 4096 \"bad\" body[3].value"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("[IR: opcode 4096 \"bad\" body[3].value]"), std::string::npos) << e.message();
  EXPECT_NE(e.fix().find("opcode 4096"), std::string::npos) << e.fix();
}

TEST(JitNvrtc, AMissingHeaderPointsAtCudaPath) {
  NvrtcRequest request;
  request.source = "#include \"not_a_header.h\"\n";
  request.source_name = "missing.cu";
  request.options = {"--gpu-architecture=sm_90"};
  auto out = nvrtc_compile(request);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().kind(), ErrorKind::Backend);
  EXPECT_NE(out.error().fix().find("CUDA_PATH"), std::string::npos) << out.error().fix();
}

TEST(JitNvrtc, NamedHeadersResolve) {
  const EmbeddedHeader headers[] = {{"lib/value.h", "#pragma once\ninline __device__ int value() { return 7; }\n"}};
  NvrtcRequest request;
  request.source = "#include \"lib/value.h\"\nextern \"C\" __global__ void k(int* out) { *out = value(); }\n";
  request.source_name = "named.cu";
  request.headers = headers;
  request.options = {"--gpu-architecture=sm_90"};
  auto out = nvrtc_compile(request);
  ASSERT_TRUE(out.has_value()) << out.error().what();
  EXPECT_TRUE(is_elf(out->cubin));
}

TEST(JitNvrtc, InvalidHandlersFailBeforeCompiling) {
  const std::vector<OpcodeHandler> bad = {{3, "system", body({})}};  // a system opcode id
  JitImageRequest request;
  request.handlers = bad;
  request.cache_dir = std::filesystem::path();
  auto image = build_jit_image(request);
  ASSERT_FALSE(image.has_value());
  EXPECT_EQ(image.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace mk::detail
