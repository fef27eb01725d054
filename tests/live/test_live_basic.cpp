// LiveSession basics on one thread: per-item results, control counters, and every error path of submit/wait.
#include "live_test_util.h"

#include <algorithm>
#include <array>
#include <optional>

namespace mk::live_test {
namespace {

class LiveBasic : public LiveTest {};

constexpr std::uint32_t UNKNOWN_OPCODE = 0x1234;  // not a system id, not registered

std::string what(const Error& e) { return std::string(to_string(e.kind())) + ": " + e.message(); }

TEST_P(LiveBasic, MixedBatchGivesPerItemResultsAndExactCounters) {
  // Two tenants over 64 words; tenant 1 sees only words [32, 48).
  Bytes bytes = encode_control(false, 2, 64);
  set_tenant_policy(ByteSpan(bytes), 1, ~0ull, Window{32, 16});
  ASSERT_TRUE(try_write_observables(ByteSpan(bytes), 4, std::array<std::uint32_t, 1>{100}));
  ASSERT_TRUE(try_write_observables(ByteSpan(bytes), 10, std::array<std::uint32_t, 1>{1234}));
  ASSERT_TRUE(try_write_observables(ByteSpan(bytes), 32, std::array<std::uint32_t, 1>{4242}));
  LiveOptions options;
  options.control = to_words(bytes);
  options.slot_count = 32;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();

  const std::vector<WorkItem> batch = {
      item(abi::OP_STORE_U32, 0, {3, 77}),    // 0  DONE 0
      item(abi::OP_ATOMIC_ADD, 0, {4, 5}),    // 1  DONE 100 (previous value)
      item(abi::OP_LOAD_U32, 0, {10}),        // 2  DONE 1234
      item(abi::OP_NOP, 0),                   // 3  DONE 0
      item(abi::OP_ATOMIC_ADD, 0, {6, 1}),    // 4  DONE, order with 5 is free
      item(abi::OP_ATOMIC_ADD, 0, {6, 2}),    // 5  DONE
      item(abi::OP_STORE_U32, 1, {2, 9}),     // 6  DONE 0 (observable 34)
      item(abi::OP_STORE_U32, 1, {16, 5}),    // 7  FAULT OUT_OF_BOUNDS (window is 16 words)
      item(abi::OP_ATOMIC_ADD, 1, {100, 1}),  // 8  FAULT OUT_OF_BOUNDS
      item(UNKNOWN_OPCODE, 0, {1, 2}),        // 9  FAULT UNKNOWN_OPCODE
      item(abi::OP_LOAD_U32, 1, {0}),         // 10 DONE 4242 (observable 32)
      item(abi::OP_NOP, 7),                   // 11 FAULT UNAUTHORIZED (tenant >= tenant_count)
  };
  auto ticket = session->submit(batch);
  ASSERT_TRUE(ticket) << ticket.error().what();
  EXPECT_TRUE(static_cast<bool>(*ticket));
  EXPECT_EQ(ticket->sequence(), 0u);
  EXPECT_EQ(ticket->size(), batch.size());
  ASSERT_TRUE(completes(*session, *ticket));

  const auto r = ticket->results();
  ASSERT_EQ(r.size(), batch.size());
  const std::uint32_t D = abi::STATUS_DONE, F = abi::STATUS_FAULT;
  EXPECT_EQ(r[0], (ItemResult{D, 0}));
  EXPECT_EQ(r[1], (ItemResult{D, 100}));
  EXPECT_EQ(r[2], (ItemResult{D, 1234}));
  EXPECT_EQ(r[3], (ItemResult{D, 0}));
  EXPECT_EQ(r[4].status, D);
  EXPECT_EQ(r[5].status, D);
  // Whichever add ran first saw 0; the other saw the first one's delta.
  EXPECT_TRUE((r[4].result == 0 && r[5].result == 1) || (r[5].result == 0 && r[4].result == 2))
      << "adds to word 6 returned " << r[4].result << " and " << r[5].result;
  EXPECT_EQ(r[6], (ItemResult{D, 0}));
  EXPECT_EQ(r[7], (ItemResult{F, abi::FAULT_OUT_OF_BOUNDS}));
  EXPECT_EQ(r[8], (ItemResult{F, abi::FAULT_OUT_OF_BOUNDS}));
  EXPECT_EQ(r[9], (ItemResult{F, abi::FAULT_UNKNOWN_OPCODE}));
  EXPECT_EQ(r[10], (ItemResult{D, 4242}));
  EXPECT_EQ(r[11], (ItemResult{F, abi::FAULT_UNAUTHORIZED}));
  EXPECT_EQ(ticket->fault_count(), 4u);

  ASSERT_TRUE(session->drain(10s));
  auto control = control_at_done_count(*session, 12);
  ASSERT_TRUE(control) << control.error().what();
  const auto& c = *control;
  EXPECT_EQ(c[abi::CTRL_DONE_COUNT], 12u) << "DONE_COUNT counts DONE and FAULT items";
  EXPECT_EQ(c[abi::CTRL_FAULT_COUNT], 4u);
  EXPECT_EQ(c[abi::tenant_word(0, abi::TENANT_DONE)], 6u);
  EXPECT_EQ(c[abi::tenant_word(0, abi::TENANT_FAULTS)], 1u);
  EXPECT_EQ(c[abi::tenant_word(1, abi::TENANT_DONE)], 2u);
  EXPECT_EQ(c[abi::tenant_word(1, abi::TENANT_FAULTS)], 2u);
  std::array<std::uint32_t, abi::MAX_OPCODES> counts{};
  counts[abi::IDX_NOP] = 1;
  counts[abi::IDX_STORE_U32] = 2;
  counts[abi::IDX_ATOMIC_ADD] = 3;
  counts[abi::IDX_LOAD_U32] = 2;
  for (std::uint32_t i = 0; i < abi::MAX_OPCODES; ++i)
    EXPECT_EQ(c[abi::CTRL_OPCODE_COUNTS + i], counts[i]) << "OPCODE_COUNTS[" << i << "] (DONE items only)";
  std::vector<std::uint32_t> expected(64, 0);
  expected[3] = 77;
  expected[4] = 105;
  expected[6] = 3;
  expected[10] = 1234;
  expected[32] = 4242;
  expected[34] = 9;
  for (std::uint32_t w = 0; w < 64; ++w) EXPECT_EQ(observable(c, w), expected[w]) << "observable " << w;
  // The byte form feeds the protocol's read_* helpers directly.
  const Bytes control_bytes = value_or_throw(session->read_control_bytes());
  EXPECT_EQ(read_observable(control_bytes, 34), 9u);
  EXPECT_EQ(read_done_count(control_bytes), 12u);

  const LiveStats st = session->stats();
  EXPECT_EQ(st.submitted, 12u);
  EXPECT_EQ(st.completed, 12u);
  EXPECT_EQ(st.in_flight, 0u);
  EXPECT_EQ(st.rejected_full, 0u);
  EXPECT_TRUE(session->health());
}

TEST_P(LiveBasic, LaterBatchesSeeEarlierWritesAndSequencesAdvance) {
  auto session = start();
  ASSERT_TRUE(session) << session.error().what();
  const std::vector<WorkItem> stores = {item(abi::OP_STORE_U32, 0, {0, 11}), item(abi::OP_STORE_U32, 0, {1, 22}),
                                        item(abi::OP_STORE_U32, 0, {2, 33})};
  auto first = session->submit(stores);
  ASSERT_TRUE(first) << first.error().what();
  ASSERT_TRUE(completes(*session, *first));
  const std::vector<WorkItem> loads = {item(abi::OP_LOAD_U32, 0, {2}), item(abi::OP_LOAD_U32, 0, {0}),
                                       item(abi::OP_LOAD_U32, 0, {1}), item(abi::OP_LOAD_U32, 0, {3})};
  auto second = session->submit(loads);
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_EQ(second->sequence(), 3u);
  ASSERT_TRUE(completes(*session, *second));
  const auto r = second->results();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (ItemResult{abi::STATUS_DONE, 33}));
  EXPECT_EQ(r[1], (ItemResult{abi::STATUS_DONE, 11}));
  EXPECT_EQ(r[2], (ItemResult{abi::STATUS_DONE, 22}));
  EXPECT_EQ(r[3], (ItemResult{abi::STATUS_DONE, 0}));
  EXPECT_EQ(second->fault_count(), 0u);
  // A copy of a ticket sees the same results.
  const Ticket copy = *first;
  ASSERT_TRUE(copy.ready());
  EXPECT_EQ(copy.results().size(), 3u);
  EXPECT_EQ(copy.results()[1], (ItemResult{abi::STATUS_DONE, 0}));
}

TEST_P(LiveBasic, StartRejectsBadOptions) {
  LiveOptions no_slots;
  no_slots.slot_count = 0;
  auto a = start(no_slots);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().kind(), ErrorKind::InvalidArgument);
  LiveOptions no_timeout;
  no_timeout.watchdog_timeout = 0ms;
  auto b = start(no_timeout);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind(), ErrorKind::InvalidArgument);
}

