// Job files from untrusted users, I/O sources: what a job can reach through io_sources
// (confined to the I/O root) and what it cannot (absolute paths, "..", symlinks out,
// NUL/control names, FIFOs, devices, directories).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace mk::cli::test {
namespace {

using Json = nlohmann::json;

// A job that LOAD_MISSes `bytes` bytes of source 1 (given by `file_json`, a JSON string) into observable 0.
std::string load_job(const std::string& file_json, std::uint32_t bytes = 4) {
  return R"({"observables": 8, "io_queue_capacity": 4, "io_sources": [{"id": 1, "file": )" + file_json +
         R"(}], "items": [{"op": "LOAD_MISS", "args": [1, 0, 0, )" + std::to_string(bytes) + R"(, 0]}]})";
}

// A fresh directory under the test's temp dir.
std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = temp_dir() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void expect_refused(const ExeResult& result, std::initializer_list<std::string> fragments) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(line_count(result.err), 1u) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("fix:"), std::string::npos) << result.err;
  for (const auto& fragment : fragments)
    EXPECT_NE(result.err.find(fragment), std::string::npos) << "missing \"" << fragment << "\" in: " << result.err;
}

ExeResult run_json(const std::filesystem::path& job, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", job.string(), "--backend", "cpu", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_megakernel(args);
}

TEST(cli_untrusted_io, AbsolutePathIsRefusedWithTheFix) {
  const auto dir = fresh_dir("abs");
  const auto secret = write_temp("abs_secret.bin", "SECRET");  // outside dir
  const auto job = write_temp("abs/job.json", load_job(Json(secret.string()).dump()));
  expect_refused(run_json(job), {"io_sources[0].file", "absolute path", "--io-root", "--allow-any-path"});
}

TEST(cli_untrusted_io, DotDotEscapeIsRefused) {
  fresh_dir("dotdot");
  write_temp("dotdot_secret.bin", "SECRET");
  const auto job = write_temp("dotdot/job.json", load_job(R"("../dotdot_secret.bin")"));
  expect_refused(run_json(job), {"io_sources[0].file", "\"..\"", "--io-root"});
}

TEST(cli_untrusted_io, SymlinkLeavingTheRootIsRefusedOneInsideIsFollowed) {
  const auto dir = fresh_dir("links");
  const auto secret = write_temp("links_secret.bin", "SECRET");
  std::filesystem::create_symlink(secret, dir / "out.bin");
  write_temp("links/inside.bin", "ABCD");
  std::filesystem::create_symlink("inside.bin", dir / "in.bin");
  expect_refused(run_json(write_temp("links/out.json", load_job(R"("out.bin")"))),
                 {"io_sources[0].file", "symbolic link", "leaves the I/O root", "--allow-any-path"});
  const auto inside = run_json(write_temp("links/in.json", load_job(R"("in.bin")")));
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_EQ(Json::parse(inside.out)["observables"][0], 0x44434241u);  // "ABCD" little-endian
}

TEST(cli_untrusted_io, NulInTheNameIsInvalidNotTruncated) {
  fresh_dir("nul");
  write_temp("nul/data.bin", "ABCD");
  // The probe's case: the name shown and the name opened must never differ.
  const auto job = write_temp("nul/job.json", load_job(R"("data.bin\u0000.harmless.bin")"));
  expect_refused(run_json(job), {"io_sources[0].file", "NUL or control character", "\\x00"});
}

TEST(cli_untrusted_io, ControlCharacterInTheNameIsInvalid) {
  fresh_dir("ctrl");
  const auto job = write_temp("ctrl/job.json", load_job(R"("da\u001bta.bin")"));
  expect_refused(run_json(job), {"io_sources[0].file", "control character"});
}

TEST(cli_untrusted_io, FifoSourceIsRefusedAtOnce) {
  const auto dir = fresh_dir("fifo_src");
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
  // Opened non-blocking and checked with fstat, so no writer is needed to get the answer.
  expect_refused(run_json(write_temp("fifo_src/job.json", load_job(R"("pipe")"))),
                 {"io_sources[0].file", "a FIFO, not a regular file"});
}

TEST(cli_untrusted_io, DirectorySourceIsNotCalledNotFound) {
  const auto dir = fresh_dir("dir_src");
  std::filesystem::create_directories(dir / "sub");
  const auto result = run_json(write_temp("dir_src/job.json", load_job(R"("sub")")));
  expect_refused(result, {"io_sources[0].file", "a directory, not a regular file"});
  EXPECT_EQ(result.err.find("not found"), std::string::npos) << result.err;
}

TEST(cli_untrusted_io, MissingSourceSaysNotFound) {
  fresh_dir("missing_src");
  expect_refused(run_json(write_temp("missing_src/job.json", load_job(R"("nope.bin")"))),
                 {"io_sources[0].file", "not found"});
}

TEST(cli_untrusted_io, IoRootChoosesWhereNamesResolve) {
  fresh_dir("root_jobs");
  const auto data = fresh_dir("root_data");
  write_temp("root_data/data.bin", "WXYZ");
  const auto job = write_temp("root_jobs/job.json", load_job(R"("data.bin")"));
  expect_refused(run_json(job), {"not found"});  // default root: the job's directory
  const auto chosen = run_json(job, {"--io-root", data.string()});
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_EQ(Json::parse(chosen.out)["observables"][0], 0x5A595857u);
  const auto missing = run_json(job, {"--io-root", (data / "no_such_dir").string()});
  expect_refused(missing, {"I/O root", "--io-root"});
}

TEST(cli_untrusted_io, AllowAnyPathIsTheExplicitTrustedMode) {
  fresh_dir("trusted");
  const auto file = write_temp("trusted_data.bin", "1234");
  const auto job = write_temp("trusted/job.json", load_job(Json(file.string()).dump()));
  const auto trusted = run_json(job, {"--allow-any-path"});
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_EQ(Json::parse(trusted.out)["observables"][0], 0x34333231u);
  // Even a trusted job cannot name a device or a FIFO.
  const auto device = run_json(write_temp("trusted/dev.json", load_job(R"("/dev/zero")")), {"--allow-any-path"});
  expect_refused(device, {"a character device, not a regular file"});
}

TEST(cli_untrusted_io, TraceIsConfinedLikeRun) {
  fresh_dir("trace_io");
  const auto secret = write_temp("trace_secret.bin", "SECRET");
  const auto job = write_temp("trace_io/job.json", load_job(Json(secret.string()).dump()));
  const auto out = (temp_dir() / "trace_io" / "trace.json").string();
  expect_refused(run_megakernel({"trace", job.string(), "-o", out, "--backend", "cpu"}),
                 {"io_sources[0].file", "absolute path"});
  const auto trusted = run_megakernel({"trace", job.string(), "-o", out, "--backend", "cpu", "--allow-any-path"});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
}

TEST(cli_untrusted_io, IoRootAndAllowAnyPathTogetherIsAUsageError) {
  const auto job = write_temp("usage_root.json", R"({"items": []})");
  const auto result = run_json(job, {"--io-root", temp_dir().string(), "--allow-any-path"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("contradict"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace mk::cli::test
