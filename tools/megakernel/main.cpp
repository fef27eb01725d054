// megakernel CLI entry point: CLI11 subcommands info | run | trace | bench, exit codes 0/1/2.
#include <iostream>

#include <CLI/CLI.hpp>

#include "backend_choice.h"
#include "build_info.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace mk::cli;
  CLI::App app{"megakernel: a persistent GPU bytecode interpreter (CPU reference backend included)", "megakernel"};
  app.set_version_flag("--version", "megakernel " + version() + " (commit " + git_commit() + ")");
  app.require_subcommand(1);
  // --backend choices come from the backend registry (mk::backend_names()).
  const std::string backends = backend_choices_text();

  InfoArgs info;
  auto* info_cmd = app.add_subcommand("info", "Show version, backends and devices, limits and the JIT cache");
  info_cmd->add_flag("--json", info.json, "Print one JSON object");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Run a job file and print per-item results, counters and observables");
  run_cmd->add_option("job", run.job, "Job file (JSON; see examples/jobs/hello.json), or - for stdin")->required();
  run_cmd->add_option("--backend", run.backend, backends)->check(CLI::IsMember(backend_choices()));
  run_cmd->add_flag("--isolate", run.isolate,
                    "Run the backend in a supervised worker process (mk-worker): a device fault or crash costs a "
                    "worker, not this process");
  run_cmd->add_flag("--json", run.json, "Print one JSON object instead of a table");
  run_cmd->add_flag("--summary", run.summary, "Totals, metrics, tenants and faulted items only (no per-item list)");
  run_cmd
      ->add_option(
          "--path", run.path,
          "auto: large jobs the bulk path can run go as one compact batch (docs/bulk.md); ring: always the ring")
      ->check(CLI::IsMember({"auto", "ring"}));
  run_cmd->add_option("--repeat", run.repeat, "Run N times with fresh buffers; report the last and the median time")
      ->check(CLI::PositiveNumber);
  run_cmd->add_option("--io-root", run.io_root,
                      "Directory the job's io_sources files resolve in (default: the job file's)");
  run_cmd->add_flag("--allow-any-path", run.allow_any_path,
                    "Trusted job: io_sources may name any file the user can read");
  run_cmd->add_option("--max-job-bytes", run.max_job_bytes, "Largest job file accepted, e.g. 64M (default 256M)");
  run_cmd->add_option("--max-memory", run.max_memory, "Memory a job may ask for, e.g. 2G (default: 1/4 of physical)");
  run_cmd->add_option("--timeout", run.timeout_s, "Stop the job after SECONDS of wall time (exit 1)")
      ->check(CLI::PositiveNumber);
  run_cmd->add_option("--max-sweeps", run.max_sweeps, "Stop the job after N interpreter sweeps over the ring (exit 1)")
      ->check(CLI::PositiveNumber);

  TraceArgs trace;
  auto* trace_cmd =
      app.add_subcommand("trace", "Run a job once and write a Chrome/Perfetto trace (one track per lane)");
  trace_cmd->add_option("job", trace.job, "Job file (JSON)")->required();
  trace_cmd->add_option("-o,--output", trace.output, "Trace file to write (trace.json)")->required();
  trace_cmd->add_option("--backend", trace.backend, backends)->check(CLI::IsMember(backend_choices()));
  trace_cmd->add_option("--io-root", trace.io_root,
                        "Directory the job's io_sources files resolve in (default: the job file's)");
  trace_cmd->add_flag("--allow-any-path", trace.allow_any_path,
                      "Trusted job: io_sources may name any file the user can read");

  BenchArgs bench;
  auto* bench_cmd = app.add_subcommand("bench", "Time the interpreter against a plain loop (ratios, median, p99)");
  bench_cmd->add_option("--backend", bench.backend, backends + " (default cpu)")
      ->check(CLI::IsMember(backend_choices()));
  bench_cmd->add_option("--json", bench.json_file, "Write device, driver, commit and every sample to FILE");
  bench_cmd->add_option("--plot", bench.plot_file, "Draw FILE.png with scripts/plot_bench.py (needs matplotlib)");
  bench_cmd->add_flag("--quick", bench.quick, "Fewer items per sample (still >= 30 samples)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string where = "megakernel";
    for (const auto* sub : app.get_subcommands()) where += " " + sub->get_name();
    // A first word that names no subcommand is an unknown subcommand, not a missing one.
    if (app.get_subcommands().empty() && argc > 1 && argv[1][0] != '-') {
      print_usage_error(std::cerr, std::string("unknown subcommand \"") + argv[1] + "\"",
                        "use one of info, run, trace, bench (see `megakernel --help`)");
      return EXIT_USAGE;
    }
    print_usage_error(std::cerr, e.what(), "see `" + where + " --help`");
    return EXIT_USAGE;
  }

  if (*info_cmd) return cmd_info(info, std::cout, std::cerr);
  if (*run_cmd) return cmd_run(run, std::cout, std::cerr);
  if (*trace_cmd) return cmd_trace(trace, std::cout, std::cerr);
  if (*bench_cmd) return cmd_bench(bench, std::cout, std::cerr);
  return EXIT_USAGE;
}
