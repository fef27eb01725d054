// Rendering a run's readback: one JSON object (--json) or a readable table.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "job.h"
#include "job_runner.h"

namespace mk::cli {

// The `megakernel run --json` object: backend, done_count, epoch, last_fence_tag,
// fault_count, shutdown, items, observables, metrics, tenants, debug_log, timing.
// With `summary` (--summary): totals, metrics, tenants and the faulted items only (no
// per-item list, no observables), for jobs of millions of items. Written as it goes
// (the item list and the observables are never a DOM), keys sorted, no newline.
void write_run_report_json(std::ostream& out, const Job& job, const RunOutcome& outcome, bool summary = false);
// The same object as a DOM, for callers that want to inspect it (tests).
nlohmann::json run_report_json(const Job& job, const RunOutcome& outcome, bool summary = false);

// The same facts as aligned text for a terminal.
void print_run_table(std::ostream& out, const Job& job, const RunOutcome& outcome, bool summary = false);

// Faulted items listed in a summary at most (the count is always complete).
inline constexpr std::size_t SUMMARY_MAX_FAULTS = 1000;

}  // namespace mk::cli
