// Sample statistics shared by the benchmarks: median, p99, and JSON-ready summaries.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace mk::bench {

struct Summary {
  double median = 0;
  double p99 = 0;
  double min = 0;
  double max = 0;
  std::size_t samples = 0;
};

inline Summary summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.samples = v.size();
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  const std::size_t i99 =
      std::min(v.size() - 1, static_cast<std::size_t>(0.99 * static_cast<double>(v.size() - 1) + 0.5));
  s.p99 = v[i99];
  return s;
}

}  // namespace mk::bench
