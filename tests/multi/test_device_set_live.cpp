// DeviceSet under work: exact per-member counters, failover on remove and on a faulted member, 10^6 items from
// several producers.
#include "device_set_test_util.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <thread>

namespace mk::multi_test {
namespace {

using live_test::Clock;

// Observable words 0..OBSERVABLES-1 of every member, summed word by word.
std::vector<std::uint64_t> words_of(const std::vector<std::uint32_t>& control) {
  std::vector<std::uint64_t> w(OBSERVABLES);
  for (std::uint32_t i = 0; i < OBSERVABLES; ++i) w[i] = observable(control, i);
  return w;
}

// What this catches: counters of one member leaking into another's (a shared control
// buffer), items run on a member other than the one their ticket names.
TEST(DeviceSetLive, PerMemberCountersMatchWhatWasRoutedThere) {
  DeviceSet set = start_set(4);
  const auto route = routes(set, TENANTS);
  std::vector<DeviceTicket> tickets;
  std::array<std::uint32_t, 4> items_on{};
  for (std::uint32_t t = 0; t < TENANTS; ++t) {
    // Tenant t adds 1 to word t, t + 1 times, and 1 to the shared word 63 once more.
    std::vector<WorkItem> batch(t + 1, item(abi::OP_ATOMIC_ADD, t, {t, 1}));
    batch.push_back(item(abi::OP_ATOMIC_ADD, t, {OBSERVABLES - 1, 1}));
    auto ticket = set.submit(batch);
    ASSERT_TRUE(ticket) << ticket.error().what();
    ASSERT_EQ(ticket->member(), route[t]);
    items_on[route[t]] += static_cast<std::uint32_t>(batch.size());
    tickets.push_back(*ticket);
  }
  for (const DeviceTicket& t : tickets) {
    ASSERT_TRUE(value_or_throw(set.wait(t, 10s)));
    EXPECT_EQ(t.fault_count(), 0u);
    EXPECT_EQ(t.results().size(), t.size());
  }
  ASSERT_TRUE(set.drain(10s));

  // drain() leaves every member's counters exact.
  std::uint32_t total = 0;
  for (std::uint32_t m = 0; m < 4; ++m) {
    const auto c = value_or_throw(set.read_control(m));
    EXPECT_EQ(c[abi::CTRL_DONE_COUNT], items_on[m]) << "member " << m;
    EXPECT_EQ(c[abi::CTRL_FAULT_COUNT], 0u);
    EXPECT_EQ(c[abi::CTRL_OPCODE_COUNTS + abi::IDX_ATOMIC_ADD], items_on[m]);
    std::uint32_t shared = 0;
    for (std::uint32_t t = 0; t < TENANTS; ++t) {
      const bool here = route[t] == m;
      if (t != OBSERVABLES - 1) {
        EXPECT_EQ(observable(c, t), here ? t + 1 : 0u) << "member " << m << " word " << t;
      }
      EXPECT_EQ(c[abi::tenant_word(t, abi::TENANT_DONE)], here ? t + 2 : 0u) << "member " << m << " tenant " << t;
      shared += here ? 1 : 0;
    }
    // Word 63 is one word per member, not one across the set (tenant 63 also adds to it).
    EXPECT_EQ(observable(c, OBSERVABLES - 1), shared + (route[OBSERVABLES - 1] == m ? OBSERVABLES : 0u))
        << "member " << m;
    const LiveStats st = value_or_throw(set.stats(m));
    EXPECT_EQ(st.submitted, items_on[m]);
    EXPECT_EQ(st.completed, items_on[m]);
    total += items_on[m];
  }
  const LiveStats sum = set.stats();
  EXPECT_EQ(sum.submitted, total);
  EXPECT_EQ(sum.completed, total);
  EXPECT_EQ(sum.in_flight, 0u);
}

// What this catches: tickets on a removed member that never end, work submitted after
// remove() still landing there, tenants of the other members moving, items lost in the
// hand-over.
TEST(DeviceSetLive, RemoveMidStreamEndsEveryTicketAndMovesOnlyItsTenants) {
  constexpr std::uint32_t BATCHES = 2000, BATCH = 16, REMOVED = 1;
  DeviceSet set = start_set(4);
  const auto before = routes(set, TENANTS);
  std::vector<DeviceTicket> tickets(BATCHES);
  std::vector<char> after_remove(BATCHES, 0);
  std::atomic<std::uint32_t> submitted{0};
  std::atomic<bool> removed{false};
  std::atomic<bool> failed{false};
  std::thread producer([&] {
    for (std::uint32_t b = 0; b < BATCHES; ++b) {
      // Batches BATCHES/4..BATCHES/2 race the removal; the second half follows it.
      if (b == BATCHES / 2)
        while (!removed.load(std::memory_order_acquire)) std::this_thread::yield();
      const bool late = removed.load(std::memory_order_acquire);
      const std::uint32_t tenant = b % TENANTS;
      const std::vector<WorkItem> batch(BATCH, item(abi::OP_ATOMIC_ADD, tenant, {tenant, 1}));
      auto t = set.submit_wait(batch, 30s);
      if (!t) {
        ADD_FAILURE() << "batch " << b << ": " << t.error().what();
        failed = true;
        break;
      }
      tickets[b] = *t;
      after_remove[b] = late ? 1 : 0;
      submitted.store(b + 1, std::memory_order_release);
    }
  });
  // Remove once a quarter of the stream is in, while the producer keeps going.
  while (submitted.load(std::memory_order_acquire) < BATCHES / 4 && !failed) std::this_thread::yield();
  auto status = set.remove(REMOVED);
  removed.store(true, std::memory_order_release);
  producer.join();
  ASSERT_TRUE(status) << status.error().what();
  ASSERT_FALSE(failed);

  std::array<std::uint64_t, 4> routed{};
  std::uint32_t late = 0;
  for (std::uint32_t b = 0; b < BATCHES; ++b) {
    const DeviceTicket& t = tickets[b];
    auto done = set.wait(t, 10s);
    ASSERT_TRUE(done) << "batch " << b << ": " << done.error().what();
    ASSERT_TRUE(*done) << "batch " << b << " on member " << t.member() << " never ended";
    ASSERT_EQ(t.fault_count(), 0u);
    const std::uint32_t tenant = b % TENANTS;
    if (before[tenant] != REMOVED) {
      EXPECT_EQ(t.member(), before[tenant]) << "tenant " << tenant << " moved";
    }
    if (after_remove[b]) {
      ++late;
      EXPECT_NE(t.member(), REMOVED) << "batch " << b << " went to the removed member after remove() returned";
    }
    routed[t.member()] += BATCH;
  }
  EXPECT_GE(late, BATCHES / 2);
  ASSERT_TRUE(set.drain(10s));

  // None lost: each member's words hold exactly what its tickets carried, the removed
  // member's included (it stays readable).
  std::uint64_t sum = 0;
  for (std::uint32_t m = 0; m < 4; ++m) {
    const auto w = words_of(value_or_throw(set.read_control(m)));
    std::uint64_t here = 0;
    for (auto v : w) here += v;
    EXPECT_EQ(here, routed[m]) << "member " << m;
    sum += here;
  }
  EXPECT_EQ(sum, std::uint64_t{BATCHES} * BATCH);
}

// What this catches: a member whose kernel stalled keeps getting work, or its tickets
// hang instead of ending with a named error.
TEST(DeviceSetLive, FaultedMemberGetsNoNewWorkAndItsTicketsEndWithANamedError) {
  constexpr std::uint32_t SICK = 1;
  DeviceSet set = value_or_throw(DeviceSet::start(cpu_members(3, 0, 100ms)));
  const auto route = routes(set, TENANTS);
  std::uint32_t tenant = 0;
  while (route[tenant] != SICK) ++tenant;
  const std::vector<WorkItem> batch(4, item(abi::OP_ATOMIC_ADD, tenant, {tenant, 1}));

  device_set_test_inject_stall(set, SICK, true);
  // A lane inside a sweep when the stall lands may finish that sweep, so keep one batch
  // pending on the sick member until its watchdog fires and the set notices.
  std::vector<DeviceTicket> sick;
  const auto deadline = Clock::now() + 20s;
  while (value_or_throw(set.state(SICK)) == MemberState::Active) {
    ASSERT_LT(Clock::now(), deadline) << "the watchdog never fired";
    if (sick.empty() || sick.back().ready()) {
      auto t = set.submit(batch);
      ASSERT_TRUE(t) << t.error().what();
      if (t->member() == SICK) sick.push_back(*t);
    }
    (void)set.poll();
    std::this_thread::yield();
  }
  EXPECT_EQ(value_or_throw(set.state(SICK)), MemberState::Faulted);
  ASSERT_FALSE(sick.empty());
  std::uint32_t errors = 0;
  for (const DeviceTicket& t : sick) {
    auto r = set.wait(t, 10s);
    if (r) {
      EXPECT_TRUE(*r) << "a ticket of the faulted member neither ended nor failed";
      continue;
    }
    ++errors;
    EXPECT_EQ(r.error().message().rfind("member 1 (cpu:1): ", 0), 0u) << what(r.error());
  }
  EXPECT_GE(errors, 1u);
  auto health = set.health(SICK);
  ASSERT_FALSE(health);

  // Its tenant's next batch runs elsewhere.
  const std::uint32_t next = value_or_throw(set.member_for(tenant));
  EXPECT_NE(next, SICK);
  auto moved = set.submit(batch);
  ASSERT_TRUE(moved) << moved.error().what();
  EXPECT_EQ(moved->member(), next);
  ASSERT_TRUE(value_or_throw(set.wait(*moved, 10s)));
  EXPECT_EQ(set.active_count(), 2u);
  ASSERT_TRUE(set.drain(10s)) << "drain covers the active members only";
  ASSERT_TRUE(set.remove(SICK)) << "a faulted member can be removed";
  EXPECT_EQ(value_or_throw(set.state(SICK)), MemberState::Removed);
}

// What this catches: routing or ticket bookkeeping that loses or duplicates items when
// several producers submit to several members at once (each add's previous value is
// unique per member and word only if every item ran exactly once).
TEST(DeviceSetLive, MillionItemsOverFourMembersNoneLostOrDuplicated) {
  const char* env = std::getenv("MK_LIVE_STRESS_ITEMS");  // ThreadSanitizer runs fewer
  const std::uint64_t requested = env ? std::strtoull(env, nullptr, 10) : 1'000'000ull;
  constexpr std::uint32_t PRODUCERS = 4, BATCH = 250;
  const std::uint32_t per_producer = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, std::min<std::uint64_t>(requested, 1'000'000) / PRODUCERS / BATCH));
  const std::uint64_t total = std::uint64_t{per_producer} * PRODUCERS * BATCH;
  DeviceSet set = start_set(4);