TEST_P(LiveBasic, EmptyOversizedAndFenceBatchesAreInvalidAndPublishNothing) {
  LiveOptions options;
  options.slot_count = 8;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();

  auto empty = session->submit(std::span<const WorkItem>{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind(), ErrorKind::InvalidArgument) << what(empty.error());

  const std::vector<WorkItem> nine(9, item(abi::OP_STORE_U32, 0, {0, 1}));
  auto oversized = session->submit(nine);
  ASSERT_FALSE(oversized);
  EXPECT_EQ(oversized.error().kind(), ErrorKind::InvalidArgument) << what(oversized.error());
  // Never satisfiable, so submit_wait must not wait for room either.
  auto oversized_wait = session->submit_wait(nine, 10s);
  ASSERT_FALSE(oversized_wait);
  EXPECT_EQ(oversized_wait.error().kind(), ErrorKind::InvalidArgument) << what(oversized_wait.error());

  // The store before the fence must not be published either: a batch is whole or absent.
  WorkItem fence = item(abi::OP_BATCH_FENCE, 0, {0, 1, 99});
  const std::vector<WorkItem> fenced = {item(abi::OP_STORE_U32, 0, {5, 55}), fence};
  auto with_fence = session->submit(fenced);
  ASSERT_FALSE(with_fence);
  EXPECT_EQ(with_fence.error().kind(), ErrorKind::InvalidArgument) << what(with_fence.error());

  const LiveStats st = session->stats();
  EXPECT_EQ(st.submitted, 0u);
  EXPECT_EQ(st.in_flight, 0u);
  EXPECT_EQ(st.rejected_full, 0u) << "invalid batches are not QueueFull rejections";

  // The session still works, and the rejected store never ran.
  const std::vector<WorkItem> load = {item(abi::OP_LOAD_U32, 0, {5})};
  auto ok = session->submit(load);
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(ok->sequence(), 0u);
  ASSERT_TRUE(completes(*session, *ok));
  EXPECT_EQ(ok->results()[0], (ItemResult{abi::STATUS_DONE, 0}));
  auto control = control_at_done_count(*session, 1);
  ASSERT_TRUE(control) << control.error().what();
  EXPECT_EQ((*control)[abi::CTRL_DONE_COUNT], 1u);
  EXPECT_EQ((*control)[abi::CTRL_OPCODE_COUNTS + abi::IDX_BATCH_FENCE], 0u);
}

TEST_P(LiveBasic, ForeignAndEmptyTicketsAreInvalid) {
  auto a = start();
  ASSERT_TRUE(a) << a.error().what();
  auto b = start();
  ASSERT_TRUE(b) << b.error().what();
  const std::vector<WorkItem> one = {item(abi::OP_NOP, 0)};
  auto ticket = a->submit(one);
  ASSERT_TRUE(ticket) << ticket.error().what();

  auto foreign = b->wait(*ticket, 1s);
  ASSERT_FALSE(foreign) << "b accepted a ticket issued by a";
  EXPECT_EQ(foreign.error().kind(), ErrorKind::InvalidArgument);

  const Ticket none;
  EXPECT_FALSE(static_cast<bool>(none));
  EXPECT_FALSE(none.ready());
  EXPECT_TRUE(none.results().empty());
  EXPECT_EQ(none.size(), 0u);
  auto empty = a->wait(none, 1s);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind(), ErrorKind::InvalidArgument);

  EXPECT_TRUE(completes(*a, *ticket));
}

