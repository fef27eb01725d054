// The host half of a JIT pipeline build: lower, key, look up the disk cache, compile with
// NVRTC on a miss, store. Needs no GPU (only NVRTC), so CI can run it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "cuda/jit/jit_stats.h"
#include "cuda/jit/lower.h"
#include "mk/error.h"
#include "mk/ir.h"

namespace mk::detail {

struct JitImageRequest {
  std::span<const OpcodeHandler> handlers;
  std::uint32_t block_threads = 256;  // workgroup_size_x: the kernels' __launch_bounds__
  int cc_major = 9;                   // the device's compute capability
  int cc_minor = 0;
  std::uint32_t step_budget = JIT_STEP_BUDGET;
  bool traced = false;  // the kernel that records per-slot trace events
  // Where entries live; unset: jit_cache_dir() (environment). Empty path: no cache.
  std::optional<std::filesystem::path> cache_dir;
};

struct JitImage {
  std::vector<std::byte> cubin;
  JitStats stats;
};

Result<JitImage> build_jit_image(const JitImageRequest& request);

}  // namespace mk::detail
