// The GPU baselines every benchmark divides by: one kernel launch per item, a CUDA graph of
// those launches, and the device copy bandwidth. One definition for `megakernel bench`,
// mk_bench_gpu, mk_bench_live and mk_bench_bulk (nvcc builds it as C++17).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace mk::bench {

// Item i applies op[i] to words[a[i]]: STORE_U32 (= b[i]), ATOMIC_ADD (+= b[i]) or LOAD_U32
// (a volatile read); any other op does nothing. op == nullptr means every item is
// ATOMIC_ADD. Every pointer is device memory.
struct GpuItems {
  const std::uint32_t* op = nullptr;
  const std::uint32_t* a = nullptr;
  const std::uint32_t* b = nullptr;
  std::uint32_t* words = nullptr;
  std::uint32_t count = 0;
};

// One single-thread kernel launch per item on `stream` (no synchronisation).
cudaError_t launch_per_item(const GpuItems& items, cudaStream_t stream);

// The same launches recorded into a graph (stream capture) and instantiated.
cudaError_t build_per_item_graph(const GpuItems& items, cudaStream_t stream, cudaGraphExec_t* exec);

// ATOMIC_ADD items: observables[addr[i]] += delta[i].
inline cudaError_t launch_per_item(std::uint32_t* observables, const std::uint32_t* addr, const std::uint32_t* delta,
                                   std::uint32_t n, cudaStream_t stream) {
  return launch_per_item(GpuItems{nullptr, addr, delta, observables, n}, stream);
}
inline cudaError_t build_per_item_graph(std::uint32_t* observables, const std::uint32_t* addr,
                                        const std::uint32_t* delta, std::uint32_t n, cudaStream_t stream,
                                        cudaGraphExec_t* exec) {
  return build_per_item_graph(GpuItems{nullptr, addr, delta, observables, n}, stream, exec);
}

// Device-to-device copy bandwidth (bytes read + written per second) over `bytes`.
cudaError_t measure_copy_bandwidth(std::size_t bytes, cudaStream_t stream, double* bytes_per_second);

}  // namespace mk::bench
