// Baselines for the GPU benchmark: one kernel launch per item, and a CUDA graph of
// per-item kernel nodes, doing the same ATOMIC_ADD work as the megakernel items.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mk::bench {

// Launch one single-thread kernel per item: observables[addr[i]] += delta[i].
cudaError_t launch_per_item(std::uint32_t* observables, const std::uint32_t* addr, const std::uint32_t* delta,
                            std::uint32_t n, cudaStream_t stream);

// Record the same n launches into a graph (stream capture) and instantiate it.
cudaError_t build_per_item_graph(std::uint32_t* observables, const std::uint32_t* addr, const std::uint32_t* delta,
                                 std::uint32_t n, cudaStream_t stream, cudaGraphExec_t* exec);

// Device-to-device copy bandwidth (bytes read + written per second) over `bytes`.
cudaError_t measure_copy_bandwidth(std::size_t bytes, cudaStream_t stream, double* bytes_per_second);

}  // namespace mk::bench
