// LiveSession under load: ring reuse, 10^7 items from 4 producers, shutdown and destruction with work in flight,
// fairness.
#include "live_test_util.h"

#include <algorithm>
#include <array>
#include <deque>
#include <optional>

namespace mk::live_test {
namespace {

class LiveStress : public LiveTest {};

// What this catches: a slot reused before its ticket copied the result, tickets that
// stop being readable once their slots are reused, and items run twice or skipped
// when the 64-bit ring position wraps the 64 slots many times.
TEST_P(LiveStress, RingReuseKeepsEveryTicketsResults) {
  constexpr std::uint32_t TOTAL = 100'000;
  constexpr std::uint32_t WORDS = 32;
  LiveOptions options;
  options.slot_count = 64;
  options.observable_count = 64;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();

  std::vector<Ticket> tickets;
  std::vector<WorkItem> batch;
  std::uint32_t k = 0;
  for (std::uint32_t b = 0; k < TOTAL; ++b) {
    const std::uint32_t n = std::min<std::uint32_t>(1 + (b * 37) % 64, TOTAL - k);  // every size 1..64
    batch.clear();
    for (std::uint32_t j = 0; j < n; ++j) batch.push_back(item(abi::OP_ATOMIC_ADD, 0, {(k + j) % WORDS, 1}));
    auto t = session->submit_wait(batch, 30s);
    ASSERT_TRUE(t) << "batch " << b << ": " << t.error().what();
    ASSERT_EQ(t->sequence(), k);
    ASSERT_EQ(t->size(), n);
    tickets.push_back(*t);
    k += n;
  }
  ASSERT_TRUE(session->drain(30s));

  // Every word got TOTAL / WORDS adds of 1, so their previous values are exactly 0..n-1.
  std::array<std::vector<std::uint32_t>, WORDS> previous;
  k = 0;
  for (const Ticket& t : tickets) {
    ASSERT_TRUE(t.ready()) << "ticket at " << t.sequence();
    ASSERT_EQ(t.results().size(), t.size());
    ASSERT_EQ(t.fault_count(), 0u);
    for (const ItemResult& r : t.results()) {
      ASSERT_EQ(r.status, abi::STATUS_DONE) << "item " << k;
      previous[k % WORDS].push_back(r.result);
      ++k;
    }
  }
  ASSERT_EQ(k, TOTAL);
  for (std::uint32_t w = 0; w < WORDS; ++w) {
    auto& p = previous[w];
    ASSERT_EQ(p.size(), TOTAL / WORDS);
    std::sort(p.begin(), p.end());
    for (std::uint32_t i = 0; i < p.size(); ++i)
      ASSERT_EQ(p[i], i) << "word " << w << ": an add ran twice, not at all, or its result was mixed up";
  }

  auto control = control_at_done_count(*session, TOTAL);
  ASSERT_TRUE(control) << control.error().what();
  const auto& c = *control;
  EXPECT_EQ(c[abi::CTRL_DONE_COUNT], TOTAL);
  EXPECT_EQ(c[abi::CTRL_FAULT_COUNT], 0u);
  EXPECT_EQ(c[abi::CTRL_OPCODE_COUNTS + abi::IDX_ATOMIC_ADD], TOTAL);
  EXPECT_EQ(c[abi::tenant_word(0, abi::TENANT_DONE)], TOTAL);
  for (std::uint32_t w = 0; w < 64; ++w) EXPECT_EQ(observable(c, w), w < WORDS ? TOTAL / WORDS : 0u) << "word " << w;
  const LiveStats st = session->stats();
  EXPECT_EQ(st.submitted, TOTAL);
  EXPECT_EQ(st.completed, TOTAL);
  EXPECT_EQ(st.in_flight, 0u);
}

// What this catches: two producers reserving overlapping slots (lost CAS races), a batch
// published partly, a slot harvested twice or skipped, counters batched per sweep that
// drop or double-count a run, and tenant words that race across producers.
TEST_P(LiveStress, TenMillionItemsFromFourProducersNoneLostOrDuplicated) {
  const char* env = std::getenv("MK_LIVE_STRESS_ITEMS");
  const std::uint64_t total = env ? std::strtoull(env, nullptr, 10) : 10'000'000ull;
  ASSERT_GT(total, 0u);
  ASSERT_LE(total, 0xFFFFFFFFull) << "DONE_COUNT is one 32-bit word";
  constexpr std::uint32_t PRODUCERS = 4, TENANTS = 4, BATCH = 256, OUTSTANDING = 8;
  constexpr std::uint32_t PRIVATE_BASE = TENANTS;  // producer p stores into word PRIVATE_BASE + p
  LiveOptions options;
  options.tenant_count = TENANTS;
  options.observable_count = 64;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();

  // Every batch of producer p is the same 256 items: an ATOMIC_ADD of 1..3 to the item's
  // tenant word, or (every fourth) a STORE_U32 to the producer's own word.
  auto is_store = [](std::uint32_t j) { return j % 4 == 3; };
  auto tenant_of = [](std::uint32_t p, std::uint32_t j) { return (p + j + j / 4) % TENANTS; };
  auto delta_of = [](std::uint32_t j) { return 1 + j % 3; };
  auto stored_value = [](std::uint32_t p) { return 0xC0DE0000u + p; };
  std::array<std::vector<WorkItem>, PRODUCERS> batches;
  std::array<std::uint64_t, PRODUCERS> items_of{};
  std::array<std::uint64_t, TENANTS> tenant_done{}, tenant_sum{};
  std::uint64_t stores = 0, adds = 0;
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) {
    items_of[p] = total / PRODUCERS + (p < total % PRODUCERS ? 1 : 0);
    for (std::uint32_t j = 0; j < BATCH; ++j) {
      const std::uint32_t t = tenant_of(p, j);
      batches[p].push_back(is_store(j) ? item(abi::OP_STORE_U32, t, {PRIVATE_BASE + p, stored_value(p)})
                                       : item(abi::OP_ATOMIC_ADD, t, {t, delta_of(j)}));
    }
    const std::uint64_t full = items_of[p] / BATCH, rest = items_of[p] % BATCH;
    for (std::uint32_t j = 0; j < BATCH; ++j) {
      const std::uint64_t times = full + (j < rest ? 1 : 0);
      const std::uint32_t t = tenant_of(p, j);
      tenant_done[t] += times;
      if (is_store(j)) {
        stores += times;
      } else {
        adds += times;
        tenant_sum[t] += times * delta_of(j);
      }
    }
  }
  ASSERT_EQ(stores + adds, total);

