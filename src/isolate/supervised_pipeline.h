// A pipeline of an isolated backend: the spec (the host shadow it is rebuilt from after a
// worker restart) and its handle in the current worker.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "isolate/supervisor.h"
#include "mk/backend.h"

namespace mk::isolate {

class SupervisedPipeline final : public Pipeline, public std::enable_shared_from_this<SupervisedPipeline> {
 public:
  SupervisedPipeline(std::shared_ptr<Supervisor> supervisor, std::uint64_t id, const PipelineSpec& spec)
      : m_supervisor(std::move(supervisor)), m_id(id), m_spec(spec), m_json(encode_spec(spec)) {}
  ~SupervisedPipeline() override {
    if (m_generation != 0) m_supervisor->release_pipeline(m_handle, m_generation);
  }
  std::uint64_t id() const noexcept override { return m_id; }
  const PipelineSpec& spec() const noexcept { return m_spec; }

  // The worker's handle, built there first if this worker has not seen the pipeline (a
  // restart replaced the one that had). Inside transact only.
  Result<std::uint64_t> handle(Supervisor::Link& link) const {
    if (m_generation == link.generation()) return m_handle;
    auto built = link.request(Command::BuildPipeline, {}, std::as_bytes(std::span(m_json)));
    if (!built) return cuda::std::unexpected(std::move(built.error()));
    m_handle = built->value[0];
    m_generation = link.generation();
    return m_handle;
  }

 private:
  std::shared_ptr<Supervisor> m_supervisor;
  std::uint64_t m_id;
  PipelineSpec m_spec;
  std::string m_json;
  // Guarded by the supervisor's command lock (handle() runs inside transact).
  mutable std::uint64_t m_handle = 0;
  mutable std::uint64_t m_generation = 0;
};

}  // namespace mk::isolate