  // Each producer's tickets with the tenant (= word) of their batch.
  std::vector<std::vector<std::pair<std::uint32_t, DeviceTicket>>> tickets(PRODUCERS);
  std::vector<std::thread> producers;
  for (std::uint32_t p = 0; p < PRODUCERS; ++p)
    producers.emplace_back([&, p] {
      std::vector<WorkItem> batch;
      for (std::uint32_t b = 0; b < per_producer; ++b) {
        const std::uint32_t tenant = (p * 17 + b) % TENANTS;
        batch.assign(BATCH, item(abi::OP_ATOMIC_ADD, tenant, {tenant, 1}));
        auto t = set.submit_wait(batch, 60s);
        if (!t) {
          ADD_FAILURE() << "producer " << p << " batch " << b << ": " << t.error().what();
          return;
        }
        tickets[p].emplace_back(tenant, *t);
      }
    });
  for (auto& t : producers) t.join();
  ASSERT_TRUE(set.drain(60s));

  const auto route = routes(set, TENANTS);
  // previous[m][w]: the values word w of member m had before each of its adds.
  std::vector<std::vector<std::vector<std::uint32_t>>> previous(4, std::vector<std::vector<std::uint32_t>>(TENANTS));
  std::uint64_t seen = 0;
  for (const auto& list : tickets)
    for (const auto& [tenant, t] : list) {
      ASSERT_TRUE(value_or_throw(set.wait(t, 10s)));
      ASSERT_EQ(t.member(), route[tenant]) << "nothing was added or removed, so no tenant may move";
      ASSERT_EQ(t.fault_count(), 0u);
      ASSERT_EQ(t.results().size(), t.size());
      auto& p = previous[t.member()][tenant];
      for (const ItemResult& r : t.results()) {
        ASSERT_EQ(r.status, abi::STATUS_DONE);
        p.push_back(r.result);
      }
      seen += t.size();
    }
  ASSERT_EQ(seen, total);

  std::uint64_t sum = 0;
  for (std::uint32_t m = 0; m < 4; ++m) {
    const auto c = value_or_throw(set.read_control(m));
    std::uint64_t here = 0;
    for (std::uint32_t w = 0; w < TENANTS; ++w) {
      auto& p = previous[m][w];
      ASSERT_EQ(observable(c, w), p.size()) << "member " << m << " word " << w;
      std::sort(p.begin(), p.end());
      for (std::uint32_t i = 0; i < p.size(); ++i)
        ASSERT_EQ(p[i], i) << "member " << m << " word " << w << ": an add ran twice, not at all, or elsewhere";
      here += observable(c, w);
    }
    EXPECT_EQ(c[abi::CTRL_DONE_COUNT], here) << "member " << m;
    sum += here;
  }
  EXPECT_EQ(sum, total) << "sum of observables over the members";
  const LiveStats st = set.stats();
  EXPECT_EQ(st.submitted, total);
  EXPECT_EQ(st.completed, total);
}

}  // namespace
}  // namespace mk::multi_test
