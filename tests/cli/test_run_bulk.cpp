// Large jobs through the bulk path: `megakernel run` sends a job the compact batch can
// run with the slot path's semantics as one batch, with the same results as the ring.
//
// What this catches: a bulk run whose items, faults, counters or observables differ from
// the ring path's; a job that needs the ring (a fence, an undeclared tenant) sent to the
// bulk path; --summary output that lists every item or loses a fault.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.h"
#include "job_bulk.h"
#include "job_reader.h"
#include "job_runner.h"
#include "job_sources.h"
#include "mk/backend.h"

namespace mk::cli::test {
namespace {

using Json = nlohmann::json;

// 6000 items over two tenants: stores to distinct words, adds, loads, and tenant 1's
// stores outside its window (faults), plus `extra` item JSON at the end.
std::string big_job(const std::string& extra = "") {
  std::string items;
  for (int i = 0; i < 6000; ++i) {
    if (!items.empty()) items += ',';
    switch (i % 4) {
      case 0:
        items +=
            R"({"tenant":0,"op":"STORE_U32","args":[)" + std::to_string(100 + i / 4) + "," + std::to_string(i) + "]}";
        break;
      case 1:
        items += R"({"tenant":0,"op":"ATOMIC_ADD","args":[)" + std::to_string(i % 7) + ",3]}";
        break;
      case 2:
        items += R"({"tenant":1,"op":"STORE_U32","args":[)" + std::to_string(i % 300) + ",1]}";
        break;
      default:
        items += R"({"tenant":0,"op":"LOAD_U32","args":[50]})";
        break;
    }
  }
  if (!extra.empty()) items += "," + extra;
  return R"({"slot_count":6144,"workgroup_size_x":64,"observables":4096,"init":[{"at":50,"words":[77]}],)"
         R"("tenants":[{"id":0,"admin":true},{"id":1,"allow":["STORE_U32"],"window":[2048,256]}],"items":[)" +
         items + "]}";
}

// Items of big_job() that fault: tenant 1's stores at or past its 256-word window.
std::uint32_t big_job_faults() {
  std::uint32_t n = 0;
  for (int i = 0; i < 6000; ++i) n += i % 4 == 2 && i % 300 >= 256;
  return n;
}

Job parse(const std::string& text) {
  auto job = parse_job(text, temp_dir(), "big.json");
  if (!job) throw std::runtime_error(job.error().line());
  return std::move(*job);
}

TEST(cli_run_bulk, LargeJobRunsAsABatchWithTheRingsResults) {
  const Job job = parse(big_job());
  std::string why;
  ASSERT_TRUE(job_runs_as_batch(job, RunBounds{}, why)) << why;
  auto backend = value_or_throw(make_backend("cpu"));
  auto sources = open_job_io_sources(job, IoPolicy{});
  ASSERT_TRUE(sources);
  auto bulk = run_job(job, backend, *sources, 1, {}, RunPath::Auto);
  auto ring = run_job(job, backend, *sources, 1, {}, RunPath::Ring);
  ASSERT_TRUE(bulk) << bulk.error().what();
  ASSERT_TRUE(ring) << ring.error().what();
  EXPECT_TRUE(bulk->bulk);
  EXPECT_FALSE(ring->bulk);
  const Readback& b = bulk->readback;
  const Readback& r = ring->readback;
  EXPECT_EQ(b.done_count, 6000u);
  EXPECT_EQ(b.done_count, r.done_count);
  EXPECT_EQ(b.fault_count, big_job_faults());
  EXPECT_EQ(b.fault_count, r.fault_count);
  EXPECT_EQ(b.observables, r.observables);
  EXPECT_EQ(b.metrics, r.metrics);
  EXPECT_EQ(b.tenants, r.tenants);
  // The bulk path keeps one RESULT word and a fault bit per item, not a slot each.
  EXPECT_TRUE(b.slots.empty());
  ASSERT_EQ(bulk->item_count(), 6000u);
  ASSERT_GE(ring->item_count(), 6000u);
  std::size_t i = 0;
  for (const JobItemRef item : job.items) {
    EXPECT_EQ(bulk->item_status(i), ring->item_status(i)) << i;
    EXPECT_EQ(item.opcode, r.slots[i].opcode) << i;
    if (i % 4 != 1) {
      EXPECT_EQ(bulk->item_result(i), ring->item_result(i)) << i;  // adds race
    }
    ++i;
  }
}

TEST(cli_run_bulk, JobsThatNeedTheRingStayOnIt) {
  std::string why;
  EXPECT_FALSE(job_runs_as_batch(parse(big_job(R"({"fence":{"tag":3}})")), RunBounds{}, why));
  EXPECT_NE(why.find("item 6000"), std::string::npos) << why;
  EXPECT_FALSE(job_runs_as_batch(parse(big_job(R"({"op":"LOAD_MISS","args":[1,0,0,4,0]})")), RunBounds{}, why));
  EXPECT_NE(why.find("item 6000"), std::string::npos) << why;
  EXPECT_FALSE(job_runs_as_batch(parse(R"({"items":[{"op":"NOP","args":[]}]})"), RunBounds{}, why));
  EXPECT_NE(why.find("fewer than"), std::string::npos) << why;
}

TEST(cli_run_bulk, SummaryListsTotalsAndFaultsNotItems) {
  const auto path = write_temp("big.json", big_job());
  const auto result = run_megakernel({"run", path.string(), "--backend", "cpu", "--json", "--summary"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Json j = Json::parse(result.out);
  EXPECT_EQ(j["items"], 6000);
  EXPECT_EQ(j["done_count"], 6000);
  EXPECT_EQ(j["timing"]["path"], "compact batch");
  EXPECT_FALSE(j.contains("observables"));
  ASSERT_EQ(j["faults"].size(), big_job_faults());
  EXPECT_EQ(j["faults"][0]["index"], 258);  // the first of tenant 1's stores past its window
  EXPECT_EQ(j["faults"][0]["fault"], "OUT_OF_BOUNDS");
  const auto ring = run_megakernel({"run", path.string(), "--backend", "cpu", "--json", "--summary", "--path", "ring"});
  ASSERT_EQ(ring.exit_code, 0) << ring.err;
  const Json rj = Json::parse(ring.out);
  EXPECT_EQ(rj["timing"]["path"], "ring");
  EXPECT_EQ(rj["faults"], j["faults"]);
  EXPECT_EQ(rj["metrics"], j["metrics"]);
  const auto table = run_megakernel({"run", path.string(), "--backend", "cpu", "--summary"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("(compact batch)"), std::string::npos);
  EXPECT_NE(table.out.find("faults: " + std::to_string(big_job_faults())), std::string::npos);
  EXPECT_LT(line_count(table.out), 1600u);  // no line per item
}

}  // namespace
}  // namespace mk::cli::test
