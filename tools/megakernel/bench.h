// `megakernel bench` framework: a workload, a table of named cases (each with a baseline), statistics.
//
// Adding a path (per-item launches, CUDA graph, one-shot, resident many-launch, live
// session) means writing one BenchPath and adding one row to bench_cases().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mk/backend.h"
#include "mk/error.h"
#include "mk/protocol.h"

namespace mk::cli {

// N pre-published items: a STORE_U32 / ATOMIC_ADD / LOAD_U32 mix over a window whose
// final state does not depend on execution order (stores hit the lower half with a
// value fixed per address, adds the upper half), so parallel lanes and a sequential
// loop must agree word for word.
struct BenchWorkload {
  std::uint32_t window_words = 1024;
  std::vector<WorkItem> items;
};
BenchWorkload make_bench_workload(std::uint32_t item_count, std::uint32_t window_words);

// One measured path. run_sample resets its state untimed, runs the whole workload and
// returns the wall time of the timed part.
class BenchPath {
 public:
  virtual ~BenchPath() = default;
  virtual Result<std::uint64_t> run_sample() = 0;
  // The window's words after the last run_sample (the correctness check compares them).
  virtual std::vector<std::uint32_t> observables() const = 0;
};

struct BenchEnv {
  std::shared_ptr<Backend> backend;
  const BenchWorkload* workload = nullptr;
};

struct BenchCase {
  std::string_view name;
  std::string_view baseline;  // the case this one is divided by; "" for a baseline itself
  std::string_view description;
  // Unsupported when this backend/build cannot run the path: the case is skipped, said so.
  Result<std::unique_ptr<BenchPath>> (*make)(const BenchEnv& env);
};

// Every registered case, baselines first.
std::span<const BenchCase> bench_cases();

// Per-path factories (one file each).
Result<std::unique_ptr<BenchPath>> make_interp_in_place_path(const BenchEnv& env);
Result<std::unique_ptr<BenchPath>> make_plain_loop_path(const BenchEnv& env);
Result<std::unique_ptr<BenchPath>> make_per_item_launch_path(const BenchEnv& env);
Result<std::unique_ptr<BenchPath>> make_cuda_graph_path(const BenchEnv& env);
Result<std::unique_ptr<BenchPath>> make_resident_many_path(const BenchEnv& env);

struct BenchSummary {
  double median = 0;  // ns per item
  double p99 = 0;     // ns per item (nearest rank, bench/common/stats.h)
  double items_per_second = 0;
};
BenchSummary summarize(std::vector<double> ns_per_item);

struct BenchResult {
  const BenchCase* bench_case = nullptr;
  bool skipped = false;
  std::string skip_reason;
  std::vector<double> ns_per_item;  // one per sample
  BenchSummary summary;
  std::optional<double> ratio;  // median / baseline median
};

}  // namespace mk::cli
