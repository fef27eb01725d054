// JitModule: CUmodule lifetime, occupancy and cooperative launch through the driver API.
#include "cuda/jit/jit_module.h"

#include "cuda/jit/cu_check.h"
#include "cuda/jit/kernel_source.h"

namespace mk::detail {

Result<std::shared_ptr<const JitModule>> JitModule::load(std::span<const std::byte> image, bool traced) {
  auto api = driver_api();
  if (!api) return cuda::std::unexpected(std::move(api.error()));
  const DriverApi& cu = **api;
  std::shared_ptr<JitModule> m(new JitModule());
  MK_CU_CHECK(cu.ctx_get_current(&m->m_context));
  if (m->m_context == nullptr)
    return fail(ErrorKind::Backend, "no CUDA context is current while loading the JIT module",
                "call cudaSetDevice() on this thread before building the pipeline");
  MK_CU_CHECK(cu.module_load_data(&m->m_module, image.data()));
  MK_CU_CHECK(cu.module_get_function(&m->m_function, m->m_module, traced ? JIT_KERNEL_TRACED : JIT_KERNEL));
  if (!traced) MK_CU_CHECK(cu.module_get_function(&m->m_batch_function, m->m_module, JIT_BATCH_KERNEL));
  m->m_traced = traced;
  return std::shared_ptr<const JitModule>(std::move(m));
}

JitModule::~JitModule() {
  if (m_module == nullptr) return;
  auto api = driver_api();
  if (!api) return;
  const DriverApi& cu = **api;
  // Unload in the context it was loaded into, whichever thread drops the last reference.
  // After a device reset the context is gone and these fail harmlessly.
  const bool pushed = cu.ctx_push_current(m_context) == CUDA_SUCCESS;
  MK_CU_CHECK_NOEXCEPT(cu.module_unload(m_module));
  if (pushed) {
    CUcontext popped = nullptr;
    MK_CU_CHECK_NOEXCEPT(cu.ctx_pop_current(&popped));
  }
}

Result<int> JitModule::max_active_blocks_per_sm(unsigned threads) const {
  auto api = driver_api();
  if (!api) return cuda::std::unexpected(std::move(api.error()));
  int blocks = 0;
  MK_CU_CHECK((*api)->occupancy_max_active_blocks(&blocks, m_function, static_cast<int>(threads), 0));
  return blocks;
}

Status JitModule::launch(const OneShotParams& params, unsigned blocks, unsigned threads, cudaStream_t stream) const {
  auto api = driver_api();
  if (!api) return cuda::std::unexpected(std::move(api.error()));
  OneShotParams copy = params;
  void* args[] = {&copy};
  CUlaunchAttribute attribute[1] = {};
  attribute[0].id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE;
  attribute[0].value.cooperative = 1;
  CUlaunchConfig config = {};
  config.gridDimX = blocks;
  config.gridDimY = 1;
  config.gridDimZ = 1;
  config.blockDimX = threads;
  config.blockDimY = 1;
  config.blockDimZ = 1;
  config.sharedMemBytes = 0;
  config.hStream = stream;  // cudaStream_t and CUstream are the same handle
  config.attrs = attribute;
  config.numAttrs = 1;
  MK_CU_CHECK((*api)->launch_kernel_ex(&config, m_function, args, nullptr));
  return {};
}

Status JitModule::launch_batch(const BatchParams& params, cudaStream_t stream) const {
  if (m_batch_function == nullptr)
    return fail(ErrorKind::Backend, "this JIT image has no compact-batch kernel (a traced image)",
                "dispatch batches through an untraced pipeline");
  auto api = driver_api();
  if (!api) return cuda::std::unexpected(std::move(api.error()));
  BatchParams copy = params;
  void* args[] = {&copy};
  CUlaunchConfig config = {};
  config.gridDimX = batch_blocks(params.count);
  config.gridDimY = 1;
  config.gridDimZ = 1;
  config.blockDimX = BATCH_THREADS;
  config.blockDimY = 1;
  config.blockDimZ = 1;
  config.hStream = stream;
  MK_CU_CHECK((*api)->launch_kernel_ex(&config, m_batch_function, args, nullptr));
  return {};
}

}  // namespace mk::detail
