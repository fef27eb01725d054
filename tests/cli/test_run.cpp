// Valid jobs on the CPU backend: `megakernel run --json` fields, tables, --repeat, and the runner library.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "job_reader.h"
#include "job_runner.h"
#include "mk/abi.h"
#include "mk/backend.h"
#include "run_report.h"

namespace mk::cli::test {
namespace {

using Json = nlohmann::json;

Json run_json(const std::filesystem::path& job, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", job.string(), "--backend", "cpu", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto result = run_megakernel(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << result.err;
  return Json::parse(result.out);
}

TEST(cli_run, HelloJsonFields) {
  const Json out = run_json(example_job("hello.json"));
  EXPECT_EQ(out["backend"], "cpu");
  EXPECT_EQ(out["done_count"], 7);
  EXPECT_EQ(out["epoch"], 1);
  EXPECT_EQ(out["last_fence_tag"], 9);
  EXPECT_EQ(out["fault_count"], 1);

  const Json& items = out["items"];
  ASSERT_EQ(items.size(), 7u);
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i]["index"], i);
    EXPECT_EQ(items[i]["slot"], i);
  }
  EXPECT_EQ(items[0]["status"], "DONE");
  EXPECT_EQ(items[1]["result"], 100);  // ATOMIC_ADD returns the previous value (init word 0)
  EXPECT_EQ(items[3]["op"], "PACKED_SLOT");
  EXPECT_EQ(items[3]["result"], 9);  // last inner result: ATOMIC_ADD's previous value
  EXPECT_EQ(items[4]["op"], "BATCH_FENCE");
  EXPECT_EQ(items[6]["status"], "FAULT");
  EXPECT_EQ(items[6]["fault"], "OUT_OF_BOUNDS");
  EXPECT_EQ(items[6]["result"], abi::FAULT_OUT_OF_BOUNDS);
  EXPECT_FALSE(items[0].contains("fault"));

  const Json& obs = out["observables"];
  ASSERT_EQ(obs.size(), 64u);
  EXPECT_EQ(obs[0], 105);
  EXPECT_EQ(obs[1], 200);
  EXPECT_EQ(obs[3], 7);
  EXPECT_EQ(obs[4], 10);
  EXPECT_EQ(obs[33], 10);  // tenant 1's window starts at 32

  const Json& metrics = out["metrics"];
  EXPECT_EQ(metrics["STORE_U32"], 2);  // one plain, one packed inner op
  EXPECT_EQ(metrics["ATOMIC_ADD"], 3);
  EXPECT_EQ(metrics["BATCH_FENCE"], 1);
  EXPECT_FALSE(metrics.contains("NOP"));  // non-zero only
  for (const auto& [name, count] : metrics.items()) EXPECT_GT(count.get<int>(), 0) << name;

  const Json& tenants = out["tenants"];
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants[0]["id"], 0);
  EXPECT_EQ(tenants[0]["done"], 4);
  EXPECT_EQ(tenants[0]["faults"], 0);
  EXPECT_EQ(tenants[1]["faults"], 1);

  const Json& log = out["debug_log"];
  EXPECT_EQ(log["dropped"], 0);
  ASSERT_EQ(log["records"].size(), 1u);
  EXPECT_EQ(log["records"][0]["fmt"], 1);
  EXPECT_EQ(log["records"][0]["tenant"], 1);
  EXPECT_EQ(log["records"][0]["slot"], 5);
  EXPECT_EQ(log["records"][0]["args"][0], 42);
  EXPECT_EQ(log["records"][0]["args"][1], 43);
}

TEST(cli_run, IoJobLoadsBytesAndFile) {
  const Json out = run_json(example_job("io.json"));
  EXPECT_EQ(out["fault_count"], 0);
  EXPECT_EQ(out["items"][0]["result"], 9);  // bytes delivered
  EXPECT_EQ(out["items"][1]["result"], 16);
  const Json& obs = out["observables"];
  EXPECT_EQ(obs[0], 1);
  EXPECT_EQ(obs[1], 2);
  EXPECT_EQ(obs[2], 3);             // trailing partial word zero-padded
  EXPECT_EQ(obs[8], 0x6167656Du);   // "mega" little-endian, from data.bin
  EXPECT_EQ(obs[16], 0x6F206F69u);  // bytes 11..14 "io o"
  EXPECT_EQ(obs[17], 0x6Bu);        // byte 15 "k", zero-padded
}

TEST(cli_run, UnauthorizedOpIsAResultNotAnError) {
  const auto path = write_temp("unauthorized.json", R"({
    "tenants": [{"id": 0, "admin": true}, {"id": 1, "allow": ["LOAD_U32"]}],
    "items": [{"tenant": 1, "op": "STORE_U32", "args": [0, 1]}, {"tenant": 1, "op": "LOAD_U32", "args": [0]}]})");
  const Json out = run_json(path);
  EXPECT_EQ(out["items"][0]["fault"], "UNAUTHORIZED");
  EXPECT_EQ(out["items"][1]["status"], "DONE");
  EXPECT_EQ(out["observables"][0], 0);
}

TEST(cli_run, NoDebugLogMakesPrintfFault) {
  const auto path = write_temp("no_log.json", R"({"debug_log_records": 0, "items": [{"op": "PRINTF", "args": [1]}]})");
  const Json out = run_json(path);
  EXPECT_EQ(out["items"][0]["status"], "FAULT");
  EXPECT_TRUE(out["debug_log"]["records"].empty());
}

