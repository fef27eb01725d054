// RAII device allocation that only grows, so repeated dispatches allocate nothing.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_check.h"
#include "cuda/live_memory.h"

namespace mk::detail {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : m_ptr(std::exchange(other.m_ptr, nullptr)), m_bytes(std::exchange(other.m_bytes, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      m_ptr = std::exchange(other.m_ptr, nullptr);
      m_bytes = std::exchange(other.m_bytes, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { release(); }

  // Make room for at least `bytes`; keeps the allocation when it is big enough.
  Status reserve(std::size_t bytes) {
    if (bytes <= m_bytes) return {};
    release();
    if (bytes == 0) return {};
    MK_CUDA_CHECK(cudaMalloc(&m_ptr, bytes));
    m_bytes = bytes;
    return {};
  }

  template <class T = void>
  T* get() const noexcept {
    return static_cast<T*>(m_ptr);
  }
  std::size_t capacity() const noexcept { return m_bytes; }

  // Drop the pointer without freeing (after a device reset the context's memory is gone).
  void forget() noexcept {
    m_ptr = nullptr;
    m_bytes = 0;
  }

 private:
  void release() noexcept {
    if (m_ptr) live_memory_free_device(m_ptr);  // never waits for a running live kernel
    m_ptr = nullptr;
    m_bytes = 0;
  }

  void* m_ptr = nullptr;
  std::size_t m_bytes = 0;
};

}  // namespace mk::detail
