// Test-only hooks compiled into the CUDA backend when MK_TEST_HOOKS is on (cuda preset).
#pragma once

namespace mk::detail {
// A PUBLISHED item with this opcode and ARGS[0] == TEST_TRAP_ARG makes the kernel execute
// a trap instruction, so tests can prove device-loss recovery. 0xFFF0 is in the reserved
// system range and never a real opcode; the argument keeps tests that use 0xFFF0 as an
// unknown opcode from trapping.
inline constexpr unsigned TEST_TRAP_OPCODE = 0xFFF0u;
inline constexpr unsigned TEST_TRAP_ARG = 0x50415254u;  // TRAP in ASCII
}  // namespace mk::detail
