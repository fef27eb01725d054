// What must hold after non-admin tenants' items ran: the checks of fuzz_interp, as a
// plain function so a unit test can prove each one fires.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "mk/protocol.h"

namespace mk::fuzz {

struct InterpRun {
  ConstByteSpan control_before;  // after tenant setup, before the dispatch
  ConstByteSpan control_after;
  ConstByteSpan ring_before;  // as published
  ConstByteSpan ring_after;
  std::span<const std::uint32_t> opcode_table;  // Megakernel::opcode_table()
  bool settled = true;  // the dispatch ran until idle (not stopped by a bound): no WAIT_IO may be left
};

// "" when every invariant holds, else the first broken one in words:
// - no observable outside the windows of the tenants that issued items changed;
// - SHUTDOWN stayed 0 (no tenant is admin);
// - no item ended DONE that its tenant may not run (disabled or unknown tenant,
//   SHUTDOWN, an opcode outside the mask, a packed inner op outside the mask);
// - every FAULT's RESULT is a fault code 1..9, every STATUS a known one;
// - no slot is left CLAIMED, and none WAIT_IO when `settled`;
// - DONE_COUNT and FAULT_COUNT match the slots that ended DONE or FAULT.
// Tenant policies are read from control_before, so they are what the kernel saw.
std::string check_interp_run(const InterpRun& run);

}  // namespace mk::fuzz
