// Job files from untrusted users, limits: job input (regular file or stdin, size before
// reading), memory asked for (checked before allocation), whole-job bounds (--timeout,
// --max-sweeps), exact JSON errors, and what run --json reports about SHUTDOWN.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "job_limits.h"
#include "job_reader.h"

namespace mk::cli::test {
namespace {

using Json = nlohmann::json;

void expect_exit(const ExeResult& result, int code, std::initializer_list<std::string> fragments) {
  EXPECT_EQ(result.exit_code, code) << result.err;
  EXPECT_EQ(line_count(without_progress(result.err)), 1u) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("fix:"), std::string::npos) << result.err;
  for (const auto& fragment : fragments)
    EXPECT_NE(result.err.find(fragment), std::string::npos) << "missing \"" << fragment << "\" in: " << result.err;
}

ExeResult run_cpu(const std::filesystem::path& job, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", job.string(), "--backend", "cpu", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_megakernel(args);
}

// --- D2: bounded input ---------------------------------------------------------------

TEST(cli_untrusted_input, FifoJobIsRefusedBeforeOpening) {
  const auto fifo = temp_dir() / "job_fifo.json";
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // No writer ever opens the FIFO: a reader that opened it would block forever.
  expect_exit(run_cpu(fifo), 2, {"job_fifo.json", "a FIFO, not a regular file"});
}

TEST(cli_untrusted_input, DeviceAndDirectoryJobsAreRefused) {
  expect_exit(run_cpu("/dev/zero"), 2, {"/dev/zero", "a character device, not a regular file"});
  expect_exit(run_cpu(temp_dir()), 2, {"a directory, not a regular file"});
}

TEST(cli_untrusted_input, JobOverMaxJobBytesIsRefusedBeforeReading) {
  const auto job = write_temp("big_job.json", "{\"items\": []}" + std::string(2000, ' '));
  expect_exit(run_cpu(job, {"--max-job-bytes", "1K"}), 2, {"2013 bytes", "limit of 1024 bytes", "--max-job-bytes"});
  EXPECT_EQ(run_cpu(job, {"--max-job-bytes", "4K"}).exit_code, 0);
  const auto bad = run_cpu(job, {"--max-job-bytes", "lots"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("not a size"), std::string::npos) << bad.err;
}

TEST(cli_untrusted_input, StdinJobRunsAndIsBounded) {
  const auto job =
      write_temp("stdin_job.json", R"({"observables": 4, "items": [{"op": "STORE_U32", "args": [2, 9]}]})");
  const auto ran = run_megakernel({"run", "-", "--backend", "cpu", "--json"}, job.string());
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(Json::parse(ran.out)["observables"][2], 9);
  const auto over = run_megakernel({"run", "-", "--backend", "cpu", "--max-job-bytes", "16"}, job.string());
  expect_exit(over, 2, {"<stdin>", "limit of 16 bytes"});
  // A pipe has no size up front: it is read up to the limit and refused past it.
  const auto piped = run_megakernel({"run", "-", "--backend", "cpu", "--max-job-bytes", "16"}, "/dev/zero");
  expect_exit(piped, 2, {"<stdin>", "more than 16", "limit of 16 bytes"});
}

// --- D3: resource limits before allocation ---------------------------------------------

TEST(cli_untrusted_memory, EverySizeIsCheckedAgainstMaxMemory) {
  struct Case {
    const char* field;
    const char* job;
  };
  for (const Case c :
       {Case{"observables", R"({"observables": 1000000000})"}, Case{"slot_count", R"({"slot_count": 67108864})"},
        Case{"debug_log_records", R"({"debug_log_records": 134217727})"},
        Case{"io_queue_capacity", R"({"io_queue_capacity": 134217727})"}}) {
    const auto job = write_temp(std::string("mem_") + c.field + ".json", c.job);
    const auto result = run_cpu(job, {"--max-memory", "64M"});
    expect_exit(result, 2, {std::string(c.field) + ":", "over the limit of 67108864 bytes", "--max-memory"});
    EXPECT_EQ(result.err.find("report this"), std::string::npos) << result.err;
  }
}

TEST(cli_untrusted_memory, AJobWithinTheLimitRuns) {
  const auto job = write_temp("mem_ok.json", R"({"observables": 1000, "items": [{"op": "NOP"}]})");
  EXPECT_EQ(run_cpu(job, {"--max-memory", "64M"}).exit_code, 0);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool ADDRESS_SANITIZER = true;  // reserves terabytes of shadow: ulimit -v breaks it
#else
constexpr bool ADDRESS_SANITIZER = false;
#endif

TEST(cli_untrusted_memory, BadAllocIsOutOfMemoryNotReportThis) {
  if (ADDRESS_SANITIZER) GTEST_SKIP() << "an address-space limit cannot be combined with AddressSanitizer";
  // Past the limit on purpose (--max-memory 1T), then the allocation itself fails.
  const auto job = write_temp("bad_alloc.json", R"({"observables": 400000000, "items": [{"op": "NOP"}]})");
  const auto result = run_megakernel_limited({"run", job.string(), "--backend", "cpu", "--max-memory", "1T"}, 1u << 20);
  expect_exit(result, 1, {"out of memory", "--max-memory"});
  EXPECT_EQ(result.err.find("report this"), std::string::npos) << result.err;
}

TEST(cli_untrusted_memory, MemoryCheckNamesBytesAndTheLargestField) {
  auto job = parse_job(R"({"observables": 1000000, "slot_count": 256})", temp_dir(), "mem.json");
  ASSERT_TRUE(job.has_value()) << job.error().line();
  const auto fits = check_job_memory(*job, std::uint64_t{1} << 30, false);
  ASSERT_TRUE(fits.has_value());
  // 2 x (control 4 MB + ring 16 KiB + log + queue): more than the observables alone.
  EXPECT_GT(*fits, 2u * 4u * 1000000u);
  const auto over = check_job_memory(*job, 1u << 20, true);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().where, "observables");
  EXPECT_NE(over.error().message.find("1048576 bytes"), std::string::npos) << over.error().line();
}

TEST(cli_untrusted_memory, ByteSizesParseWithUnitsAndRefuseOverflow) {
  EXPECT_EQ(parse_byte_size("4096"), 4096u);
  EXPECT_EQ(parse_byte_size("64K"), 64u << 10);
  EXPECT_EQ(parse_byte_size("256MiB"), 256u << 20);
  EXPECT_EQ(parse_byte_size("2G"), std::uint64_t{2} << 30);
  EXPECT_EQ(parse_byte_size("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_byte_size("18446744073709551616"));
  EXPECT_FALSE(parse_byte_size("17179869184G"));
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("1X"));
  EXPECT_FALSE(parse_byte_size(""));
  EXPECT_GT(default_max_memory(), 0u);
}

// --- D4: whole-job bounds --------------------------------------------------------------

// 512 items of a custom op that loops 30000 steps and then requeues (65 runs each):
// seconds of work, far more than the bounds below allow.
std::filesystem::path runaway_job() {
  std::string items;
  for (int i = 0; i < 512; ++i) items += std::string(i ? "," : "") + R"({"op": "spin"})";
  return write_temp("runaway.json", R"({"slot_count": 512, "opcodes": [{"opcode": 4096, "name": "spin", "body": [
      {"let": "acc", "value": 0},
      {"for": "i", "from": 0, "to": 30000, "body": [{"set": "acc", "value": {"op": "+", "a": {"var": "acc"}, "b": {"var": "i"}}}]},
      {"requeue": true}]}], "items": [)" +
                                        items + "]}");
}