TEST_P(LiveBasic, SubmitAfterShutdownFailsAndOldTicketsStayReadable) {
  auto session = start();
  ASSERT_TRUE(session) << session.error().what();
  const std::vector<WorkItem> one = {item(abi::OP_ATOMIC_ADD, 0, {0, 3})};
  auto before = session->submit(one);
  ASSERT_TRUE(before) << before.error().what();
  ASSERT_TRUE(completes(*session, *before));
  ASSERT_TRUE(session->shutdown(5s));

  auto after = session->submit(one);
  ASSERT_FALSE(after) << "submit after shutdown was accepted";
  EXPECT_NE(after.error().kind(), ErrorKind::QueueFull) << what(after.error());
  auto after_wait = session->submit_wait(one, 10s);
  ASSERT_FALSE(after_wait);
  EXPECT_NE(after_wait.error().kind(), ErrorKind::QueueFull) << what(after_wait.error());
  EXPECT_EQ(session->stats().submitted, 1u);

  ASSERT_TRUE(before->ready());
  EXPECT_EQ(before->results()[0], (ItemResult{abi::STATUS_DONE, 0}));
  auto again = session->wait(*before, 0ns);
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_TRUE(*again);
  auto control = control_at_done_count(*session, 1);
  ASSERT_TRUE(control) << control.error().what();
  EXPECT_EQ(observable(*control, 0), 3u);
}

