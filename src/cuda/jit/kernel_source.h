// The complete NVRTC translation unit of a JIT pipeline: the shared one-shot kernel body
// (src/cuda/one_shot_kernel.cuh) instantiated with the lowered JitCustomOps.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "cuda/jit/lower.h"
#include "mk/error.h"
#include "mk/ir.h"

namespace mk::detail {

// extern "C" entry points of JIT modules (same params as the nvcc kernel). A module holds
// one of them: the traced kernel is compiled only when a traced launch first needs it.
inline constexpr const char* JIT_KERNEL = "mk_jit_one_shot";
inline constexpr const char* JIT_KERNEL_TRACED = "mk_jit_one_shot_traced";
inline constexpr const char* JIT_BATCH_KERNEL = "mk_jit_batch";
inline constexpr const char* JIT_SOURCE_NAME = "mk_jit_kernel.cu";

struct KernelSource {
  std::string text;
  LoweredOps ops;
  std::uint32_t ops_first_line = 0;  // 1-based line of text where ops.text starts

  // IR node path of a line of `text` (as NVRTC reports it), or "" outside a handler.
  std::string path_of_line(std::uint32_t line) const { return line_path(ops, ops_first_line, line); }
};

// Lowers `handlers` and wraps them in the kernel (JIT_KERNEL, or JIT_KERNEL_TRACED when
// `traced`). `block_threads` becomes its __launch_bounds__, so a large workgroup never
// fails for want of registers.
Result<KernelSource> make_kernel_source(std::span<const OpcodeHandler> handlers, std::uint32_t block_threads,
                                        std::uint32_t step_budget = JIT_STEP_BUDGET, bool traced = false);

}  // namespace mk::detail
