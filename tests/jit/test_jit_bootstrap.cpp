// bootstrap_jit and the JIT pipeline's life cycle on the CUDA backend: the payload
// processor runs like any handler, a second bootstrap with the same opcodes is served by
// the disk cache (no NVRTC), and bad specs fail with the right error kind.
// What this catches: a cache that never hits (every bootstrap pays NVRTC), a pipeline that
// loses its module, and payload-processor specs the backend misreads.
#include <gtest/gtest.h>

#include <filesystem>

#include "cuda/cuda_pipeline.h"
#include "gpu_util.h"
#include "temp_dir.h"

namespace mk::jit_test {
namespace {

namespace fs = std::filesystem;

OpcodeHandler payload_processor(std::uint32_t salt = 0) {
  using namespace mk::ir;
  return {0x2000, "payload",
          body({let("x", load(arg(0))), store(arg(0), var("x") * 3 + arg(1) + salt),
                if_(arg(1) == 0xDEAD, {fault(abi::FAULT_USER_FAULT)}), result(var("x") ^ slot())})};
}

PipelineSpec jit_spec(std::uint32_t salt) {
  PipelineSpec spec;
  spec.geometry = Geometry{256, 64, 4};
  spec.opcode_ids.assign(std::begin(abi::BUILTIN_OPCODE_IDS), std::end(abi::BUILTIN_OPCODE_IDS));
  spec.opcode_ids.push_back(0x2000);
  spec.handlers = {payload_processor(salt)};
  spec.payload_processor = abi::FIRST_CUSTOM_INDEX;
  return spec;
}

std::size_t entries_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".cubin" ? 1 : 0;
  return n;
}

TEST(JitBootstrap, PayloadProcessorMatchesTheEvaluator) {
  MK_REQUIRE_CUDA(cuda);
  auto mk = Megakernel::bootstrap_jit(cuda, payload_processor(), 512, 128);
  ASSERT_TRUE(mk.has_value()) << mk.error().what();
  EXPECT_EQ(mk->opcode_index(0x2000), abi::FIRST_CUSTOM_INDEX);
  Job job = Job::make(512, 1024, 1, 0, {payload_processor()});
  for (std::uint32_t s = 0; s < 512; ++s) job.publish(s, 0x2000, {s, s == 77 ? 0xDEADu : s * 7, 0});
  job.publish(511, 0x2000, {5000, 1});  // out of bounds
  Job want = job;
  run_oracle(want);
  const Job got = run_on(*mk, job);
  MK_EXPECT_SAME(want, got);
  EXPECT_EQ(got.result(77), abi::FAULT_USER_FAULT);
  EXPECT_EQ(got.result(511), abi::FAULT_OUT_OF_BOUNDS);
  EXPECT_EQ(got.control[abi::CTRL_DONE_COUNT], 512u);
}

TEST(JitBootstrap, SecondBuildOfTheSameOpcodesHitsTheCache) {
  MK_REQUIRE_CUDA(cuda);
  TempDir dir;
  ScopedEnv env("MK_JIT_CACHE_DIR", dir.path().c_str());
  auto cold = cuda->build_pipeline(jit_spec(1));
  ASSERT_TRUE(cold.has_value()) << cold.error().what();
  const detail::JitStats* cs = detail::cuda_jit_stats(**cold);
  ASSERT_NE(cs, nullptr);
  EXPECT_TRUE(cs->cache_enabled);
  EXPECT_FALSE(cs->cache_hit);
  EXPECT_GT(cs->compile_ms, 0.0);
  EXPECT_GT(cs->image_bytes, 0u);
  EXPECT_EQ(entries_in(dir.path()), 1u);
  EXPECT_TRUE(fs::exists(cs->cache_path));

  auto warm = cuda->build_pipeline(jit_spec(1));
  ASSERT_TRUE(warm.has_value()) << warm.error().what();
  const detail::JitStats* ws = detail::cuda_jit_stats(**warm);
  ASSERT_NE(ws, nullptr);
  EXPECT_TRUE(ws->cache_hit);
  EXPECT_EQ(ws->compile_ms, 0.0);
  EXPECT_EQ(ws->key_hex, cs->key_hex);
  EXPECT_NE((*warm)->id(), (*cold)->id());

  // Other opcodes: another entry. The same opcodes through bootstrap_jit: no new entry.
  ASSERT_TRUE(cuda->build_pipeline(jit_spec(2)).has_value());
  EXPECT_EQ(entries_in(dir.path()), 2u);
  const auto stamp = fs::last_write_time(cs->cache_path);
  auto mk = Megakernel::bootstrap_jit(cuda, payload_processor(1), 256, 64);
  ASSERT_TRUE(mk.has_value()) << mk.error().what();
  EXPECT_EQ(entries_in(dir.path()), 2u);
  EXPECT_EQ(fs::last_write_time(cs->cache_path), stamp);

  // Both pipelines run, and dropping one leaves the other's module loaded.
  cold->reset();
  Job job = Job::make(256, 1024, 1, 0, {payload_processor(1)});
  for (std::uint32_t s = 0; s < 256; ++s) job.publish(s, 0x2000, {s, s});
  Job want = job;
  run_oracle(want);
  MK_EXPECT_SAME(want, run_on(*mk, job));
}

TEST(JitBootstrap, ACorruptCacheEntryIsRebuilt) {
  MK_REQUIRE_CUDA(cuda);
  TempDir dir;
  ScopedEnv env("MK_JIT_CACHE_DIR", dir.path().c_str());
  auto first = cuda->build_pipeline(jit_spec(3));
  ASSERT_TRUE(first.has_value()) << first.error().what();
  const std::string path = detail::cuda_jit_stats(**first)->cache_path;
  fs::resize_file(path, fs::file_size(path) / 2);  // truncated, e.g. by a full disk
  auto second = cuda->build_pipeline(jit_spec(3));
  ASSERT_TRUE(second.has_value()) << second.error().what();
  EXPECT_FALSE(detail::cuda_jit_stats(**second)->cache_hit);
  EXPECT_NE(detail::cuda_jit_stats(**second)->cache_note.find("length"), std::string::npos);
  auto third = cuda->build_pipeline(jit_spec(3));
  ASSERT_TRUE(third.has_value());
  EXPECT_TRUE(detail::cuda_jit_stats(**third)->cache_hit);
}

TEST(JitBootstrap, BadSpecsFailWithTheRightKind) {
  MK_REQUIRE_CUDA(cuda);
  PipelineSpec unbound = jit_spec(0);
  unbound.handlers[0].body = ir::body({ir::result(ir::var("nope"))});
  auto a = cuda->build_pipeline(unbound);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().kind(), ErrorKind::InvalidArgument);

  PipelineSpec no_handler = jit_spec(0);
  no_handler.handlers.clear();
  auto b = cuda->build_pipeline(no_handler);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().kind(), ErrorKind::InvalidArgument);

  // Built-in pipelines do not JIT at all.
  PipelineSpec plain = jit_spec(0);
  plain.handlers.clear();
  plain.payload_processor.reset();
  auto c = cuda->build_pipeline(plain);
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_EQ(detail::cuda_jit_stats(**c), nullptr);
}

}  // namespace
}  // namespace mk::jit_test
