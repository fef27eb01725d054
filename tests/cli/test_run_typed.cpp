// A job file with typed custom opcodes (examples/jobs/typed.json: f32 fma and round, a
// u64 counter over two words, i32 division) read and run by the CLI on the CPU backend.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "mk/abi.h"

namespace mk::cli::test {
namespace {

TEST(cli_run, TypedOpcodesFromAJobFile) {
  const auto result = run_megakernel({"run", example_job("typed.json").string(), "--backend", "cpu", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json out = nlohmann::json::parse(result.out);
  const nlohmann::json& items = out["items"];
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0]["result"], 6);  // round(2 * 1.5 + 2.5) = round(5.5) = 6, ties to even
  EXPECT_EQ(items[1]["result"], 0);  // high word of the old 0x00000000FFFFFFFF
  EXPECT_EQ(items[2]["result"], 7);
  EXPECT_EQ(items[3]["status"], "FAULT");
  EXPECT_EQ(items[3]["fault"], "BAD_ARGS");  // a pair at an odd word
  EXPECT_EQ(items[4]["result"], 3);          // -7 / -2 = 3, truncated
  const nlohmann::json& obs = out["observables"];
  EXPECT_EQ(obs[1], 1085276160u);  // 5.5f
  EXPECT_EQ(obs[8], 0);            // 0xFFFFFFFF + 1 carried into word 9
  EXPECT_EQ(obs[9], 1);
  EXPECT_EQ(obs[10], 8);
  EXPECT_EQ(obs[11], 8);
}

}  // namespace
}  // namespace mk::cli::test
