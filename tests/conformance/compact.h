// Conformance of the bulk path: a case's items run as one compact batch (per-item
// opcode and tenant, 12 argument words, in slot order) and are compared with the
// oracle's slot-path run of the same case.
//
// What this catches: a compact record expanded differently from a slot, results or
// faults attributed to the wrong item, counters or observables that differ from the
// slot path's where the semantics are the same.
#pragma once

#include <string>

#include "harness.h"

namespace mk::conformance {

// Can the case run as a compact batch with the slot path's semantics? No debug log or
// I/O queue, no fenced batches, every item's opcode in the built-in table and not
// refused by the batch path (BATCH_FENCE, LOAD_MISS, SHUTDOWN), every tenant in range
// (the batch path rejects these up front where the slot path faults them). `why` says
// what makes it ineligible.
bool compact_eligible(const Case& c, std::string& why);

// Run the case as a compact batch on `backend` from the oracle's input control buffer,
// then compare per item (STATUS, RESULT unless racy) and the control buffer word for
// word (HEARTBEAT never; LAST_FAULT_SLOT mapped from slot to item when the oracle saw
// at most one fault; racy observables and fence tag skipped).
void run_compact_against_oracle(const Case& c, std::shared_ptr<Backend> backend, const RunOutput& oracle,
                                Errors& errors);

}  // namespace mk::conformance
