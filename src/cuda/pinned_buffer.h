// RAII page-locked host allocation (grow-only), for staging copies the GPU reads.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_check.h"
#include "cuda/live_memory.h"

namespace mk::detail {

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() { release(); }

  Status reserve(std::size_t bytes) {
    if (bytes <= m_bytes) return {};
    release();
    MK_CUDA_CHECK(cudaHostAlloc(&m_ptr, bytes, cudaHostAllocDefault));
    m_bytes = bytes;
    return {};
  }
  template <class T = void>
  T* get() const noexcept {
    return static_cast<T*>(m_ptr);
  }
  std::size_t capacity() const noexcept { return m_bytes; }
  void forget() noexcept {
    m_ptr = nullptr;
    m_bytes = 0;
  }

 private:
  void release() noexcept {
    if (m_ptr) live_memory_free_host(m_ptr);  // never waits for a running live kernel
    m_ptr = nullptr;
    m_bytes = 0;
  }
  void* m_ptr = nullptr;
  std::size_t m_bytes = 0;
};

}  // namespace mk::detail
