// Live sessions across worker faults: kill -9 mid-stream with four producers (idempotent:
// everything replayed; not idempotent: in-flight items named lost), an attributable fault,
// and the restart budget ending every ticket.
#include <array>
#include <atomic>
#include <deque>

#include "core/live_test_hooks.h"
#include "isolate_test_util.h"

namespace mk::isolate_test {
namespace {

std::uint64_t stress_items(std::uint64_t fallback) {
  const char* env = std::getenv("MK_ISOLATE_STRESS_ITEMS");
  return env ? std::strtoull(env, nullptr, 10) : fallback;
}

// Item k of producer p: a MEMCPY whose RESULT is its count, so every result names its item.
constexpr std::uint32_t PRODUCERS = 4, BATCH = 256, OUTSTANDING = 8;
std::uint32_t count_of(std::uint64_t k) { return 1 + static_cast<std::uint32_t>(k % 8); }
WorkItem stream_item(std::uint32_t p, std::uint64_t k) {
  return item(abi::OP_MEMCPY, p % 4, {32 + 8 * (p % 4), 0, count_of(k)});
}

struct StreamOutcome {
  std::atomic<std::uint64_t> finished{0};  // items whose tickets ended
  std::atomic<std::uint64_t> done{0};      // DONE with the right RESULT
  std::atomic<std::uint64_t> lost{0};      // FAULT DEVICE_LOST, named by wait's error
  std::atomic<std::uint64_t> wrong{0};     // anything else: a mixed-up, duplicated or missing result
  std::atomic<std::uint64_t> errors{0};    // wait errors other than a lost-items DeviceLost
};

// Run `total` items from four producers; `on_progress` may kill workers meanwhile.
void stream(LiveSession& session, std::uint64_t total, StreamOutcome& out) {
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) {
    producers.emplace_back([&, p] {
      const std::uint64_t mine = total / PRODUCERS + (p < total % PRODUCERS ? 1 : 0);
      std::deque<std::pair<Ticket, std::uint64_t>> window;  // ticket, first k
      auto finish = [&] {
        auto [t, first] = window.front();
        window.pop_front();
        auto waited = session.wait(t, 120s);
        if (!waited) {
          const bool lost_items = waited.error().kind() == ErrorKind::DeviceLost && t.ready() &&
                                  waited.error().message().find("were lost in a device fault") != std::string::npos;
          if (!lost_items) {
            out.errors.fetch_add(1);
            std::printf("wait failed: %s\n", waited.error().what());
            return;
          }
        } else if (!*waited) {
          out.errors.fetch_add(1);
          std::printf("wait timed out on ticket %llu\n", static_cast<unsigned long long>(t.sequence()));
          return;
        }
        for (std::uint32_t i = 0; i < t.size(); ++i) {
          const ItemResult r = t.results()[i];
          if (r.status == abi::STATUS_DONE && r.result == count_of(first + i))
            out.done.fetch_add(1, std::memory_order_relaxed);
          else if (r.status == abi::STATUS_FAULT && r.result == abi::FAULT_DEVICE_LOST)
            out.lost.fetch_add(1, std::memory_order_relaxed);
          else
            out.wrong.fetch_add(1, std::memory_order_relaxed);
        }
        out.finished.fetch_add(t.size(), std::memory_order_relaxed);
      };
      std::vector<WorkItem> batch;
      for (std::uint64_t k = 0; k < mine;) {
        const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(BATCH, mine - k));
        batch.clear();
        for (std::uint32_t i = 0; i < n; ++i) batch.push_back(stream_item(p, k + i));
        auto t = session.submit_wait(batch, 120s);
        if (!t) {
          out.errors.fetch_add(1);
          std::printf("submit failed: %s\n", t.error().what());
          return;
        }
        window.emplace_back(*t, k);
        k += n;
        if (window.size() >= OUTSTANDING) finish();
      }
      while (!window.empty()) finish();
    });
  }
  for (auto& t : producers) t.join();
}

