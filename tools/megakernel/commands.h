// The megakernel subcommands as plain functions (main.cpp wires CLI11 to them; tests call them).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "job_error.h"
#include "mk/error.h"

namespace mk::cli {

// Exit codes: the job ran (faulted items are results); a runtime or backend failure;
// an invalid job file or command line.
inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_RUNTIME = 1;
inline constexpr int EXIT_USAGE = 2;

struct InfoArgs {
  bool json = false;
};
int cmd_info(const InfoArgs& args, std::ostream& out, std::ostream& err);

struct RunArgs {
  std::string job;  // a path, or "-" for stdin
  std::string backend = "auto";
  bool isolate = false;  // --isolate: the backend runs in a supervised worker process
  bool json = false;
  bool summary = false;       // --summary: totals, metrics and faults only
  std::string path = "auto";  // --path auto|ring
  std::uint32_t repeat = 1;
  std::string io_root;           // --io-root ("" = the job file's directory)
  bool allow_any_path = false;   // --allow-any-path (trusted jobs)
  std::string max_job_bytes;     // --max-job-bytes ("" = 256 MiB)
  std::string max_memory;        // --max-memory ("" = a quarter of physical memory)
  double timeout_s = 0;          // --timeout seconds (0 = none)
  std::uint64_t max_sweeps = 0;  // --max-sweeps (0 = none)
};
int cmd_run(const RunArgs& args, std::ostream& out, std::ostream& err);

struct TraceArgs {
  std::string job;
  std::string output;
  std::string backend = "auto";
  std::string io_root;          // as for run
  bool allow_any_path = false;  // as for run
};
int cmd_trace(const TraceArgs& args, std::ostream& out, std::ostream& err);

struct BenchArgs {
  std::string backend = "cpu";
  std::string json_file;  // "" = no JSON file
  std::string plot_file;  // "" = no plot
  bool quick = false;
};
int cmd_bench(const BenchArgs& args, std::ostream& out, std::ostream& err);

// One-line diagnostics on stderr.
void print_job_error(std::ostream& err, const JobError& error);  // exit 2 cases
void print_usage_error(std::ostream& err, const std::string& message, const std::string& fix);
void print_runtime_error(std::ostream& err, const Error& error);  // exit 1 cases

}  // namespace mk::cli