  std::array<std::uint64_t, PRODUCERS> verified{};
  auto produce = [&](std::uint32_t p) {
    const std::vector<WorkItem>& batch = batches[p];
    std::deque<Ticket> outstanding;
    auto retire = [&]() -> bool {
      const Ticket t = outstanding.front();
      outstanding.pop_front();
      auto r = session->wait(t, 60s);
      if (!r || !*r) {
        ADD_FAILURE() << "producer " << p << ": ticket at " << t.sequence()
                      << (r ? " did not finish in 60 s" : " failed: " + std::string(r.error().what()));
        return false;
      }
      const auto results = t.results();
      if (results.size() != t.size() || t.fault_count() != 0) {
        ADD_FAILURE() << "producer " << p << ": ticket at " << t.sequence() << " has " << results.size()
                      << " results and " << t.fault_count() << " faults";
        return false;
      }
      for (std::uint32_t j = 0; j < results.size(); ++j) {
        if (results[j].status != abi::STATUS_DONE || (is_store(j) && results[j].result != 0)) {
          ADD_FAILURE() << "producer " << p << ": ticket at " << t.sequence() << " item " << j << " has status "
                        << results[j].status << " result " << results[j].result;
          return false;
        }
      }
      verified[p] += results.size();
      return true;
    };
    for (std::uint64_t sent = 0; sent < items_of[p];) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(BATCH, items_of[p] - sent));
      auto t = session->submit_wait(std::span<const WorkItem>(batch.data(), n), 60s);
      if (!t) {
        ADD_FAILURE() << "producer " << p << ": submit_wait failed: " << t.error().what();
        return;
      }
      outstanding.push_back(*t);
      sent += n;
      if (outstanding.size() >= OUTSTANDING && !retire()) return;
    }
    while (!outstanding.empty())
      if (!retire()) return;
  };

  const auto t0 = Clock::now();
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) producers.emplace_back(produce, p);
  for (auto& t : producers) t.join();
  ASSERT_TRUE(session->drain(60s));
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("live stress (%s): %llu items from %u producers in %.2f s (%.1f M items/s)\n", GetParam().c_str(),
              static_cast<unsigned long long>(total), PRODUCERS, seconds, static_cast<double>(total) / seconds / 1e6);

  for (std::uint32_t p = 0; p < PRODUCERS; ++p) EXPECT_EQ(verified[p], items_of[p]) << "producer " << p;
  const LiveStats st = session->stats();
  EXPECT_EQ(st.submitted, total);
  EXPECT_EQ(st.completed, total);
  EXPECT_EQ(st.in_flight, 0u);

  auto control = control_at_done_count(*session, static_cast<std::uint32_t>(total));
  ASSERT_TRUE(control) << control.error().what();
  const auto& c = *control;
  EXPECT_EQ(c[abi::CTRL_DONE_COUNT], total) << "items lost or counted twice";
  EXPECT_EQ(c[abi::CTRL_FAULT_COUNT], 0u);
  std::uint64_t tenant_total = 0;
  for (std::uint32_t t = 0; t < TENANTS; ++t) {
    tenant_total += c[abi::tenant_word(t, abi::TENANT_DONE)];
    EXPECT_EQ(c[abi::tenant_word(t, abi::TENANT_DONE)], tenant_done[t]) << "tenant " << t;
    EXPECT_EQ(c[abi::tenant_word(t, abi::TENANT_FAULTS)], 0u) << "tenant " << t;
    EXPECT_EQ(observable(c, t), static_cast<std::uint32_t>(tenant_sum[t])) << "tenant " << t << "'s word";
  }
  EXPECT_EQ(tenant_total, total);
  for (std::uint32_t p = 0; p < PRODUCERS; ++p)
    EXPECT_EQ(observable(c, PRIVATE_BASE + p), items_of[p] >= 4 ? stored_value(p) : 0u)
        << "producer " << p << "'s word";
  for (std::uint32_t i = 0; i < abi::MAX_OPCODES; ++i) {
    const std::uint64_t expected = i == abi::IDX_STORE_U32 ? stores : i == abi::IDX_ATOMIC_ADD ? adds : 0;
    EXPECT_EQ(c[abi::CTRL_OPCODE_COUNTS + i], expected) << "OPCODE_COUNTS[" << i << "]";
  }
}

