// `megakernel run --isolate`: the same job through a supervised worker process gives the
// same output, and a worker that cannot start is a one-line runtime error (exit 1).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace mk::cli::test {
namespace {

using Json = nlohmann::json;

TEST(cli_run_isolated, HelloMatchesTheInProcessRun) {
  const std::string job = example_job("hello.json").string();
  const auto local = run_megakernel({"run", job, "--backend", "cpu", "--json"});
  const auto isolated = run_megakernel({"run", job, "--backend", "cpu", "--isolate", "--json"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  ASSERT_EQ(isolated.exit_code, 0) << isolated.err;
  Json a = Json::parse(local.out), b = Json::parse(isolated.out);
  for (const char* timing : {"timing", "wall_ns", "stats"}) {
    a.erase(timing);
    b.erase(timing);
  }
  EXPECT_EQ(a["items"], b["items"]);
  EXPECT_EQ(a["observables"], b["observables"]);
  EXPECT_EQ(a["done_count"], b["done_count"]);
  EXPECT_EQ(b["backend"], "cpu");
}

TEST(cli_run_isolated, MissingWorkerIsARuntimeErrorWithAFix) {
  setenv("MK_WORKER_PATH", "/nonexistent/mk-worker", 1);
  const auto r = run_megakernel({"run", example_job("hello.json").string(), "--backend", "cpu", "--isolate"});
  unsetenv("MK_WORKER_PATH");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("MK_WORKER_PATH"), std::string::npos) << r.err;
  EXPECT_EQ(line_count(r.err), 1u) << r.err;
}

}  // namespace
}  // namespace mk::cli::test
