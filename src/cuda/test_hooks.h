// Test-only hooks compiled into the CUDA backend when MK_TEST_HOOKS is on (cuda preset).
#pragma once

namespace mk::detail {
// A PUBLISHED item with this opcode makes the kernel execute a trap instruction, so
// tests can prove device-loss recovery. 0xFFF0 is in the reserved system range and is
// never a real opcode.
inline constexpr unsigned TEST_TRAP_OPCODE = 0xFFF0u;
}  // namespace mk::detail