// What this catches: a submit that slips past shutdown and publishes into a stopped
// ring (its ticket would never finish and wait would hang), shutdown returning while
// accepted items are still unaccounted for, and producers never told to stop.
TEST_P(LiveStress, ShutdownWhileProducersSubmit) {
  constexpr std::uint32_t PRODUCERS = 4, BATCH = 16;
  LiveOptions options;
  options.observable_count = 64;
  std::optional<LiveSession> session;
  {
    auto started = start(options);
    ASSERT_TRUE(started) << started.error().what();
    session.emplace(std::move(*started));
  }

  std::atomic<std::uint64_t> accepted{0};
  std::array<std::vector<Ticket>, PRODUCERS> tickets;
  std::array<std::optional<Error>, PRODUCERS> stopped_by;
  auto produce = [&](std::uint32_t p) {
    const std::vector<WorkItem> batch(BATCH, item(abi::OP_ATOMIC_ADD, 0, {p, 1}));
    for (;;) {
      auto t = session->submit(batch);
      if (t) {
        tickets[p].push_back(*t);
        accepted.fetch_add(BATCH, std::memory_order_relaxed);
      } else if (t.error().kind() == ErrorKind::QueueFull) {
        std::this_thread::yield();  // submit reclaims finished slots itself; just retry
      } else {
        stopped_by[p] = t.error();
        return;
      }
    }
  };
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) producers.emplace_back(produce, p);

  const auto deadline = Clock::now() + 30s;
  while (accepted.load(std::memory_order_relaxed) < 10'000 && Clock::now() < deadline) std::this_thread::yield();
  const bool enough = accepted.load() >= 10'000;
  Status shut = session->shutdown(2s);
  expect_returns_within("joining producers after shutdown", 30s, [&] {
    for (auto& t : producers) t.join();
  });
  ASSERT_TRUE(enough) << "producers got only " << accepted.load() << " items accepted in 30 s";
  EXPECT_TRUE(shut) << shut.error().what();

  for (std::uint32_t p = 0; p < PRODUCERS; ++p) {
    ASSERT_TRUE(stopped_by[p].has_value()) << "producer " << p;
    EXPECT_NE(stopped_by[p]->kind(), ErrorKind::QueueFull) << "producer " << p;
  }
  std::uint64_t accepted_items = 0, ready_items = 0, unfinished = 0;
  std::array<std::uint64_t, PRODUCERS> ready_of{};
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) {
    for (const Ticket& t : tickets[p]) {
      accepted_items += t.size();
      if (t.ready()) {
        ASSERT_EQ(t.results().size(), t.size());
        for (const ItemResult& r : t.results()) ASSERT_EQ(r.status, abi::STATUS_DONE) << "ticket at " << t.sequence();
        ready_items += t.size();
        ready_of[p] += t.size();
        continue;
      }
      ++unfinished;
      auto r = session->wait(t, 5s);
      ASSERT_FALSE(r.has_value() && *r) << "ticket at " << t.sequence() << " finished after shutdown returned";
      ASSERT_FALSE(r.has_value()) << "wait on an unfinished ticket after shutdown timed out instead of failing";
    }
  }
  EXPECT_EQ(accepted_items, accepted.load());
  EXPECT_EQ(accepted_items, session->stats().submitted) << "an accepted submit has no ticket, or the reverse";
  std::printf("shutdown (%s): %llu items accepted, %llu finished, %llu tickets unfinished\n", GetParam().c_str(),
              static_cast<unsigned long long>(accepted_items), static_cast<unsigned long long>(ready_items),
              static_cast<unsigned long long>(unfinished));

  auto control = control_at_done_count(*session, static_cast<std::uint32_t>(ready_items));
  ASSERT_TRUE(control) << control.error().what();
  EXPECT_EQ((*control)[abi::CTRL_DONE_COUNT], ready_items) << "the kernel ran items no ticket reports";
  for (std::uint32_t p = 0; p < PRODUCERS; ++p) EXPECT_EQ(observable(*control, p), ready_of[p]) << "producer " << p;

  expect_returns_within("destroying the shut-down session", 30s, [&] { session.reset(); });
}

