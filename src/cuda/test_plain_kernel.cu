// Test support: a plain kernel on its own stream (test_plain_kernel.h); MK_TEST_HOOKS only.
#include "cuda/test_plain_kernel.h"

#if MK_TEST_HOOKS
#include <cuda_runtime.h>

#include <string>
#include <thread>

#include "cuda/cuda_check.h"

namespace mk::detail {
namespace {

__global__ void plain_count_kernel(unsigned long long* counter) { atomicAdd(counter, 1ull); }

}  // namespace

// Made once by test_plain_kernel_prepare and never freed: cudaFree and cudaFreeHost wait
// for the whole device, live kernel included.
struct PlainKernelState {
  unsigned long long* counter = nullptr;
  unsigned long long* value = nullptr;  // pinned, so the copy back is asynchronous
  cudaStream_t stream = nullptr;
};
PlainKernelState& plain_state() {
  static PlainKernelState state;
  return state;
}

Status test_plain_kernel_prepare() {
  PlainKernelState& s = plain_state();
  if (s.stream != nullptr) return {};
  cudaFuncAttributes attributes{};
  MK_CUDA_CHECK(cudaFuncGetAttributes(&attributes, plain_count_kernel));  // loads it now
  MK_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&s.counter), sizeof(*s.counter)));
  MK_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&s.value), sizeof(*s.value)));
  MK_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  return {};
}

Result<std::uint64_t> test_plain_kernel_count(std::uint32_t blocks, std::chrono::milliseconds timeout) {
  MK_TRY(test_plain_kernel_prepare());
  PlainKernelState& s = plain_state();
  MK_CUDA_CHECK(cudaMemsetAsync(s.counter, 0, sizeof(*s.counter), s.stream));
  plain_count_kernel<<<blocks, 256, 0, s.stream>>>(s.counter);
  MK_CUDA_CHECK(cudaGetLastError());
  MK_CUDA_CHECK(cudaMemcpyAsync(s.value, s.counter, sizeof(*s.value), cudaMemcpyDeviceToHost, s.stream));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const cudaError_t q = cudaStreamQuery(s.stream);
    if (q == cudaSuccess) break;
    if (q != cudaErrorNotReady)
      return cuda::std::unexpected(cuda_error(q, "cudaStreamQuery(plain kernel)", __FILE__, __LINE__));
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(ErrorKind::Backend, "a plain kernel of " + std::to_string(blocks) + " blocks did not finish in time",
                  "a live session holds the SMs it needs: bound it with LiveOptions::max_sms");
    std::this_thread::yield();
  }
  return static_cast<std::uint64_t>(*s.value);
}

}  // namespace mk::detail
#endif
