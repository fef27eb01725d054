// A minimal test-only backend for the registry tests: "forward", which runs everything on a CPU backend.
#pragma once

#include <atomic>
#include <memory>

#include "core/backend_entry.h"

namespace mk::test {

// Counts what reaches it, so a test can tell it ran and not the CPU backend behind it.
class ForwardBackend final : public Backend {
 public:
  ForwardBackend() : m_inner(make_cpu_backend({.threads = 1, .deterministic = true})) {}
  std::string_view name() const noexcept override { return "forward"; }
  bool supports(Feature feature) const noexcept override { return feature == Feature::OneShot; }
  std::vector<DeviceInfo> devices() const override { return m_inner->devices(); }
  Result<std::shared_ptr<const Pipeline>> build_pipeline(const PipelineSpec& spec) override {
    return m_inner->build_pipeline(spec);
  }
  Result<LaunchStats> launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                      std::vector<TraceEvent>* trace) override {
    m_launches.fetch_add(1, std::memory_order_relaxed);
    return m_inner->launch_one_shot(pipeline, buffers, trace);
  }
  std::uint64_t launches() const noexcept { return m_launches.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<Backend> m_inner;
  std::atomic<std::uint64_t> m_launches{0};
};

// Its registry entry: what a backend directory contributes (src/cpu/cpu_registry.cpp is the
// shipped example). Never picked by "auto".
extern const detail::BackendEntry FORWARD_BACKEND_ENTRY;

}  // namespace mk::test
