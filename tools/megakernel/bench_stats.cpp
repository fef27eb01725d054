// Bench statistics: the shared median and p99 (bench/common) plus items per second.
#include "bench.h"
#include "common/stats.h"

namespace mk::cli {

BenchSummary summarize(std::vector<double> ns_per_item) {
  const bench::Summary s = bench::summarize(std::move(ns_per_item));
  BenchSummary summary;
  summary.median = s.median;
  summary.p99 = s.p99;
  summary.items_per_second = s.median > 0 ? 1e9 / s.median : 0;
  return summary;
}

}  // namespace mk::cli
