// The CPU backend's compiled pipeline: the spec and the compiled IR of its custom opcodes.
#pragma once

#include <memory>

#include "mk/backend.h"
#include "ir/program.h"

namespace mk::detail {

class CpuPipeline final : public Pipeline {
 public:
  CpuPipeline(std::uint64_t id, PipelineSpec spec, std::shared_ptr<const ir::Program> program)
      : m_id(id), m_spec(std::move(spec)), m_program(std::move(program)) {}
  std::uint64_t id() const noexcept override { return m_id; }
  const PipelineSpec& spec() const noexcept { return m_spec; }
  const ir::Program* program() const noexcept { return m_program.get(); }
  std::shared_ptr<const ir::Program> shared_program() const noexcept { return m_program; }

 private:
  std::uint64_t m_id;
  PipelineSpec m_spec;
  std::shared_ptr<const ir::Program> m_program;  // null without custom opcodes
};

}  // namespace mk::detail
