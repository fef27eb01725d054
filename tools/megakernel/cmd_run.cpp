// `megakernel run JOB.json`: read and validate the job within its limits, run it within
// its bounds, print JSON or a table.
#include <cmath>
#include <exception>
#include <new>

#include "backend_choice.h"
#include "commands.h"
#include "job_limits.h"
#include "job_reader.h"
#include "job_runner.h"
#include "job_bulk.h"
#include "job_sources.h"
#include "progress_ticker.h"
#include "run_report.h"

namespace mk::cli {
namespace {

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

// The one line for a run a whole-job bound ended: which bound, and how much ran.
Error stopped_error(const RunArgs& args, const Job& job, const RunOutcome& outcome) {
  std::uint64_t wall = 0;
  for (const auto ns : outcome.wall_ns) wall += ns;
  const bool deadline = outcome.stop == DispatchStop::Deadline;
  std::string message = deadline ? "the job ran past --timeout " + seconds_text(args.timeout_s) + " s"
                                 : "the job used up --max-sweeps " + std::to_string(args.max_sweeps);
  message += " and was stopped after " + seconds_text(static_cast<double>(wall) / 1e9) +
             " s: " + std::to_string(outcome.readback.done_count) + " of " + std::to_string(job.items.size()) +
             " items finished (DONE or FAULT), " + std::to_string(outcome.sweeps_total) + " sweeps in " +
             std::to_string(outcome.stats.rounds) + " rounds, run " + std::to_string(outcome.wall_ns.size()) + " of " +
             std::to_string(args.repeat);
  return Error(ErrorKind::Backend, message,
               deadline ? "raise --timeout if the job is meant to run this long, or give it less work"
                        : "raise --max-sweeps if the job is meant to run this long, or give it less work");
}

}  // namespace

int cmd_run(const RunArgs& args, std::ostream& out, std::ostream& err) {
  if (!valid_backend_name(args.backend)) {
    print_usage_error(err, "unknown backend \"" + args.backend + "\"", unknown_backend_fix());
    return EXIT_USAGE;
  }
  if (args.repeat == 0) {
    print_usage_error(err, "--repeat 0 runs nothing", "pass --repeat N with N >= 1");
    return EXIT_USAGE;
  }
  const auto max_job_bytes = args.max_job_bytes.empty() ? DEFAULT_MAX_JOB_BYTES : parse_byte_size(args.max_job_bytes);
  if (!max_job_bytes) {
    print_usage_error(err, "--max-job-bytes \"" + args.max_job_bytes + "\" is not a size", "pass e.g. 4096, 64M or 1G");
    return EXIT_USAGE;
  }
  const auto max_memory = args.max_memory.empty() ? default_max_memory() : parse_byte_size(args.max_memory);
  if (!max_memory) {
    print_usage_error(err, "--max-memory \"" + args.max_memory + "\" is not a size", "pass e.g. 512M or 4G");
    return EXIT_USAGE;
  }
  if (!(args.timeout_s >= 0) || !std::isfinite(args.timeout_s) || args.timeout_s > 1e9) {
    print_usage_error(err, "--timeout must be a positive number of seconds", "pass e.g. --timeout 30");
    return EXIT_USAGE;
  }
  if (!args.io_root.empty() && args.allow_any_path) {
    print_usage_error(err, "--io-root and --allow-any-path contradict each other",
                      "pass --io-root DIR to confine sources to DIR, or --allow-any-path for a trusted job");
    return EXIT_USAGE;
  }
  try {
    // Progress lines on stderr once the run has taken a second; stopped before the report.
    ProgressTicker ticker(err, "megakernel run");
    ticker.phase("reading " + args.job);
    auto job = read_job_file(args.job, *max_job_bytes);
    if (!job) {
      ticker.stop();  // no progress line interleaves with it
      print_job_error(err, job.error());
      return EXIT_USAGE;
    }
    IoPolicy policy;
    if (!args.io_root.empty()) policy.io_root = args.io_root;
    policy.allow_any_path = args.allow_any_path;
    auto sources = admit_job(*job, *max_memory, args.json, policy);
    if (!sources) {
      ticker.stop();  // no progress line interleaves with it
      print_job_error(err, sources.error());
      return EXIT_USAGE;
    }
    auto backend = open_backend(args.backend, args.isolate);
    if (!backend) {
      ticker.stop();  // no progress line interleaves with it
      print_runtime_error(err, backend.error());
      return EXIT_RUNTIME;
    }
    RunBounds bounds;
    if (args.timeout_s > 0) {
      bounds.timeout =
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(args.timeout_s));
    }
    bounds.max_sweeps = args.max_sweeps;
    std::string why;
    // Decided once here (one pass over the items), then handed to run_job.
    const bool batch = args.path != "ring" && job_runs_as_batch(*job, bounds, why);
    const RunPath path = batch ? RunPath::Batch : RunPath::Ring;
    ticker.phase("running " + std::to_string(job->items.size()) + " items on " + std::string((*backend)->name()) +
                 (batch ? " as a compact batch" : " through the ring"));
    auto outcome = run_job(*job, *backend, *sources, args.repeat, bounds, path);
    if (outcome && outcome->stop == DispatchStop::Idle) ticker.finish();
    ticker.stop();
    if (!outcome) {
      ticker.stop();  // no progress line interleaves with it
      print_runtime_error(err, outcome.error());
      return EXIT_RUNTIME;
    }
    if (outcome->stop != DispatchStop::Idle) {
      ticker.stop();  // no progress line interleaves with it
      print_runtime_error(err, stopped_error(args, *job, *outcome));
      return EXIT_RUNTIME;
    }
    if (args.json) {
      write_run_report_json(out, *job, *outcome, args.summary);
      out << '\n';
    } else {
      print_run_table(out, *job, *outcome, args.summary);
    }
    return EXIT_OK;
  } catch (const Error& e) {
    print_runtime_error(err, e);
  } catch (const std::bad_alloc&) {
    // The memory check above bounds what a job asks for; this is the machine running out anyway.
    print_runtime_error(err, Error(ErrorKind::Backend, "out of memory while running the job",
                                   "lower --max-memory below what the machine has free, or give the job smaller "
                                   "buffers (observables, slot_count, debug_log_records, io_queue_capacity)"));
  } catch (const std::exception& e) {
    print_runtime_error(err, Error(ErrorKind::Backend, std::string("run failed: ") + e.what(),
                                   "report this with the job file attached"));
  }
  return EXIT_RUNTIME;
}

}  // namespace mk::cli