// What this catches: a destructor that waits forever for items a healthy kernel would
// finish, or for items a stalled kernel never will.
TEST_P(LiveStress, DestroyingASessionWithWorkInFlightReturns) {
  std::vector<Ticket> tickets;
  {
    auto session = start();
    ASSERT_TRUE(session) << session.error().what();
    const std::vector<WorkItem> batch(256, item(abi::OP_ATOMIC_ADD, 0, {0, 1}));
    for (int i = 0; i < 16; ++i) {
      auto t = session->submit(batch);
      ASSERT_TRUE(t) << t.error().what();
      tickets.push_back(*t);
    }
    std::optional<LiveSession> owned(std::move(*session));
    expect_returns_within("destroying a healthy session with work in flight", 30s, [&] { owned.reset(); });
  }
  // A healthy kernel finishes in-flight items before the destructor stops it.
  for (const Ticket& t : tickets) {
    ASSERT_TRUE(t.ready()) << "ticket at " << t.sequence() << " was dropped by the destructor";
    for (const ItemResult& r : t.results()) ASSERT_EQ(r.status, abi::STATUS_DONE);
  }

  LiveOptions stalled_options;
  stalled_options.watchdog_timeout = 200ms;
  auto stalled = start(stalled_options);
  ASSERT_TRUE(stalled) << stalled.error().what();
  live_test_inject_stall(*stalled, true);
  const std::vector<WorkItem> batch(64, item(abi::OP_NOP, 0));
  auto pending = stalled->submit(batch);
  ASSERT_TRUE(pending) << pending.error().what();
  std::optional<LiveSession> owned(std::move(*stalled));
  expect_returns_within("destroying a stalled session with work in flight", 30s, [&] { owned.reset(); });
  // The ticket outlives its session; whatever it says must be consistent.
  EXPECT_EQ(pending->results().size(), pending->ready() ? 64u : 0u);
}

