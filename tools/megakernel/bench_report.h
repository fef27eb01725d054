// Bench output: the table on stdout and the JSON file (device, driver, commit, every sample).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench.h"

namespace mk::cli {

struct BenchRun {
  std::string backend;
  std::string device;
  std::string driver;  // "cpu" on the CPU backend
  bool quick = false;
  std::uint32_t items_per_sample = 0;
  std::uint32_t window_words = 0;
  std::uint32_t warmup_samples = 0;
  std::uint32_t samples = 0;
  std::vector<BenchResult> results;
};

void print_bench_table(std::ostream& out, const BenchRun& run);
nlohmann::json bench_json(const BenchRun& run);

}  // namespace mk::cli
