// The JIT path of CudaBackend::build_pipeline.
#include "cuda/jit/jit_pipeline.h"

#include <cuda_runtime.h>

#include <chrono>
#include <string>

#include "cuda/cuda_check.h"
#include "cuda/cuda_pipeline.h"
#include "cuda/jit/jit_build.h"

namespace mk::detail {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

Result<std::shared_ptr<const Pipeline>> build_jit_pipeline(std::uint64_t id, const PipelineSpec& spec, int device,
                                                           int cc_major, int cc_minor) {
  const auto start = Clock::now();
  if (spec.payload_processor && (*spec.payload_processor < abi::FIRST_CUSTOM_INDEX ||
                                 *spec.payload_processor - abi::FIRST_CUSTOM_INDEX >= spec.handlers.size()))
    return fail(ErrorKind::InvalidArgument,
                "payload_processor is table index " + std::to_string(*spec.payload_processor) + " but only " +
                    std::to_string(spec.handlers.size()) + " custom handlers (indices 12..) are registered",
                "register the payload processor as a handler (Megakernel::bootstrap_jit does)");

  JitImageRequest request;
  request.handlers = spec.handlers;
  request.block_threads = spec.geometry.workgroup_size_x;
  request.cc_major = cc_major;
  request.cc_minor = cc_minor;
  auto image = build_jit_image(request);
  if (!image) return cuda::std::unexpected(std::move(image.error()));

  // The driver API loads into the current context: make the runtime's primary one current.
  MK_CUDA_CHECK(cudaSetDevice(device));
  MK_CUDA_CHECK(cudaFree(nullptr));
  const auto load_start = Clock::now();
  auto module = JitModule::load(image->cubin);
  if (!module) return cuda::std::unexpected(std::move(module.error()));
  image->stats.load_ms = ms_since(load_start);

  auto per_sm = (*module)->max_active_blocks_per_sm(spec.geometry.workgroup_size_x);
  if (!per_sm) return cuda::std::unexpected(std::move(per_sm.error()));
  if (*per_sm <= 0)
    return fail(ErrorKind::Backend,
                "the JIT kernel cannot run " + std::to_string(spec.geometry.workgroup_size_x) + " threads per block",
                "use a smaller workgroup_size_x");
  image->stats.total_ms = ms_since(start);
  return std::shared_ptr<const Pipeline>(
      std::make_shared<CudaPipeline>(id, spec, std::move(*module), std::move(image->stats)));
}

Result<const JitModule*> jit_module_for_launch(const CudaPipeline& pipeline, bool traced, int cc_major, int cc_minor) {
  if (pipeline.jit() == nullptr || !traced) return pipeline.jit();
  if (auto module = pipeline.traced_jit()) return module.get();
  JitImageRequest request;
  request.handlers = pipeline.spec().handlers;
  request.block_threads = pipeline.spec().geometry.workgroup_size_x;
  request.cc_major = cc_major;
  request.cc_minor = cc_minor;
  request.traced = true;
  auto image = build_jit_image(request);
  if (!image) return cuda::std::unexpected(std::move(image.error()));
  auto module = JitModule::load(image->cubin, true);
  if (!module) return cuda::std::unexpected(std::move(module.error()));
  pipeline.set_traced_jit(*module);
  return module->get();  // the pipeline keeps it alive
}

}  // namespace mk::detail
