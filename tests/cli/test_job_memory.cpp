// Memory of large jobs, counted exactly: this binary replaces operator new, so every
// byte the job reader, the bulk run and the report allocate is seen, run after run.
//
// What this catches: a reader that builds a DOM of the items or keeps a struct of
// dozens of bytes per item (a 200k-item job then takes several times its text), a bulk
// run that decodes a 64-byte slot per item, and a --json report or table that builds
// its item list in memory instead of writing it out.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <ostream>
#include <streambuf>
#include <string>

#include "cli_test_util.h"
#include "job_reader.h"
#include "job_runner.h"
#include "mk/backend.h"
#include "run_report.h"

namespace {

std::atomic<std::size_t> g_live{0};
std::atomic<std::size_t> g_peak{0};

// Every block carries its size in a 16-byte header (keeps new's alignment).
constexpr std::size_t HEADER = 16;

void* counted_new(std::size_t bytes) {
  void* block = std::malloc(bytes + HEADER);
  if (block == nullptr) throw std::bad_alloc();
  *static_cast<std::size_t*>(block) = bytes;
  const std::size_t live = g_live.fetch_add(bytes) + bytes;
  std::size_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {}
  return static_cast<char*>(block) + HEADER;
}

void counted_delete(void* p) noexcept {
  if (p == nullptr) return;
  char* block = static_cast<char*>(p) - HEADER;
  g_live.fetch_sub(*reinterpret_cast<std::size_t*>(block));
  std::free(block);
}

}  // namespace

void* operator new(std::size_t bytes) { return counted_new(bytes); }
void* operator new[](std::size_t bytes) { return counted_new(bytes); }
void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept {
  try {
    return counted_new(bytes);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t bytes, const std::nothrow_t& tag) noexcept { return operator new(bytes, tag); }
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_delete(p); }

namespace mk::cli::test {
namespace {

// Heap bytes since construction: the most held at once, and held now.
class HeapWatch {
 public:
  HeapWatch() : m_start(g_live.load()) { g_peak.store(m_start); }
  std::size_t peak() const { return g_peak.load() - m_start; }
  std::size_t held() const {
    const std::size_t live = g_live.load();
    return live > m_start ? live - m_start : 0;
  }

 private:
  std::size_t m_start;
};

// Text that goes nowhere, so the stream's own buffer is all it costs.
class NullBuffer : public std::streambuf {
 protected:
  int_type overflow(int_type c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

constexpr std::size_t ITEMS = 200000;

// The shape of scripts/make_big_job.py: STORE_U32 and ATOMIC_ADD over four tenants
// (about 46 bytes of JSON per item); `items_first` puts "items" before the tables.
std::string big_job(bool items_first) {
  const std::string head =
      R"("slot_count":200000,"workgroup_size_x":64,"observables":4096,"tenants":[{"id":0,"admin":true},)"
      R"({"id":1,"window":[1024,1024]},{"id":2,"allow":["ATOMIC_ADD","STORE_U32"],"window":[2048,1024]},)"
      R"({"id":3,"window":[3072,1024]}])";
  std::string items = "\"items\":[\n";
  for (std::size_t i = 0; i < ITEMS; ++i) {
    const std::string tenant = std::to_string(i % 4);
    if (i % 3 == 0) {
      items += R"({"tenant":)" + tenant + R"(,"op":"STORE_U32","args":[)" + std::to_string(i % 1000) + "," +
               std::to_string(i % 100000) + "]}";
    } else {
      items += R"({"tenant":)" + tenant + R"(,"op":"ATOMIC_ADD","args":[)" + std::to_string(i % 1024) + ",1]}";
    }
    items += i + 1 < ITEMS ? ",\n" : "\n";
  }
  items += "]";
  return items_first ? "{" + items + "," + head + "}" : "{" + head + "," + items + "}";
}

void expect_reader_stays_small(bool items_first) {
  const std::string text = big_job(items_first);
  const HeapWatch heap;
  auto job = parse_job(text, temp_dir(), "big.json");
  ASSERT_TRUE(job.has_value()) << job.error().line();
  ASSERT_EQ(job->items.size(), ITEMS);
  // 5 words per item (20 bytes) in 1 MiB blocks against ~48 bytes of text per item:
  // about 0.5x at the peak and 0.45x held (measured). A DOM of the items takes about
  // ten times the text, a JobItem with a WorkItem and a label string twice.
  EXPECT_LT(heap.peak(), text.size() * 3 / 4) << "text " << text.size() << " bytes";
  EXPECT_LT(heap.held(), text.size() * 3 / 5) << "text " << text.size() << " bytes";
  EXPECT_EQ(job->items[ITEMS - 1].label, "ATOMIC_ADD");
  EXPECT_EQ(job->items[ITEMS - 1].item.tenant, (ITEMS - 1) % 4);
}

TEST(cli_memory, ReaderHoldsItemsInAFractionOfTheirText) { expect_reader_stays_small(false); }

TEST(cli_memory, ItemsBeforeTheTablesCostTheSame) { expect_reader_stays_small(true); }

TEST(cli_memory, BulkRunAndItsReportsStayCompact) {
  auto job = parse_job(big_job(false), temp_dir(), "big.json");
  ASSERT_TRUE(job.has_value()) << job.error().line();
  auto backend = value_or_throw(make_backend("cpu"));
  Result<RunOutcome> outcome = cuda::std::unexpected<Error>(Error(ErrorKind::Backend, "not run", ""));
  {
    const HeapWatch heap;
    outcome = run_job(*job, backend, 1);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message();
    ASSERT_TRUE(outcome->bulk);
    // What stays is a RESULT word and a fault bit per item, not a 64-byte slot.
    EXPECT_LT(heap.held(), ITEMS * 8) << "held after the run";
  }
  NullBuffer nothing;
  std::ostream sink(&nothing);
  for (const bool summary : {false, true}) {
    const HeapWatch heap;
    write_run_report_json(sink, *job, *outcome, summary);
    // A fixed write buffer and one text per label: nothing that grows with the items.
    EXPECT_LT(heap.peak(), std::size_t{1} << 20) << "--json" << (summary ? " --summary" : "");
  }
  for (const bool summary : {false, true}) {
    const HeapWatch heap;
    print_run_table(sink, *job, *outcome, summary);
    EXPECT_LT(heap.peak(), std::size_t{1} << 20) << "table" << (summary ? " --summary" : "");
  }
}

}  // namespace
}  // namespace mk::cli::test
