// build_jit_image: lowering -> kernel source -> SHA-256 key -> cache or NVRTC -> cache.
#include "cuda/jit/jit_build.h"

#include <chrono>
#include <string>

#include "cuda/jit/embedded_headers.h"
#include "cuda/jit/jit_cache.h"
#include "cuda/jit/kernel_source.h"
#include "cuda/jit/nvrtc_compile.h"
#include "mk/abi.h"

namespace mk::detail {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

Result<JitImage> build_jit_image(const JitImageRequest& request) {
  const auto start = Clock::now();
  JitImage out;
  JitStats& stats = out.stats;

  const std::string arch = "sm_" + std::to_string(request.cc_major) + std::to_string(request.cc_minor);
  auto source = make_kernel_source(request.handlers, request.block_threads, request.step_budget, request.traced);
  if (!source) return cuda::std::unexpected(std::move(source.error()));
  stats.source_bytes = source->text.size();

  // -default-device: abi.h's unannotated constexpr helpers are device functions here (nvcc
  // gets --expt-relaxed-constexpr for the same reason). -minimal: no texture or device-
  // runtime declarations, which the kernel never uses (a faster front end). -w: generated
  // code trips harmless warnings (unused lets, comparisons with 0) that would bury errors.
  // The float options are NVRTC's defaults but spelled out, because the IR's f32 contract
  // (docs/ir.md) depends on them: subnormals kept, IEEE division and square root, and no
  // multiply-add contraction (only the IR's explicit fma fuses). interp/ir_scalar.h uses
  // the _rn intrinsics as well, so a flag changed here cannot silently change results.
  std::vector<std::string> options = {"--gpu-architecture=" + arch,
                                      "-std=c++17",
                                      "-default-device",
                                      "-minimal",
                                      "-w",
                                      "-ftz=false",
                                      "-prec-div=true",
                                      "-prec-sqrt=true",
                                      "-fmad=false"};
#if MK_TEST_HOOKS
  options.push_back("-DMK_TEST_HOOKS=1");  // same kernel as the nvcc build of this library
#endif
  const std::span<const EmbeddedHeader> headers = embedded_headers();
  const NvrtcVersion version = nvrtc_version();
  const Sha256Digest key =
      jit_cache_key(JitKeyParts{source->text, headers, options, arch, version.major, version.minor, abi::ABI_VERSION});
  stats.key_hex = to_hex(key);
  stats.lower_ms = ms_since(start);

  std::optional<JitCache> cache;
  const std::optional<std::filesystem::path> dir = request.cache_dir ? request.cache_dir : jit_cache_dir();
  if (dir && !dir->empty()) cache.emplace(*dir);
  stats.cache_enabled = cache.has_value();
  if (cache) {
    const auto t = Clock::now();
    stats.cache_path = cache->entry_path(key).string();
    CacheRead read = cache->load(key);
    stats.cache_read_ms = ms_since(t);
    stats.cache_note = read.reason;
    if (read.state == CacheState::Hit) {
      stats.cache_hit = true;
      out.cubin = std::move(read.image);
      stats.image_bytes = out.cubin.size();
      stats.total_ms = ms_since(start);
      return out;
    }
  }

  // Cache miss: NVRTC must run. Include paths are not part of the key: the headers that
  // matter are embedded, and the toolkit's own are covered by the NVRTC version.
  if (!nvrtc_supports_arch(request.cc_major, request.cc_minor)) {
    const NvrtcVersion v = nvrtc_version();
    return fail(ErrorKind::Unsupported,
                "NVRTC " + std::to_string(v.major) + "." + std::to_string(v.minor) + " cannot generate code for " +
                    arch + ", the device's architecture",
                "install a CUDA toolkit whose NVRTC supports " + arch + ", or run custom opcodes on the CPU backend");
  }
  auto root = find_toolkit_root();
  if (!root) return cuda::std::unexpected(std::move(root.error()));

  NvrtcRequest compile;
  compile.source = source->text;
  compile.source_name = JIT_SOURCE_NAME;
  compile.headers = headers;
  compile.options = options;
  for (std::string& include : toolkit_include_options(*root)) compile.options.push_back(std::move(include));
  const KernelSource& src = *source;
  compile.path_of_line = [&src](std::uint32_t line) { return src.path_of_line(line); };
  auto compiled = nvrtc_compile(compile);
  if (!compiled) return cuda::std::unexpected(std::move(compiled.error()));
  stats.compile_ms = compiled->compile_ms;
  stats.compile_log = std::move(compiled->log);
  out.cubin = std::move(compiled->cubin);
  stats.image_bytes = out.cubin.size();

  if (cache) {
    const auto t = Clock::now();
    if (auto stored = cache->store(key, out.cubin); !stored) {
      // A cache that cannot be written costs the next bootstrap a compile, nothing more.
      stats.cache_note += (stats.cache_note.empty() ? "" : "; ") + stored.error().message();
    }
    stats.cache_write_ms = ms_since(t);
  }
  stats.total_ms = ms_since(start);
  return out;
}

}  // namespace mk::detail
