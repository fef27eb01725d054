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

Result<std::uint64_t> test_plain_kernel_count(std::uint32_t blocks, std::chrono::milliseconds timeout) {
  unsigned long long* counter = nullptr;
  cudaStream_t stream = nullptr;
  MK_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  MK_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&counter), sizeof(*counter), stream));
  MK_CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof(*counter), stream));
  plain_count_kernel<<<blocks, 256, 0, stream>>>(counter);
  MK_CUDA_CHECK(cudaGetLastError());
  // Pinned, so the copy is asynchronous (a pageable one would block here), and never
  // freed: cudaFreeHost waits for the whole device, live kernel included.
  static unsigned long long* value = nullptr;
  if (value == nullptr) MK_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&value), sizeof(*value)));
  MK_CUDA_CHECK(cudaMemcpyAsync(value, counter, sizeof(*value), cudaMemcpyDeviceToHost, stream));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const cudaError_t q = cudaStreamQuery(stream);
    if (q == cudaSuccess) break;
    if (q != cudaErrorNotReady)
      return cuda::std::unexpected(cuda_error(q, "cudaStreamQuery(plain kernel)", __FILE__, __LINE__));
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(ErrorKind::Backend, "a plain kernel of " + std::to_string(blocks) + " blocks did not finish in time",
                  "a live session holds the SMs it needs: bound it with LiveOptions::max_sms");
    std::this_thread::yield();
  }
  MK_CUDA_CHECK(cudaFreeAsync(counter, stream));
  MK_CUDA_CHECK(cudaStreamSynchronize(stream));
  MK_CUDA_CHECK(cudaStreamDestroy(stream));
  return static_cast<std::uint64_t>(*value);
}

}  // namespace mk::detail
#endif
