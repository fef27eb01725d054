// CUDA baselines for `megakernel bench`: the bench workload's items as one kernel launch
// per item, and as a CUDA graph of those launches. Plain C interface (nvcc builds C++17).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mk::cli {

// Item i: op[i] is STORE_U32 (word[a[i]] = b[i]), ATOMIC_ADD (word[a[i]] += b[i]) or
// LOAD_U32 (reads word[a[i]]); every other op does nothing.
struct GpuBaselineItems {
  const std::uint32_t* op = nullptr;
  const std::uint32_t* a = nullptr;
  const std::uint32_t* b = nullptr;
  std::uint32_t* words = nullptr;
  std::uint32_t count = 0;
};

cudaError_t gpu_baseline_launch_per_item(const GpuBaselineItems& items, cudaStream_t stream);
cudaError_t gpu_baseline_build_graph(const GpuBaselineItems& items, cudaStream_t stream, cudaGraphExec_t* exec);

}  // namespace mk::cli