TEST_P(LiveBasic, FullRingGivesQueueFullUntilSlotsAreReclaimed) {
  LiveOptions options;
  options.slot_count = 8;
  options.watchdog_timeout = 60s;  // the stall below is deliberate
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();
  live_test_inject_stall(*session, true);

  // A lane already inside a sweep when the stall lands may still finish items of that
  // sweep; submit reclaims those, so fill until the first QueueFull (bounded).
  const std::vector<WorkItem> add = {item(abi::OP_ATOMIC_ADD, 0, {0, 1})};
  std::vector<Ticket> tickets;
  std::optional<Error> full;
  for (int i = 0; i < 64 && !full; ++i) {
    auto t = session->submit(add);
    if (t)
      tickets.push_back(*t);
    else
      full = t.error();
  }
  ASSERT_TRUE(full.has_value()) << "64 items went into a stalled ring of 8 slots";
  EXPECT_EQ(full->kind(), ErrorKind::QueueFull) << what(*full);
  EXPECT_GE(tickets.size(), 8u);
  LiveStats st = session->stats();
  EXPECT_EQ(st.rejected_full, 1u);
  EXPECT_EQ(st.in_flight, 8u);
  EXPECT_EQ(st.submitted, tickets.size());

  const std::vector<WorkItem> two(2, item(abi::OP_ATOMIC_ADD, 0, {0, 1}));
  auto full_again = session->submit(two);
  ASSERT_FALSE(full_again);
  EXPECT_EQ(full_again.error().kind(), ErrorKind::QueueFull) << what(full_again.error());
  auto bounded = session->submit_wait(add, 20ms);
  ASSERT_FALSE(bounded) << "submit_wait found room in a full stalled ring";
  EXPECT_EQ(bounded.error().kind(), ErrorKind::QueueFull) << what(bounded.error());
  EXPECT_GE(session->stats().rejected_full, 3u);
  EXPECT_EQ(session->stats().submitted, tickets.size());

  // A pending ticket: timeout 0 is "not yet", not an error.
  auto not_yet = session->wait(tickets.back(), 0ns);
  ASSERT_TRUE(not_yet) << not_yet.error().what();
  EXPECT_FALSE(*not_yet);
  EXPECT_FALSE(tickets.back().ready());
  EXPECT_TRUE(tickets.back().results().empty());
  EXPECT_TRUE(session->health());

  live_test_inject_stall(*session, false);
  ASSERT_TRUE(session->drain(30s));
  std::vector<std::uint32_t> previous;
  for (const Ticket& t : tickets) {
    ASSERT_TRUE(t.ready());
    ASSERT_EQ(t.results().size(), 1u);
    EXPECT_EQ(t.results()[0].status, abi::STATUS_DONE);
    previous.push_back(t.results()[0].result);
  }
  std::sort(previous.begin(), previous.end());
  for (std::uint32_t i = 0; i < previous.size(); ++i) ASSERT_EQ(previous[i], i) << "an add ran twice or not at all";

  // Room again.
  auto room = session->submit(two);
  ASSERT_TRUE(room) << room.error().what();
  ASSERT_TRUE(completes(*session, *room));
  st = session->stats();
  EXPECT_EQ(st.submitted, tickets.size() + 2);
  EXPECT_EQ(st.completed, st.submitted);
}

