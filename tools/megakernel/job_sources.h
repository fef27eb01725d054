// Opening a job's io_sources under the CLI's I/O policy (root-confined unless trusted).
#pragma once

#include <filesystem>
#include <optional>

#include "job.h"
#include "job_error.h"
#include "mk/io.h"

namespace mk::cli {

struct IoPolicy {
  std::optional<std::filesystem::path> io_root;  // --io-root; default: the job file's directory
  bool allow_any_path = false;                   // --allow-any-path: a trusted job, no confinement
};

// The directory a job's file sources resolve against under `policy`.
std::filesystem::path io_root_of(const Job& job, const IoPolicy& policy);

// Register every io_sources entry; files are opened now, once, beneath the I/O root
// (IoSources::confined) unless policy.allow_any_path. An error names the entry
// (io_sources[i].file) and the fix.
JobResult<IoSources> open_job_io_sources(const Job& job, const IoPolicy& policy);

// What `run` and `trace` check once a job is read: its buffers against `max_memory`
// (check_job_memory; the error names the job file), then its sources opened under
// `policy`. The first failure is returned.
JobResult<IoSources> admit_job(const Job& job, std::uint64_t max_memory, bool json_report, const IoPolicy& policy);

}  // namespace mk::cli
