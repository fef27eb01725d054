// `megakernel trace JOB.json -o trace.json`: run once with per-slot tracing, write a Chrome/Perfetto trace.
#include <exception>
#include <algorithm>
#include <fstream>
#include <new>

#include "backend_choice.h"
#include "commands.h"
#include "job_limits.h"
#include "job_reader.h"
#include "job_sources.h"
#include "job_runner.h"
#include "trace_json.h"

namespace mk::cli {
namespace {

// Rounds of dispatch_in_place + I/O service, like dispatch_until_idle, keeping every event.
constexpr std::uint32_t MAX_ROUNDS = 1u << 16;

struct TraceRun {
  std::vector<RoundTraceEvent> events;
  std::uint32_t rounds = 0;
  Readback readback;
};

Result<TraceRun> trace_job(const Job& job, std::shared_ptr<Backend> backend, const IoSources& sources) {
  auto kernel = bootstrap_job(job, std::move(backend));
  if (!kernel) return cuda::std::unexpected<Error>(std::move(kernel.error()));
  auto buffers = build_job_buffers(job);
  if (!buffers) return cuda::std::unexpected<Error>(std::move(buffers.error()));

  TraceRun run;
  // Each dispatch's timestamps start near 0: later rounds are shifted to begin after
  // the previous round's last event (1 us apart), so rounds never overlap in the trace.
  std::uint64_t round_start = 0;
  while (run.rounds < MAX_ROUNDS) {
    std::vector<TraceEvent> round_events;
    auto stats = kernel->dispatch_in_place(*buffers, &round_events);
    if (!stats) return cuda::std::unexpected<Error>(std::move(stats.error()));
    std::uint64_t round_end = round_start;
    for (auto e : round_events) {
      e.claim_ns += round_start;
      e.finish_ns += round_start;
      round_end = std::max(round_end, e.finish_ns);
      run.events.push_back({e, run.rounds});
    }
    round_start = round_end + 1000;
    ++run.rounds;
    if (buffers->io_queue.empty()) break;
    // Parked LOAD_MISS slots finish in the next round once their requests are served.
    auto served = complete_io_requests(buffers->control, buffers->io_queue, sources);
    if (!served) return cuda::std::unexpected<Error>(std::move(served.error()));
    if (*served == 0) break;
  }
  MK_TRY(try_decode_readback(*buffers, run.readback));
  return run;
}

}  // namespace

int cmd_trace(const TraceArgs& args, std::ostream& out, std::ostream& err) {
  if (!valid_backend_name(args.backend)) {
    print_usage_error(err, "unknown backend \"" + args.backend + "\"", unknown_backend_fix());
    return EXIT_USAGE;
  }
  if (args.output.empty()) {
    print_usage_error(err, "no output file", "pass -o trace.json");
    return EXIT_USAGE;
  }
  try {
    auto job = read_job_file(args.job);
    if (!job) {
      print_job_error(err, job.error());
      return EXIT_USAGE;
    }
    // The same limits and I/O confinement as `run` (default limits).
    IoPolicy policy;
    if (!args.io_root.empty()) policy.io_root = args.io_root;
    policy.allow_any_path = args.allow_any_path;
    auto sources = admit_job(*job, default_max_memory(), false, policy);
    if (!sources) {
      print_job_error(err, sources.error());
      return EXIT_USAGE;
    }
    auto backend = open_backend(args.backend);
    if (!backend) {
      print_runtime_error(err, backend.error());
      return EXIT_RUNTIME;
    }
    if (!(*backend)->supports(Feature::Trace)) {
      print_runtime_error(err, unsupported(**backend, Feature::Trace));
      return EXIT_RUNTIME;
    }
    const std::string backend_name((*backend)->name());
    auto run = trace_job(*job, *backend, *sources);
    if (!run) {
      print_runtime_error(err, run.error());
      return EXIT_RUNTIME;
    }
    std::ofstream file(args.output, std::ios::binary | std::ios::trunc);
    file << trace_json(*job, backend_name, run->events).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
         << '\n';
    file.close();
    if (!file) {
      print_runtime_error(err, Error(ErrorKind::InvalidArgument, "cannot write the trace to \"" + args.output + "\"",
                                     "check that the directory exists and is writable"));
      return EXIT_RUNTIME;
    }
    out << "trace: " << run->events.size() << " events from " << job->items.size() << " item(s) in " << run->rounds
        << " round(s) on " << backend_name << ", done " << run->readback.done_count << ", faults "
        << run->readback.fault_count << " -> " << args.output
        << " (open in https://ui.perfetto.dev or chrome://tracing)\n";
    return EXIT_OK;
  } catch (const Error& e) {
    print_runtime_error(err, e);
  } catch (const std::bad_alloc&) {
    print_runtime_error(err, Error(ErrorKind::Backend, "out of memory while tracing the job",
                                   "give the job smaller buffers (observables, slot_count, debug_log_records)"));
  } catch (const std::exception& e) {
    print_runtime_error(err, Error(ErrorKind::Backend, std::string("trace failed: ") + e.what(),
                                   "report this with the job file attached"));
  }
  return EXIT_RUNTIME;
}

}  // namespace mk::cli
