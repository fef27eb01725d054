// `megakernel info`, `trace` and `bench`: they run, name the CPU backend, and write well-formed JSON.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "bench.h"
#include "cli_test_util.h"
#include "common/stats.h"
#include "mk/backend.h"

namespace mk::cli::test {
namespace {

using Json = nlohmann::json;

TEST(cli_info, NamesTheCpuBackend) {
  const auto result = run_megakernel({"info"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("cpu"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ABI version 1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("JIT cache"), std::string::npos) << result.out;
  if (!cuda_available()) {
    EXPECT_NE(result.out.find("no GPU"), std::string::npos) << result.out;
  }
}

TEST(cli_info, JsonListsBackendsAndLimits) {
  const auto result = run_megakernel({"info", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json out = Json::parse(result.out);
  EXPECT_EQ(out["abi_version"], 1);
  EXPECT_EQ(out["limits"]["max_tenants"], 64);
  EXPECT_EQ(out["limits"]["max_custom_opcodes"], 52);
  bool cpu = false;
  for (const auto& backend : out["backends"]) {
    if (backend["name"] == "cpu") {
      cpu = true;
      EXPECT_TRUE(backend["available"].get<bool>());
      EXPECT_FALSE(backend["devices"].empty());
    }
  }
  EXPECT_TRUE(cpu);
  EXPECT_EQ(out["default_backend"], cuda_available() ? "cuda" : "cpu");
}

// What this catches: `info` keeping its own backend list instead of the registry's.
TEST(cli_info, ListsEveryRegisteredBackendInOrder) {
  const auto result = run_megakernel({"info", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json out = Json::parse(result.out);
  std::vector<std::string> listed;
  for (const auto& backend : out["backends"]) {
    listed.push_back(backend["name"].get<std::string>());
    EXPECT_FALSE(backend["description"].get<std::string>().empty()) << backend.dump();
    if (!backend["available"].get<bool>()) {
      EXPECT_FALSE(backend["reason"].get<std::string>().empty()) << backend.dump();
    }
  }
  EXPECT_EQ(listed, backend_names());
  EXPECT_EQ(out["default_backend"], auto_backend_name());
}

TEST(cli_info, JitCacheFollowsXdg) {
  ASSERT_EQ(setenv("XDG_CACHE_HOME", "/tmp/mk-xdg-test", 1), 0);
  const auto result = run_megakernel({"info", "--json"});
  unsetenv("XDG_CACHE_HOME");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Json::parse(result.out)["jit_cache"], "/tmp/mk-xdg-test/megakernel");
}

TEST(cli_trace, WritesChromeTraceEvents) {
  const auto trace_path = temp_dir() / "trace.json";
  const auto result =
      run_megakernel({"trace", example_job("hello.json").string(), "-o", trace_path.string(), "--backend", "cpu"});
  if (!make_cpu_backend()->supports(Feature::Trace)) {
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("Unsupported"), std::string::npos) << result.err;
    return;
  }
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json trace = Json::parse(read_text(trace_path));
  ASSERT_TRUE(trace["traceEvents"].is_array());
  std::set<std::uint32_t> slots_seen;
  std::set<std::uint32_t> lanes_named;
  std::size_t complete = 0;
  for (const auto& event : trace["traceEvents"]) {
    if (event["ph"] == "M" && event["name"] == "thread_name") lanes_named.insert(event["tid"].get<std::uint32_t>());
    if (event["ph"] != "X") continue;
    ++complete;
    EXPECT_TRUE(event["ts"].is_number());
    EXPECT_TRUE(event["dur"].is_number());
    EXPECT_GE(event["dur"].get<double>(), 0.0);
    EXPECT_TRUE(event["tid"].is_number_unsigned());
    EXPECT_TRUE(lanes_named.count(event["tid"].get<std::uint32_t>())) << "every lane gets a named track";
    EXPECT_TRUE(event["args"]["slot"].is_number());
    EXPECT_TRUE(event["args"]["status"].is_string());
    EXPECT_TRUE(event["name"].is_string());
    slots_seen.insert(event["args"]["slot"].get<std::uint32_t>());
    if (event["args"]["slot"] == 4) {
      EXPECT_EQ(event["name"], "BATCH_FENCE");
    }
    if (event["args"]["slot"] == 0) {
      EXPECT_EQ(event["name"], "STORE_U32");
    }
  }
  EXPECT_GE(complete, 7u);
  EXPECT_EQ(slots_seen.size(), 7u) << "each of hello.json's items ran at least once";
}

TEST(cli_trace, IoJobTracesEveryRound) {
  const auto trace_path = temp_dir() / "trace_io.json";
  const auto result =
      run_megakernel({"trace", example_job("io.json").string(), "-o", trace_path.string(), "--backend", "cpu"});
  if (!make_cpu_backend()->supports(Feature::Trace)) GTEST_SKIP() << "cpu backend has no Feature::Trace";
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json trace = Json::parse(read_text(trace_path));
  std::uint32_t max_round = 0;
  std::set<std::string> final_statuses;
  // Per round: the earliest start and the latest end (rounds must not overlap in time).
  std::map<std::uint32_t, std::pair<double, double>> spans;
  for (const auto& event : trace["traceEvents"]) {
    if (event["ph"] != "X") continue;
    const auto round = event["args"]["round"].get<std::uint32_t>();
    max_round = std::max(max_round, round);
    final_statuses.insert(event["args"]["status"].get<std::string>());
    const double ts = event["ts"].get<double>(), end = ts + event["dur"].get<double>();
    auto [it, fresh] = spans.try_emplace(round, ts, end);
    if (!fresh) it->second = {std::min(it->second.first, ts), std::max(it->second.second, end)};
  }
  EXPECT_GE(max_round, 1u) << "LOAD_MISS slots finish in a later round than they park";
  for (auto it = spans.begin(); std::next(it) != spans.end(); ++it)
    EXPECT_LT(it->second.second, std::next(it)->second.first) << "round " << it->first << " overlaps the next";
  EXPECT_TRUE(final_statuses.count("DONE"));
}

TEST(cli_usage, UnknownSubcommandSaysSo) {
  const auto result = run_megakernel({"frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("unknown subcommand \"frobnicate\""), std::string::npos) << result.err;
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
}

TEST(cli_trace, OutputIsRequired) {
  const auto result = run_megakernel({"trace", example_job("hello.json").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
}

TEST(cli_bench, WorkloadIsOrderIndependent) {
  const auto workload = make_bench_workload(3000, 1024);
  ASSERT_EQ(workload.items.size(), 3000u);
  for (const auto& item : workload.items) {
    ASSERT_LT(item.args[0], 1024u);
    if (item.opcode == abi::OP_STORE_U32) {
      EXPECT_LT(item.args[0], 512u);
    }
    if (item.opcode == abi::OP_ATOMIC_ADD) {
      EXPECT_GE(item.args[0], 512u);
    }
  }
}

TEST(cli_bench, SummaryMedianAndP99) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  const auto summary = summarize(samples);
  EXPECT_DOUBLE_EQ(summary.median, 50.5);
  EXPECT_DOUBLE_EQ(summary.p99, 99.0);
  EXPECT_DOUBLE_EQ(summary.items_per_second, 1e9 / 50.5);
}

// One p99 for `megakernel bench` and every mk_bench_* binary: nearest rank, ceil(0.99 n).
// What this catches: the two definitions drifting apart again (they once differed).
TEST(cli_bench, OneP99DefinitionForEveryBenchmark) {
  for (std::size_t n : {1u, 2u, 5u, 30u, 100u, 150u, 1000u, 2000u}) {
    std::vector<double> samples;
    for (std::size_t i = n; i >= 1; --i) samples.push_back(static_cast<double>(i));
    const double want = static_cast<double>((99 * n + 99) / 100);  // ceil(0.99 n), exactly
    EXPECT_DOUBLE_EQ(bench::summarize(samples).p99, want) << n << " samples";
    EXPECT_DOUBLE_EQ(summarize(samples).p99, want) << n << " samples";
    EXPECT_DOUBLE_EQ(summarize(samples).median, bench::summarize(samples).median) << n << " samples";
  }
  EXPECT_EQ(bench::summarize({}).samples, 0u);
  EXPECT_DOUBLE_EQ(bench::summarize({3, 1, 2}).min, 1.0);
  EXPECT_DOUBLE_EQ(bench::summarize({3, 1, 2}).max, 3.0);
}

TEST(cli_bench, QuickJsonHasEverySample) {
  const auto json_path = temp_dir() / "bench.json";
  const auto result = run_megakernel({"bench", "--backend", "cpu", "--quick", "--json", json_path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("interp_in_place"), std::string::npos) << result.out;
  const Json bench = Json::parse(read_text(json_path));
  EXPECT_EQ(bench["driver"], "cpu");
  EXPECT_TRUE(bench["device"].is_string());
  EXPECT_TRUE(bench["git_commit"].is_string());
  EXPECT_FALSE(bench["git_commit"].get<std::string>().empty());
  ASSERT_GE(bench["cases"].size(), 2u);
  for (const auto& entry : bench["cases"]) {
    // GPU paths are skipped on the cpu backend, with the reason; CPU paths never are.
    const std::string name = entry["name"].get<std::string>();
    const bool gpu_path = name == "per_item_launch" || name == "cuda_graph" || name == "resident_many_launch";
    ASSERT_EQ(entry["skipped"].get<bool>(), gpu_path) << entry.dump();
    if (gpu_path) {
      EXPECT_FALSE(entry["skip_reason"].get<std::string>().empty()) << entry.dump();
      continue;
    }
    EXPECT_GE(entry["samples"].get<int>(), 30);
    EXPECT_EQ(entry["sample_ns_per_item"].size(), entry["samples"].get<std::size_t>());
    EXPECT_LE(entry["median_ns_per_item"].get<double>(), entry["p99_ns_per_item"].get<double>());
    if (entry["name"] == "interp_in_place") {
      EXPECT_EQ(entry["baseline"], "plain_loop");
      EXPECT_TRUE(entry["ratio_vs_baseline"].is_number());
    }
  }
}

TEST(cli_bench, PlotNeedsMatplotlibOrSaysSo) {
  const auto png = temp_dir() / "bench.png";
  const auto result = run_megakernel({"bench", "--backend", "cpu", "--quick", "--plot", png.string()});
  const bool matplotlib = std::system("python3 -c 'import matplotlib' >/dev/null 2>&1") == 0 ||
                          std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0;
  if (matplotlib) {
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_GT(std::filesystem::file_size(png), 0u);
  } else {
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("matplotlib"), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace mk::cli::test
