// A loaded JIT module: the CUmodule holding the one-shot kernels, their occupancy, and
// the cooperative launch (driver API, same OneShotParams as the nvcc kernel).
#pragma once

#include <cuda.h>
#include <cuda_runtime.h>

#include <memory>
#include <span>

#include "cuda/batch_params.h"
#include "cuda/one_shot_params.h"
#include "mk/error.h"

namespace mk::detail {

class JitModule {
 public:
  // Loads a CUBIN into the current context (the runtime's primary context) and finds its
  // kernel (JIT_KERNEL, or JIT_KERNEL_TRACED for a traced image).
  static Result<std::shared_ptr<const JitModule>> load(std::span<const std::byte> image, bool traced = false);
  JitModule(const JitModule&) = delete;
  JitModule& operator=(const JitModule&) = delete;
  ~JitModule();

  // Blocks of `threads` lanes that fit on one SM at once (0: cannot run that shape).
  Result<int> max_active_blocks_per_sm(unsigned threads) const;
  // Cooperative launch (cuLaunchKernelEx + CU_LAUNCH_ATTRIBUTE_COOPERATIVE, which a
  // stream capture can also record, like the nvcc path's cudaLaunchKernelEx).
  Status launch(const OneShotParams& params, unsigned blocks, unsigned threads, cudaStream_t stream) const;
  // The compact-batch kernel (untraced images): a plain launch of BATCH_THREADS per block.
  Status launch_batch(const BatchParams& params, cudaStream_t stream) const;
  bool traced() const noexcept { return m_traced; }

 private:
  JitModule() = default;

  CUcontext m_context = nullptr;
  CUmodule m_module = nullptr;
  CUfunction m_function = nullptr;
  CUfunction m_batch_function = nullptr;
  bool m_traced = false;
};

}  // namespace mk::detail