// Kill the worker once `finished` passes each mark, waiting for every restart.
std::thread killer(const Backend& backend, const StreamOutcome& out, std::vector<std::uint64_t> marks,
                   std::atomic<int>& kills) {
  return std::thread([&backend, &out, marks, &kills] {
    for (std::uint64_t mark : marks) {
      if (!eventually([&] { return out.finished.load() >= mark; }, 300s)) return;
      if (kill_worker_and_wait(backend)) kills.fetch_add(1);
    }
  });
}

LiveOptions stream_options(bool idempotent) {
  LiveOptions options;
  options.slot_count = 4096;
  options.tenant_count = 4;
  options.observable_count = 64;
  options.watchdog_timeout = 30s;
  options.idempotent = idempotent;
  return options;
}

// What this catches: items lost or run twice across a kill -9 of the worker (a replay of
// an item that had finished, a slot skipped by the resumed lanes), tickets that never end,
// results mixed up between items, and DONE_COUNT drifting from what the tickets report.
TEST(IsolatedLiveFaults, KillNineMidStreamIdempotentLosesNothingAndDuplicatesNothing) {
  const std::uint64_t total = stress_items(1'000'000);
  ASSERT_GE(total, 3u * PRODUCERS * BATCH) << "MK_ISOLATE_STRESS_ITEMS too small to kill mid-stream";
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  auto session = value_or_throw(LiveSession::start(mk, stream_options(true)));
  StreamOutcome out;
  std::atomic<int> kills{0};
  std::thread k = killer(*backend, out, {total / 3, 2 * total / 3}, kills);
  stream(session, total, out);
  k.join();
  EXPECT_EQ(kills.load(), 2);
  EXPECT_EQ(out.errors.load(), 0u);
  EXPECT_EQ(out.finished.load(), total) << "every ticket must end";
  EXPECT_EQ(out.done.load(), total) << "idempotent: every item gets its own result";
  EXPECT_EQ(out.lost.load(), 0u);
  EXPECT_EQ(out.wrong.load(), 0u);
  ASSERT_TRUE(session.drain(60s));
  const LiveStats st = session.stats();
  EXPECT_EQ(st.submitted, total);
  EXPECT_EQ(st.completed, total);
  EXPECT_EQ(st.restarts, 2u);
  EXPECT_EQ(st.lost, 0u);
  auto control = value_or_throw(session.read_control());
  EXPECT_EQ(control[abi::CTRL_DONE_COUNT], static_cast<std::uint32_t>(total))
      << "DONE_COUNT counts each item once: a replayed finished item would push it past the total";
  std::printf("%llu items, 2 kills: %llu replayed; last fault: %s\n", static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(st.replayed), st.last_fault.c_str());
  EXPECT_TRUE(dispatch_is_correct(mk));
}

// What this catches: a non-idempotent session replaying items that may have run, lost
// items reported as results (or not at all), and counters that disagree with the tickets.
TEST(IsolatedLiveFaults, KillNineMidStreamNotIdempotentNamesEveryLostItem) {
  const std::uint64_t total = stress_items(1'000'000) / 4;
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  auto session = value_or_throw(LiveSession::start(mk, stream_options(false)));
  StreamOutcome out;
  std::atomic<int> kills{0};
  std::thread k = killer(*backend, out, {total / 2}, kills);
  stream(session, total, out);
  k.join();
  EXPECT_EQ(kills.load(), 1);
  EXPECT_EQ(out.errors.load(), 0u);
  EXPECT_EQ(out.finished.load(), total);
  EXPECT_EQ(out.wrong.load(), 0u);
  EXPECT_EQ(out.done.load() + out.lost.load(), total);
  ASSERT_TRUE(session.drain(60s));
  const LiveStats st = session.stats();
  EXPECT_EQ(st.lost, out.lost.load()) << "LiveStats::lost counts exactly the items the tickets name";
  EXPECT_EQ(st.replayed, 0u);
  EXPECT_EQ(st.restarts, 1u);
  auto control = value_or_throw(session.read_control());
  EXPECT_EQ(control[abi::CTRL_DONE_COUNT], static_cast<std::uint32_t>(total));
  std::printf("%llu items, 1 kill: %llu lost\n", static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(out.lost.load()));
}

