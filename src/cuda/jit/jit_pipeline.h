// CudaBackend::build_pipeline for specs with custom opcodes or a payload processor:
// JIT image (cache or NVRTC) -> loaded module -> CudaPipeline.
#pragma once

#include <cstdint>
#include <memory>

#include "mk/backend.h"

namespace mk::detail {

class CudaPipeline;
class JitModule;

Result<std::shared_ptr<const Pipeline>> build_jit_pipeline(std::uint64_t id, const PipelineSpec& spec, int device,
                                                           int cc_major, int cc_minor);

// The kernel a launch of `pipeline` runs: null for the built-in (nvcc) kernel, else its
// JIT module; a traced launch compiles (or loads from the cache) the traced twin once.
Result<const JitModule*> jit_module_for_launch(const CudaPipeline& pipeline, bool traced, int cc_major, int cc_minor);

}  // namespace mk::detail
