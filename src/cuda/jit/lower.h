// Lowering of custom-opcode IR handlers to CUDA C++: the JitCustomOps policy that the
// JIT kernel passes to interp/ (semantics: docs/ir.md, oracle: src/ir/evaluate.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mk/abi.h"
#include "mk/error.h"
#include "mk/ir.h"

namespace mk::detail {

// Steps one item may take per run: abi::IR_STEP_BUDGET, ir::Program::build's default too,
// so both backends fault STEP_BUDGET at the same statement.
inline constexpr std::uint32_t JIT_STEP_BUDGET = abi::IR_STEP_BUDGET;

// Namespace and type of the generated policy, as the kernel source names them.
inline constexpr const char* JIT_OPS_TYPE = "mk::jit_generated::JitCustomOps";

struct LoweredOps {
  std::string text;                     // CUDA C++: handler functions + struct JitCustomOps
  std::vector<std::string> line_paths;  // line_paths[i]: IR node of line i + 1 of text, or ""
};

// Validates the handlers (ir::validate_handlers) and lowers them. Handler k becomes
// `case FIRST_CUSTOM_INDEX + k` of JitCustomOps::operator(); any other table index
// faults UNKNOWN_OPCODE, as the evaluator does.
Result<LoweredOps> lower_handlers(std::span<const OpcodeHandler> handlers, std::uint32_t step_budget = JIT_STEP_BUDGET);

// The IR node path of a line of the full kernel source whose lowered part starts at
// `first_line` (1-based), or "" when the line is not part of a handler.
std::string line_path(const LoweredOps& ops, std::uint32_t first_line, std::uint32_t line);

}  // namespace mk::detail