// What this catches: a fault with one item in flight that does not say which item and
// tenant it hit, and a lost item that is reported as a result.
TEST(IsolatedLiveFaults, FaultWithOneItemInFlightNamesItsTenant) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  LiveOptions options = stream_options(false);
  options.watchdog_timeout = 60s;
  auto session = value_or_throw(LiveSession::start(mk, options));
  live_test_inject_stall(session, true);  // the item stays in flight until the kill
  std::vector<WorkItem> one{item(abi::OP_ATOMIC_ADD, 2, {1, 5})};
  auto ticket = value_or_throw(session.submit(one));
  ASSERT_TRUE(kill_worker_and_wait(*backend));
  auto waited = session.wait(ticket, 30s);
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().kind(), ErrorKind::DeviceLost);
  EXPECT_NE(waited.error().message().find("items [0]"), std::string::npos) << waited.error().what();
  EXPECT_NE(waited.error().message().find("tenant 2"), std::string::npos) << "attributable: " << waited.error().what();
  ASSERT_TRUE(ticket.ready());
  EXPECT_EQ(ticket.results()[0].status, abi::STATUS_FAULT);
  EXPECT_EQ(ticket.results()[0].result, abi::FAULT_DEVICE_LOST);
  const LiveStats st = session.stats();
  EXPECT_EQ(st.lost, 1u);
  EXPECT_NE(st.last_fault.find("tenant 2"), std::string::npos) << st.last_fault;
  EXPECT_NE(st.last_fault.find("SIGKILL"), std::string::npos) << st.last_fault;
  std::printf("ticket: %s\nlast fault: %s\n", waited.error().what(), st.last_fault.c_str());
  // The session goes on.
  auto next = value_or_throw(session.submit(one));
  ASSERT_TRUE(value_or_throw(session.wait(next, 30s)));
  EXPECT_EQ(next.results()[0].status, abi::STATUS_DONE);
  const RecoveryReport report = mk.recover_after_device_loss();
  EXPECT_EQ(report.decision, RecoveryDecision::RebuiltStateLost) << "the session's control restarted from its shadow";
}

// What this catches: tickets that hang once the worker is gone for good.
TEST(IsolatedLiveFaults, SpentRestartBudgetEndsEveryTicketAndTheSession) {
  IsolationOptions o;
  o.max_faults = 1;  // the first fault is final
  auto backend = isolated_cpu(o);
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  LiveOptions options = stream_options(true);
  options.watchdog_timeout = 1s;  // so the session notices the end promptly
  auto session = value_or_throw(LiveSession::start(mk, options));
  live_test_inject_stall(session, true);
  std::vector<WorkItem> batch(10, item(abi::OP_NOP, 0));
  auto ticket = value_or_throw(session.submit(batch));
  const std::uint64_t generation = isolate::test::generation(*backend);
  ASSERT_EQ(::kill(isolate::test::worker_pid(*backend), SIGKILL), 0);
  ASSERT_TRUE(isolate::test::wait_generation(*backend, generation + 1, 60s));
  ASSERT_TRUE(isolate::test::unrecoverable(*backend));
  auto waited = session.wait(ticket, 30s);
  ASSERT_FALSE(waited) << "the worker is gone for good: an error, never a hang";
  EXPECT_EQ(waited.error().kind(), ErrorKind::DeviceLost);
  EXPECT_TRUE(ticket.ready()) << "its items were marked lost";
  ASSERT_TRUE(eventually([&] { return !session.health(); })) << "the session must fail, not wait for a worker";
  EXPECT_FALSE(session.submit(batch));
}

}  // namespace
}  // namespace mk::isolate_test
