// The CUDA backend's compiled pipeline: the spec it was built from, plus the JIT module
// when the spec has custom opcodes (the built-in nvcc kernel runs otherwise).
#pragma once

#include <memory>
#include <mutex>

#include "cuda/jit/jit_module.h"
#include "cuda/jit/jit_stats.h"
#include "mk/backend.h"

namespace mk::detail {

class CudaPipeline final : public Pipeline {
 public:
  CudaPipeline(std::uint64_t id, PipelineSpec spec, std::shared_ptr<const JitModule> jit = nullptr,
               JitStats jit_stats = {})
      : m_id(id), m_spec(std::move(spec)), m_jit(std::move(jit)), m_jit_stats(std::move(jit_stats)) {}
  std::uint64_t id() const noexcept override { return m_id; }
  const PipelineSpec& spec() const noexcept { return m_spec; }
  // The JIT-compiled kernel of a pipeline with custom opcodes, or null.
  const JitModule* jit() const noexcept { return m_jit.get(); }
  const JitStats& jit_stats() const noexcept { return m_jit_stats; }
  // Its tracing twin, built on the first traced launch (src/cuda/jit/jit_pipeline.cpp).
  std::shared_ptr<const JitModule> traced_jit() const {
    std::lock_guard<std::mutex> lock(m_traced_mutex);
    return m_traced_jit;
  }
  void set_traced_jit(std::shared_ptr<const JitModule> module) const {
    std::lock_guard<std::mutex> lock(m_traced_mutex);
    m_traced_jit = std::move(module);
  }

 private:
  std::uint64_t m_id;
  PipelineSpec m_spec;
  std::shared_ptr<const JitModule> m_jit;  // unloaded when the last pipeline copy goes
  JitStats m_jit_stats;
  mutable std::mutex m_traced_mutex;
  mutable std::shared_ptr<const JitModule> m_traced_jit;
};

// What building a CUDA pipeline's JIT module cost (cold compile vs cache hit), or null
// for pipelines of other backends or without custom opcodes.
inline const JitStats* cuda_jit_stats(const Pipeline& pipeline) noexcept {
  const auto* p = dynamic_cast<const CudaPipeline*>(&pipeline);
  return p != nullptr && p->jit() != nullptr ? &p->jit_stats() : nullptr;
}

}  // namespace mk::detail
