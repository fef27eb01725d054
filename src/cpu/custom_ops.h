// How the CPU backend runs custom opcodes: the IR evaluator.
#pragma once

#include "interp/execute.h"
#include "ir/evaluate.h"

namespace mk::detail {
// The IR evaluator over the pipeline's compiled Program (null: no custom opcodes).
using CpuCustomOps = ir::CustomOps;
}  // namespace mk::detail
