// Results of mk_bench_live and their two renderings: a table on stdout and a JSON document.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mk::bench::live {

enum class CaseKind {
  Latency,  // each sample is one item's round trip, in ns
  Rate,     // each sample is the wall ns of items_per_sample items; items/s are derived
};

// One measured path, or one that was skipped (and why).
struct Case {
  std::string key;    // JSON key
  std::string label;  // table row
  std::string what;
  CaseKind kind = CaseKind::Latency;
  std::uint64_t items_per_sample = 1;
  std::vector<double> samples_ns;
  std::string skipped;  // non-empty: not run, with the reason
  nlohmann::json extra = nlohmann::json::object();
};

// numerator / denominator of two cases of the same group, at the median and at p99.
// Latency: ns over ns (lower is better). Rate: items/s over items/s, where a rate's
// p99 is the slow tail (items / the 99th-percentile rep time).
struct Ratio {
  std::string key;
  std::string label;
  std::string numerator;
  std::string denominator;
  std::optional<double> target;  // on the median ratio
  bool at_most = true;           // target is an upper bound; else a lower bound
};

// A bound on one case's median: ns for latency, items/s for a rate.
struct AbsoluteTarget {
  std::string key;
  std::string label;
  std::string case_key;
  double target = 0;
  bool at_most = false;
};

struct Group {
  std::string key;
  std::string title;
  std::vector<Case> cases;
  std::vector<Ratio> ratios;
  std::vector<AbsoluteTarget> absolutes;
  nlohmann::json extra = nlohmann::json::object();
};

struct RunInfo {
  std::string backend;  // "cpu" or "cuda"
  std::string device;
  std::string arch;
  std::string driver;
  std::string cuda_runtime;  // empty when not on the GPU
  std::string commit;
  bool dirty = false;  // the tree it was built from had uncommitted changes
  bool quick = false;
  // Targets are set for the CUDA backend; on the CPU they are reported, never judged.
  bool targets_apply = false;
  std::string targets_note;
  nlohmann::json options = nlohmann::json::object();
  nlohmann::json sessions = nlohmann::json::object();
  std::uint32_t lanes = 0;       // of the throughput session
  std::uint32_t slot_count = 0;  // of the throughput session
  std::uint32_t batch = 0;
};

void print_report(const RunInfo& info, const std::vector<Group>& groups);
nlohmann::json report_json(const RunInfo& info, const std::vector<Group>& groups);

}  // namespace mk::bench::live
