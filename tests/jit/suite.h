// The handler suite of the JIT GPU tests: one pipeline whose handlers exercise every IR
// feature and every way an item can end (docs/ir.md), so one NVRTC compile serves all cases.
#pragma once

#include <vector>

#include "mk/mk.h"

namespace mk::jit_test {

// Opcode ids of the suite (ids 200..201 are below 256 so packed slots can carry them).
enum SuiteOp : std::uint32_t {
  ARITH = 4096,   // a, b, c, addr -> stores four words of mixed arithmetic, result = hash
  LOOPS,          // seed, src, dst -> nested loops over loads, stores every other trip
  DIVIDE,         // addr, x, y, use_rem -> store(addr, 1), then x / y (or x % y)
  BOUNDS,         // addr, probe, kind -> store(addr), then load/atomic/cas/store at probe
  BUDGET,         // addr -> 40000 trips: STEP_BUDGET mid-loop, last completed trip in addr
  BUDGET_EDGE,    // addr -> exactly 65536 steps: DONE
  BUDGET_OVER,    // addr -> 65537 steps: STEP_BUDGET at the last statement
  USER,           // code, addr -> fault(7) / fault(4) / store then fault(9) / result
  PRINTS,         // a, b, c, d -> six printf records
  REQUEUES,       // counter, times -> requeue until the counter reaches `times`
  COUNTER,        // addr, delta -> shared atomic counter (commutative)
  CAS_OWN,        // addr, expected, desired -> cas, previous stored beside it
  SHORT_CIRCUIT,  // cond, a, b -> select(cond, load(a), load(b))
  IDENT,          // addr -> store(addr, tenant << 16 | slot), result = load(addr)
};
inline constexpr std::uint32_t PACKABLE = 200;          // a + 2b + c
inline constexpr std::uint32_t PACKABLE_REQUEUE = 201;  // requeue (BAD_ARGS when packed)

std::vector<OpcodeHandler> suite_handlers();

}  // namespace mk::jit_test
