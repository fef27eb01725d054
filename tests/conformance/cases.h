// The conformance case tables, one function per opcode family (each in its own file).
#pragma once

#include <vector>

#include "harness.h"

namespace mk::conformance {

std::vector<Case> memory_cases();   // NOP, STORE_U32, ATOMIC_ADD, LOAD_U32, COMPARE_SWAP, MEMCPY
std::vector<Case> dfa_cases();      // DFA_STEP
std::vector<Case> control_cases();  // BATCH_FENCE, SHUTDOWN, unknown opcodes, whole rings
std::vector<Case> printf_cases();   // PRINTF and the debug log
std::vector<Case> packed_cases();   // PACKED_SLOT
std::vector<Case> io_cases();       // LOAD_MISS and the I/O queue
std::vector<Case> tenant_cases();   // windows, masks, disabled and unknown tenants

// Every case above, in a stable order.
const std::vector<Case>& all_cases();

// Shorthands used by the tables.
inline constexpr std::uint64_t bit(u32 table_index) { return std::uint64_t{1} << table_index; }
inline constexpr std::uint64_t ALL_OPS = ~std::uint64_t{0};

}  // namespace mk::conformance