// What this catches: one tenant's flood taking every slot so another tenant's single
// items are refused or starve, and quota accounting that leaks under concurrency.
TEST_P(LiveStress, FloodingTenantDoesNotStarveAnother) {
  constexpr std::uint32_t SLOTS = 64, SMALL_ITEMS = 1000;
  LiveOptions options;
  options.slot_count = SLOTS;
  options.tenant_count = 2;
  options.observable_count = 8;
  options.max_in_flight_per_tenant = SLOTS / 2;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> flood_rejects{0}, flood_items{0};
  std::vector<Ticket> flood_tickets;
  std::thread flooder([&] {
    const std::vector<WorkItem> batch(8, item(abi::OP_ATOMIC_ADD, 0, {0, 1}));
    while (!stop.load(std::memory_order_relaxed)) {
      auto t = session->submit(batch);
      if (t) {
        flood_tickets.push_back(*t);
        flood_items.fetch_add(batch.size(), std::memory_order_relaxed);
      } else if (t.error().kind() == ErrorKind::QueueFull) {
        flood_rejects.fetch_add(1, std::memory_order_relaxed);
        (void)session->poll();  // reclaim finished slots so the flood goes on
      } else {
        ADD_FAILURE() << "flooder: " << t.error().what();
        return;
      }
    }
  });

  const auto deadline = Clock::now() + 30s;
  while (flood_rejects.load() == 0 && Clock::now() < deadline) std::this_thread::yield();
  const std::uint64_t rejects_before = flood_rejects.load();
  const std::vector<WorkItem> small = {item(abi::OP_ATOMIC_ADD, 1, {1, 1})};
  // At least SMALL_ITEMS, and on until the flooder was refused again while tenant 1 ran
  // (a flooder descheduled for the whole of SMALL_ITEMS is not evidence of anything).
  const auto small_deadline = Clock::now() + 30s;
  std::uint32_t small_items = 0;
  for (std::uint32_t i = 0; (i < SMALL_ITEMS || flood_rejects.load() == rejects_before) &&
                            Clock::now() < small_deadline && !::testing::Test::HasFatalFailure();
       ++i) {
    // submit_wait: tenant 1's finished slots count against its quota until they are
    // reclaimed in ring order, which may wait for a flooder's item before them; a
    // starved tenant 1 would time out here.
    auto t = session->submit_wait(small, 30s);
    if (!t) {
      ADD_FAILURE() << "tenant 1 item " << i << " refused while tenant 0 floods: " << t.error().what();
      break;
    }
    if (!completes(*session, *t, 30s)) {
      ADD_FAILURE() << "tenant 1 item " << i << " did not complete";
      break;
    }
    // Tenant 1 has one item in flight at a time, so its adds see 0, 1, 2, ...
    if (t->results()[0] != (ItemResult{abi::STATUS_DONE, i})) {
      ADD_FAILURE() << "tenant 1 item " << i << ": status " << t->results()[0].status << " result "
                    << t->results()[0].result;
      break;
    }
    small_items = i + 1;
  }
  const std::uint64_t rejects_after = flood_rejects.load();
  stop.store(true);
  flooder.join();
  ASSERT_FALSE(HasFailure());
  EXPECT_GT(rejects_before, 0u) << "tenant 0 never reached its quota";
  EXPECT_GT(rejects_after, rejects_before) << "tenant 0 was not kept at its quota while tenant 1 submitted";

  ASSERT_TRUE(session->drain(30s));
  for (const Ticket& t : flood_tickets) {
    ASSERT_TRUE(t.ready());
    for (const ItemResult& r : t.results()) ASSERT_EQ(r.status, abi::STATUS_DONE);
  }
  // submit_wait's retries of tenant 1 count too.
  EXPECT_GE(session->stats().rejected_full, flood_rejects.load()) << "every refusal of tenant 0 is counted";
  EXPECT_GE(small_items, SMALL_ITEMS);
  const std::uint64_t total = flood_items.load() + small_items;
  auto control = control_at_done_count(*session, static_cast<std::uint32_t>(total));
  ASSERT_TRUE(control) << control.error().what();
  EXPECT_EQ((*control)[abi::CTRL_DONE_COUNT], total);
  EXPECT_EQ((*control)[abi::tenant_word(0, abi::TENANT_DONE)], flood_items.load());
  EXPECT_EQ((*control)[abi::tenant_word(1, abi::TENANT_DONE)], small_items);
  EXPECT_EQ(observable(*control, 0), flood_items.load());
  EXPECT_EQ(observable(*control, 1), small_items);
}

INSTANTIATE_TEST_SUITE_P(Backends, LiveStress, ::testing::ValuesIn(live_backend_params()), backend_name);

}  // namespace
}  // namespace mk::live_test
