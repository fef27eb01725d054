// Per-item launch, per-item graph and copy-bandwidth baselines.
#include "gpu_baselines.cuh"
#include "mk/abi.h"

namespace mk::bench {
namespace {

__global__ void apply_item(GpuItems items, std::uint32_t i) {
  const std::uint32_t op = items.op ? items.op[i] : abi::OP_ATOMIC_ADD;
  std::uint32_t* word = items.words + items.a[i];
  if (op == abi::OP_ATOMIC_ADD)
    atomicAdd(word, items.b[i]);
  else if (op == abi::OP_STORE_U32)
    *word = items.b[i];
  else if (op == abi::OP_LOAD_U32)
    (void)*static_cast<volatile std::uint32_t*>(word);
}

}  // namespace

cudaError_t launch_per_item(const GpuItems& items, cudaStream_t stream) {
  for (std::uint32_t i = 0; i < items.count; ++i) apply_item<<<1, 1, 0, stream>>>(items, i);
  return cudaGetLastError();
}

cudaError_t build_per_item_graph(const GpuItems& items, cudaStream_t stream, cudaGraphExec_t* exec) {
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

cudaError_t measure_copy_bandwidth(std::size_t bytes, cudaStream_t stream, double* bytes_per_second) {
  void *a = nullptr, *b = nullptr;
  cudaEvent_t start, stop;
  cudaError_t e = cudaMalloc(&a, bytes);
  if (e == cudaSuccess) e = cudaMalloc(&b, bytes);
  if (e == cudaSuccess) e = cudaMemsetAsync(a, 1, bytes, stream);
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  float best_ms = 1e30f;
  for (int rep = 0; e == cudaSuccess && rep < 10; ++rep) {
    cudaEventRecord(start, stream);
    e = cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, stream);
    cudaEventRecord(stop, stream);
    if (e == cudaSuccess) e = cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    if (rep > 0 && ms < best_ms) best_ms = ms;  // rep 0 is warm-up
  }
  *bytes_per_second = 2.0 * static_cast<double>(bytes) / (static_cast<double>(best_ms) * 1e-3);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(a);
  cudaFree(b);
  return e;
}

}  // namespace mk::bench
