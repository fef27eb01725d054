// How the CPU backend runs custom opcodes (the IR evaluator, once registered).
#pragma once

#include "interp/execute.h"

namespace mk::detail {
using CpuCustomOps = interp::NoCustomOps;
}  // namespace mk::detail