TEST(cli_run, RepeatReportsTiming) {
  const Json out = run_json(example_job("hello.json"), {"--repeat", "3"});
  EXPECT_EQ(out["timing"]["runs"], 3);
  EXPECT_GT(out["timing"]["median_wall_ns"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(out["done_count"], 7);  // fresh buffers each run: not 21
}

TEST(cli_run, TableNamesStatusesAndFaults) {
  const auto result = run_megakernel({"run", example_job("hello.json").string(), "--backend", "cpu"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const char* fragment : {"backend cpu", "BATCH_FENCE", "OUT_OF_BOUNDS", "last fence tag 9", "[3]=7", "fmt 1"}) {
    EXPECT_NE(result.out.find(fragment), std::string::npos) << fragment << " in:\n" << result.out;
  }
}

TEST(cli_run, CustomOpcodeRunsOrReportsUnsupported) {
  const auto path = write_temp("custom.json", R"({
    "opcodes": [{"opcode": 4096, "name": "add3", "body": [
      {"let": "v", "value": {"op": "+", "a": {"arg": 0}, "b": 3}},
      {"store": 0, "value": {"var": "v"}},
      {"result": {"var": "v"}}]}],
    "items": [{"op": "add3", "args": [4]}]})");
  const auto result = run_megakernel({"run", path.string(), "--backend", "cpu", "--json"});
  if (make_cpu_backend()->supports(Feature::CustomOpcodes)) {
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const Json out = Json::parse(result.out);
    EXPECT_EQ(out["items"][0]["result"], 7);
    EXPECT_EQ(out["items"][0]["op"], "add3");
    EXPECT_EQ(out["metrics"]["add3"], 1);
    EXPECT_EQ(out["observables"][0], 7);
  } else {
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(line_count(result.err), 1u) << result.err;
    EXPECT_NE(result.err.find("Unsupported"), std::string::npos) << result.err;
  }
}

TEST(cli_run, LibraryRunMatchesReport) {
  auto job = read_job_file(example_job("hello.json"));
  ASSERT_TRUE(job.has_value()) << job.error().line();
  CpuBackendOptions options;
  options.deterministic = true;
  auto outcome = run_job(*job, make_cpu_backend(options), 2);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
  EXPECT_EQ(outcome->wall_ns.size(), 2u);
  EXPECT_EQ(outcome->readback.done_count, 7u);
  const Json report = run_report_json(*job, *outcome);
  EXPECT_EQ(report["items"][2]["status"], "DONE");
  EXPECT_EQ(report["observables"][33], 10);
  EXPECT_EQ(report["metrics"]["PRINTF"], 1);
}

TEST(cli_run, BuffersFollowTheJob) {
  auto job = parse_job(R"({"observables": 16, "tenants": [{"id": 0, "admin": true},
                           {"id": 1, "allow": ["NOP"], "window": [4, 8]}],
                           "init": [{"at": 2, "words": [11, 12]}], "debug_log_records": 0, "io_queue_capacity": 3})",
                       temp_dir());
  ASSERT_TRUE(job.has_value()) << job.error().line();
  auto buffers = build_job_buffers(*job);
  ASSERT_TRUE(buffers.has_value()) << buffers.error().message();
  EXPECT_TRUE(buffers->debug_log.empty());
  EXPECT_FALSE(buffers->io_queue.empty());
  EXPECT_EQ(read_observable(buffers->control, 2), 11u);
  EXPECT_EQ(read_observable(buffers->control, 3), 12u);
  const auto tenant = read_tenant_counters(buffers->control, 1);
  EXPECT_EQ(tenant.window.base, 4u);
  EXPECT_EQ(tenant.window.len, 8u);
  EXPECT_EQ(tenant.allowed_opcodes, 1ull << abi::IDX_NOP);
  EXPECT_EQ(tenant.flags & abi::TENANT_FLAG_ADMIN, 0u);
  EXPECT_NE(read_tenant_counters(buffers->control, 0).flags & abi::TENANT_FLAG_ADMIN, 0u);
}

TEST(cli_run, IoErrorSaysWhy) {
  const auto job = write_temp("io_errors.json", R"({"observables":64,"io_queue_capacity":4,
    "io_sources":[{"id":1,"bytes":[1,2,3,4,5,6,7,8]}],
    "items":[{"op":"LOAD_MISS","args":[9,0,0,4,0]},{"op":"LOAD_MISS","args":[1,4,0,8,0]},
             {"op":"LOAD_MISS","args":[1,0,0,8,2]}]})");
  const Json j = run_json(job);
  ASSERT_EQ(j["items"].size(), 3u);
  EXPECT_EQ(j["items"][0]["fault"], "IO_ERROR");
  EXPECT_EQ(j["items"][0]["io_error"], "I/O source 9 is not registered");
  EXPECT_EQ(j["items"][1]["fault"], "IO_ERROR");
  EXPECT_EQ(j["items"][1]["io_error"], "read of 8 bytes at offset 4 runs past the end of I/O source 1 (8 bytes)");
  EXPECT_EQ(j["items"][2]["status"], "DONE");
  EXPECT_FALSE(j["items"][2].contains("io_error"));
  const auto table = run_megakernel({"run", job.string(), "--backend", "cpu"});
  EXPECT_NE(table.out.find("IO_ERROR): I/O source 9 is not registered"), std::string::npos) << table.out;
}

}  // namespace
}  // namespace mk::cli::test
