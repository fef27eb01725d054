// Bench statistics: median, p99 (nearest rank) and items per second from per-item sample times.
#include <algorithm>
#include <cmath>

#include "bench.h"

namespace mk::cli {

BenchSummary summarize(std::vector<double> ns_per_item) {
  BenchSummary summary;
  if (ns_per_item.empty()) return summary;
  std::sort(ns_per_item.begin(), ns_per_item.end());
  const std::size_t n = ns_per_item.size();
  summary.median = n % 2 == 1 ? ns_per_item[n / 2] : (ns_per_item[n / 2 - 1] + ns_per_item[n / 2]) / 2.0;
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(n)));
  summary.p99 = ns_per_item[std::clamp<std::size_t>(rank, 1, n) - 1];
  summary.items_per_second = summary.median > 0 ? 1e9 / summary.median : 0;
  return summary;
}

}  // namespace mk::cli