TEST(cli_untrusted_bounds, TimeoutStopsTheJobAndSaysHowMuchRan) {
  const auto result = run_cpu(runaway_job(), {"--timeout", "0.05"});
  expect_exit(result, 1, {"--timeout 0.050 s", "stopped after", "of 512 items finished", "sweeps"});
}

TEST(cli_untrusted_bounds, SweepBudgetStopsTheJobAndSaysHowMuchRan) {
  const auto result = run_cpu(runaway_job(), {"--max-sweeps", "3"});
  expect_exit(result, 1, {"--max-sweeps 3", "of 512 items finished", "sweeps in"});
}

TEST(cli_untrusted_bounds, BoundsThatAreNotReachedChangeNothing) {
  const auto job =
      write_temp("bounded_ok.json", R"({"observables": 4, "items": [{"op": "STORE_U32", "args": [1, 5]}]})");
  const auto result = run_cpu(job, {"--timeout", "600", "--max-sweeps", "1000"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Json::parse(result.out)["observables"][1], 5);
}

// --- D5: exact JSON errors -------------------------------------------------------------

TEST(cli_untrusted_json, DuplicateKeyNamesTheKeyAndBothPositions) {
  const auto job = write_temp("dup_key.json", "{\"slot_count\": 64,\n \"items\": [],\n \"slot_count\": 128}");
  expect_exit(run_cpu(job), 2,
              {"slot_count (line 3, column 2)", "duplicate key \"slot_count\"", "first at line 1, column 2"});
  const auto nested = write_temp("dup_nested.json", R"({"items": [{"op": "NOP", "op": "STORE_U32"}]})");
  expect_exit(run_cpu(nested), 2, {"items[0].op", "duplicate key \"op\""});
}

TEST(cli_untrusted_json, DoubleOverflowHasPathLineAndColumn) {
  const auto job = write_temp("overflow.json", "{\"items\": [{\"op\": \"STORE_U32\",\n \"args\": [1, 1e309]}]}");
  expect_exit(run_cpu(job), 2, {"items[0].args[1] (line 2, column 14)", "1e309 overflows a double"});
}

TEST(cli_untrusted_json, TwoToThe64IsNamedAsTooLargeNotFractional) {
  const auto job = write_temp("u64.json", "{\"observables\":\n  18446744073709551616}");
  const auto result = run_cpu(job);
  expect_exit(result, 2, {"observables (line 2, column 3)", "18446744073709551616 is larger than 2^64 - 1"});
  EXPECT_EQ(result.err.find("fractional"), std::string::npos) << result.err;
}

TEST(cli_untrusted_json, NegativesAreNamedNegative) {
  expect_exit(run_cpu(write_temp("neg.json", R"({"observables": -1})")), 2,
              {"observables (line 1, column 17)", "-1 is negative"});
  expect_exit(run_cpu(write_temp("neg_big.json", R"({"observables": -99999999999999999999})")), 2,
              {"observables", "is negative"});
}

TEST(cli_untrusted_json, WholeNumbersInFloatFormAreNotCalledFractional) {
  const auto result = run_cpu(write_temp("exp.json", R"({"observables": 1e3})"));
  expect_exit(result, 2, {"observables (line 1, column 17)", "decimal point or an exponent"});
  EXPECT_EQ(result.err.find("fractional"), std::string::npos) << result.err;
  expect_exit(run_cpu(write_temp("frac.json", R"({"observables": 1.5})")), 2, {"a fractional number"});
}

TEST(cli_untrusted_json, OutOfRangeIntegerHasLineAndColumn) {
  const auto job = write_temp("u32_pos.json", "{\"items\": [{\"op\": \"STORE_U32\",\n   \"args\": [1, 4294967296]}]}");
  expect_exit(run_cpu(job), 2, {"items[0].args[1] (line 2, column 16)", "4294967296 is out of range", "0..4294967295"});
}

TEST(cli_untrusted_json, DeepNestingIsRefusedInOneShortLine) {
  const auto job = write_temp("deep.json", std::string(100000, '[') + std::string(100000, ']'));
  const auto result = run_cpu(job);
  expect_exit(result, 2, {"nested deeper than 1024 levels", "(line 1, column 1025)"});
  EXPECT_LT(result.err.size(), 600u) << result.err.size();
}

// --- D7: SHUTDOWN in the report; STEP_BUDGET keeps earlier stores ----------------------

TEST(cli_untrusted_report, JsonReportsShutdown) {
  const auto plain = run_cpu(write_temp("no_shutdown.json", R"({"items": [{"op": "NOP"}]})"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(Json::parse(plain.out)["shutdown"], 0);
  const auto admin = run_cpu(write_temp("shutdown.json", R"({"tenants": [{"id": 0, "admin": true}, {"id": 1}],
      "items": [{"tenant": 1, "op": "SHUTDOWN"}, {"op": "SHUTDOWN"}]})"));
  ASSERT_EQ(admin.exit_code, 0) << admin.err;
  const Json report = Json::parse(admin.out);
  EXPECT_EQ(report["items"][0]["fault"], "UNAUTHORIZED");
  EXPECT_EQ(report["items"][1]["status"], "DONE");
  EXPECT_EQ(report["shutdown"], 1);
}

TEST(cli_untrusted_report, StepBudgetFaultKeepsTheStoresMadeBeforeIt) {
  const auto job =
      write_temp("step_budget.json", R"({"observables": 4, "opcodes": [{"opcode": 4096, "name": "s", "body": [
      {"store": 0, "value": 7},
      {"for": "i", "from": 0, "to": 60000, "body": [{"for": "j", "from": 0, "to": 4, "body": [{"store": 1, "value": 9}]}]},
      {"store": 2, "value": 5}]}], "items": [{"op": "s"}]})");
  const auto result = run_cpu(job);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json report = Json::parse(result.out);
  EXPECT_EQ(report["items"][0]["fault"], "STEP_BUDGET");
  EXPECT_EQ(report["observables"][0], 7);  // stored before the budget ran out: kept
  EXPECT_EQ(report["observables"][1], 9);  // stored inside the loop before the fault: kept
  EXPECT_EQ(report["observables"][2], 0);  // after the fault: never ran
}

}  // namespace
}  // namespace mk::cli::test
