// The bulk path for large jobs: a job whose items a compact batch runs with the slot
// path's semantics is dispatched with Megakernel::dispatch_batch (docs/bulk.md).
#pragma once

#include <cstddef>
#include <string>

#include "job.h"
#include "job_runner.h"

namespace mk::cli {

// Jobs with fewer items gain nothing from the bulk path (their ring is small anyway).
inline constexpr std::size_t BULK_MIN_ITEMS = 4096;

// Can `job` run as one compact batch with the same results? At least BULK_MIN_ITEMS
// items, no fences, LOAD_MISS or SHUTDOWN (a batch refuses them), no PRINTF when the job
// has a debug log (a batch has none), every opcode in the job's table and every tenant
// declared (the slot path faults those, a batch refuses them), and no whole-job bound
// on a job with custom opcodes (a batch cannot be stopped between sweeps). `why` says
// which rule kept a job on the slot path.
bool job_runs_as_batch(const Job& job, const RunBounds& bounds, std::string& why);

// run_job's bulk twin: the same RunOutcome (readback.slots holds one slot per item,
// rebuilt from the records and the compact results).
Result<RunOutcome> run_job_as_batch(const Job& job, std::shared_ptr<Backend> backend, std::uint32_t repeat,
                                    const RunBounds& bounds);

}  // namespace mk::cli
