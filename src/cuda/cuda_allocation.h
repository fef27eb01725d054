// RAII CUDA allocations that only grow, so repeated dispatches allocate nothing. Device,
// page-locked and mapped memory differ only in how they are made and freed (the Memory
// policy); every free goes through live_memory.h, so none waits for a running live kernel.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_check.h"
#include "cuda/live_memory.h"

namespace mk::detail {

template <class Memory>
class CudaAllocation {
 public:
  CudaAllocation() = default;
  CudaAllocation(const CudaAllocation&) = delete;
  CudaAllocation& operator=(const CudaAllocation&) = delete;
  CudaAllocation(CudaAllocation&& other) noexcept
      : m_ptr(std::exchange(other.m_ptr, nullptr)), m_bytes(std::exchange(other.m_bytes, 0)) {}
  CudaAllocation& operator=(CudaAllocation&& other) noexcept {
    if (this != &other) {
      release();
      m_ptr = std::exchange(other.m_ptr, nullptr);
      m_bytes = std::exchange(other.m_bytes, 0);
    }
    return *this;
  }
  ~CudaAllocation() { release(); }

  // Make room for at least `bytes`; keeps the allocation when it is big enough.
  Status reserve(std::size_t bytes) {
    if (bytes <= m_bytes) return {};
    release();
    const cudaError_t status = Memory::allocate(&m_ptr, bytes);
    if (status != cudaSuccess) {
      m_ptr = nullptr;
      return cuda::std::unexpected<Error>(cuda_error(status, Memory::ALLOCATE, __FILE__, __LINE__));
    }
    m_bytes = bytes;
    return {};
  }

  template <class T = void>
  T* get() const noexcept {
    return static_cast<T*>(m_ptr);
  }
  std::size_t capacity() const noexcept { return m_bytes; }

  // Drop the pointer without freeing: after a device reset the context's memory is gone,
  // and memory a live kernel that never left still uses must stay mapped (leaked).
  void forget() noexcept {
    m_ptr = nullptr;
    m_bytes = 0;
  }

 private:
  void release() noexcept {
    if (m_ptr) Memory::free(m_ptr);
    m_ptr = nullptr;
    m_bytes = 0;
  }

  void* m_ptr = nullptr;
  std::size_t m_bytes = 0;
};

struct DeviceMemory {
  static constexpr const char* ALLOCATE = "cudaMalloc";
  static cudaError_t allocate(void** p, std::size_t bytes) { return cudaMalloc(p, bytes); }
  static void free(void* p) noexcept { live_memory_free_device(p); }
};

// Page-locked host memory for staging copies the GPU reads.
struct PinnedMemory {
  static constexpr const char* ALLOCATE = "cudaHostAlloc(cudaHostAllocDefault)";
  static cudaError_t allocate(void** p, std::size_t bytes) { return cudaHostAlloc(p, bytes, cudaHostAllocDefault); }
  static void free(void* p) noexcept { live_memory_free_host(p); }
};

// Page-locked host memory the GPU reads and writes over PCIe (live rings and records).
struct MappedMemory {
  static constexpr const char* ALLOCATE = "cudaHostAlloc(cudaHostAllocMapped)";
  static cudaError_t allocate(void** p, std::size_t bytes) { return cudaHostAlloc(p, bytes, cudaHostAllocMapped); }
  static void free(void* p) noexcept { live_memory_free_host(p); }
};

using DeviceBuffer = CudaAllocation<DeviceMemory>;
using PinnedBuffer = CudaAllocation<PinnedMemory>;
using MappedBuffer = CudaAllocation<MappedMemory>;

}  // namespace mk::detail
