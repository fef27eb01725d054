// One-thread kernels applying one bench item each (the per-item-launch baseline).
#include "gpu_baselines.cuh"
#include "mk/abi.h"

namespace mk::cli {
namespace {

__global__ void apply_item(GpuBaselineItems items, std::uint32_t i) {
  const std::uint32_t op = items.op[i];
  std::uint32_t* word = items.words + items.a[i];
  if (op == abi::OP_STORE_U32)
    *word = items.b[i];
  else if (op == abi::OP_ATOMIC_ADD)
    atomicAdd(word, items.b[i]);
  else if (op == abi::OP_LOAD_U32)
    (void)*static_cast<volatile std::uint32_t*>(word);
}

}  // namespace

cudaError_t gpu_baseline_launch_per_item(const GpuBaselineItems& items, cudaStream_t stream) {
  for (std::uint32_t i = 0; i < items.count; ++i) apply_item<<<1, 1, 0, stream>>>(items, i);
  return cudaGetLastError();
}

cudaError_t gpu_baseline_build_graph(const GpuBaselineItems& items, cudaStream_t stream, cudaGraphExec_t* exec) {
  cudaGraph_t graph = nullptr;
  cudaError_t e = cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
  if (e != cudaSuccess) return e;
  for (std::uint32_t i = 0; i < items.count; ++i) apply_item<<<1, 1, 0, stream>>>(items, i);
  e = cudaStreamEndCapture(stream, &graph);
  if (e != cudaSuccess) return e;
  e = cudaGraphInstantiate(exec, graph, 0);
  cudaGraphDestroy(graph);
  return e;
}

}  // namespace mk::cli
