// Job runner: backend + Megakernel + buffers for a validated Job; dispatch and readback.
#pragma once

#include <chrono>
#include <map>
#include <cstdint>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "job.h"
#include "mk/abi.h"
#include "mk/backend.h"
#include "mk/bulk.h"
#include "mk/error.h"
#include "mk/dispatch_limits.h"
#include "mk/io.h"
#include "mk/megakernel.h"

namespace mk::cli {

// The ABI buffers of one run, fresh: control (tenants, init words), ring (items in
// slots 0..n-1), debug log and I/O queue (empty when the job sets 0).
Result<OutputBuffers> build_job_buffers(const Job& job);
// The control buffer alone (tenants, init words); ring, log and queue left empty.
Result<OutputBuffers> build_job_control(const Job& job);
// Megakernel::bootstrap_sharded with the job's geometry and custom opcodes.
Result<Megakernel> bootstrap_job(const Job& job, std::shared_ptr<Backend> backend);

struct RunOutcome {
  std::string backend;                     // Backend::name()
  Readback readback;                       // of the last run (no slots on the bulk path: see batch)
  DispatchStats stats;                     // of the last run
  std::vector<std::uint64_t> wall_ns;      // host wall time of dispatch_until_idle, one per run
  DispatchStop stop = DispatchStop::Idle;  // Deadline / SweepBudget: a whole-job bound ended it
  std::uint64_t sweeps_total = 0;          // sweeps of every run together
  bool bulk = false;                       // ran as a compact batch (job_bulk.h)
  // The bulk path's results: one RESULT word and a fault bit per item, not a 64-byte
  // slot each, so a million items' outcome is 4 MB.
  BatchOutput batch;
  // Why each item that faulted IO_ERROR did (item index -> io_request_problem\'s words).
  std::map<std::uint32_t, std::string> io_errors;

  // Items with an outcome, and item i's STATUS (DONE, FAULT, ...) and RESULT, from
  // whichever path ran.
  std::size_t item_count() const noexcept { return bulk ? batch.size() : readback.slots.size(); }
  std::uint32_t item_status(std::size_t i) const noexcept {
    if (!bulk) return readback.slots[i].status;
    return batch.faulted(static_cast<std::uint32_t>(i)) ? abi::STATUS_FAULT : abi::STATUS_DONE;
  }
  std::uint32_t item_result(std::size_t i) const noexcept {
    return bulk ? batch.result(static_cast<std::uint32_t>(i)) : readback.slots[i].result;
  }
};

// Whole-job bounds of `megakernel run`: over all repeats together.
struct RunBounds {
  std::optional<std::chrono::nanoseconds> timeout;  // --timeout
  std::uint64_t max_sweeps = 0;                     // --max-sweeps (0: none)
};

// How a job's items reach the kernel (--path): Auto takes the compact-batch bulk path
// where it gives the same results (job_bulk.h), Ring always publishes into the ring,
// Batch is the bulk path for a caller that already checked job_runs_as_batch.
enum class RunPath { Auto, Ring, Batch };

// Run the job `repeat` times (fresh buffers each time) through dispatch_until_idle with
// the job's sources (open_job_io_sources), or as a compact batch where that gives the
// same results (job_bulk.h). A tripped bound ends the run: `stop` says
// which, and readback holds the state at the stop.
Result<RunOutcome> run_job(const Job& job, std::shared_ptr<Backend> backend, const IoSources& sources,
                           std::uint32_t repeat = 1, const RunBounds& bounds = {}, RunPath path = RunPath::Auto);
// The same with the sources opened under the default policy (confined to Job::dir).
Result<RunOutcome> run_job(const Job& job, std::shared_ptr<Backend> backend, std::uint32_t repeat = 1);

// Fill outcome.io_errors for the items of `job` that faulted IO_ERROR.
void explain_io_errors(const Job& job, const IoSources& sources, RunOutcome& outcome);

// Median of a sample set (the lower middle for an even count); 0 when empty.
std::uint64_t median_ns(std::vector<std::uint64_t> samples);

}  // namespace mk::cli