TEST_P(LiveBasic, TenantQuotaRejectsOnlyTheTenantOverIt) {
  LiveOptions options;
  options.slot_count = 16;
  options.tenant_count = 2;
  options.observable_count = 8;
  options.max_in_flight_per_tenant = 4;
  options.watchdog_timeout = 60s;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();
  // Quotas are returned when slots are harvested, and nothing here harvests before the
  // drain below (the ring never looks full); the stall only keeps the intent plain.
  live_test_inject_stall(*session, true);

  const std::vector<WorkItem> t0 = {item(abi::OP_ATOMIC_ADD, 0, {0, 1})};
  const std::vector<WorkItem> t1 = {item(abi::OP_ATOMIC_ADD, 1, {1, 1})};
  std::vector<Ticket> tickets;
  for (int i = 0; i < 4; ++i) {
    auto t = session->submit(t0);
    ASSERT_TRUE(t) << "tenant 0 item " << i << ": " << t.error().what();
    tickets.push_back(*t);
  }
  auto over = session->submit(t0);
  ASSERT_FALSE(over) << "tenant 0 went over its quota of 4";
  EXPECT_EQ(over.error().kind(), ErrorKind::QueueFull) << what(over.error());

  auto other = session->submit(t1);
  ASSERT_TRUE(other) << "tenant 1 was refused while only tenant 0 is at its quota: " << other.error().what();
  tickets.push_back(*other);

  // A batch mixing both tenants is refused whole, and tenant 1's share is given back.
  const std::vector<WorkItem> mixed = {t1[0], t0[0]};
  auto mixed_result = session->submit(mixed);
  ASSERT_FALSE(mixed_result);
  EXPECT_EQ(mixed_result.error().kind(), ErrorKind::QueueFull) << what(mixed_result.error());
  for (int i = 0; i < 3; ++i) {
    auto t = session->submit(t1);
    ASSERT_TRUE(t) << "tenant 1 item " << i + 1 << " of its 4: " << t.error().what();
    tickets.push_back(*t);
  }
  auto over1 = session->submit(t1);
  ASSERT_FALSE(over1);
  EXPECT_EQ(over1.error().kind(), ErrorKind::QueueFull) << what(over1.error());

  LiveStats st = session->stats();
  EXPECT_EQ(st.submitted, 8u);
  EXPECT_EQ(st.rejected_full, 3u);

  live_test_inject_stall(*session, false);
  ASSERT_TRUE(session->drain(30s));
  for (const Ticket& t : tickets) {
    ASSERT_TRUE(t.ready());
    EXPECT_EQ(t.results()[0].status, abi::STATUS_DONE);
  }
  // A batch holding more of one tenant than its whole quota can never fit: that is a
  // bad argument, not a full queue to wait out.
  const std::vector<WorkItem> five(5, t0[0]);
  auto never = session->submit(five);
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().kind(), ErrorKind::InvalidArgument) << what(never.error());
  // The quota came back with the harvested slots.
  const std::vector<WorkItem> four(4, t0[0]);
  auto again = session->submit(four);
  ASSERT_TRUE(again) << again.error().what();
  ASSERT_TRUE(completes(*session, *again));

  auto control = control_at_done_count(*session, 12);
  ASSERT_TRUE(control) << control.error().what();
  EXPECT_EQ((*control)[abi::CTRL_DONE_COUNT], 12u);
  EXPECT_EQ((*control)[abi::tenant_word(0, abi::TENANT_DONE)], 8u);
  EXPECT_EQ((*control)[abi::tenant_word(1, abi::TENANT_DONE)], 4u);
  EXPECT_EQ(observable(*control, 0), 8u);
  EXPECT_EQ(observable(*control, 1), 4u);
}

INSTANTIATE_TEST_SUITE_P(Backends, LiveBasic, ::testing::ValuesIn(live_backend_params()), backend_name);

}  // namespace
}  // namespace mk::live_test
