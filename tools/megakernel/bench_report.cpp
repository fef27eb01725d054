// Bench table and JSON: median and p99 ns per item, items/s, ratio to each case's baseline.
#include "bench_report.h"

#include <iomanip>

#include "build_info.h"

namespace mk::cli {

void print_bench_table(std::ostream& out, const BenchRun& run) {
  out << "bench: " << run.items_per_sample << " items per sample over a " << run.window_words << "-word window, "
      << run.samples << " samples after " << run.warmup_samples << " warm-up, backend " << run.backend << " ("
      << run.device << ", driver " << run.driver << "), commit " << git_commit() << "\n\n";
  out << std::left << std::setw(18) << "case" << std::right << std::setw(9) << "samples" << std::setw(14)
      << "median ns/it" << std::setw(12) << "p99 ns/it" << std::setw(14) << "items/s"
      << "  vs baseline\n";
  for (const auto& result : run.results) {
    out << std::left << std::setw(18) << result.bench_case->name << std::right;
    if (result.skipped) {
      out << "  skipped: " << result.skip_reason << '\n';
      continue;
    }
    out << std::setw(9) << result.ns_per_item.size() << std::fixed << std::setprecision(2) << std::setw(14)
        << result.summary.median << std::setw(12) << result.summary.p99 << std::setprecision(0) << std::setw(14)
        << result.summary.items_per_second;
    if (result.ratio) {
      out << "  " << std::setprecision(2) << *result.ratio << "x " << result.bench_case->baseline;
    } else {
      out << "  (baseline)";
    }
    out << '\n' << std::defaultfloat;
  }
}

nlohmann::json bench_json(const BenchRun& run) {
  using Json = nlohmann::json;
  Json cases = Json::array();
  for (const auto& result : run.results) {
    Json entry = {{"name", std::string(result.bench_case->name)},
                  {"baseline", std::string(result.bench_case->baseline)},
                  {"description", std::string(result.bench_case->description)},
                  {"skipped", result.skipped}};
    if (result.skipped) {
      entry["skip_reason"] = result.skip_reason;
    } else {
      entry["samples"] = result.ns_per_item.size();
      entry["median_ns_per_item"] = result.summary.median;
      entry["p99_ns_per_item"] = result.summary.p99;
      entry["items_per_second"] = result.summary.items_per_second;
      entry["ratio_vs_baseline"] = result.ratio ? Json(*result.ratio) : Json(nullptr);
      entry["sample_ns_per_item"] = result.ns_per_item;
    }
    cases.push_back(std::move(entry));
  }
  return {{"schema", "megakernel-bench/1"},
          {"version", version()},
          {"git_commit", git_commit()},
          {"backend", run.backend},
          {"device", run.device},
          {"driver", run.driver},
          {"quick", run.quick},
          {"items_per_sample", run.items_per_sample},
          {"window_words", run.window_words},
          {"warmup_samples", run.warmup_samples},
          {"samples", run.samples},
          {"cases", std::move(cases)}};
}

}  // namespace mk::cli
