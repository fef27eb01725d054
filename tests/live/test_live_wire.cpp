// The live wire format: torn, stale and forged slots never run, on every backend.
// What this catches: a lane that trusts chunk 0's tag alone, ignores the lap, skips the
// checksum, or runs a slot whose chunks come from two writes; a ticket that waits for
// earlier tickets; a live SHUTDOWN item.
#include "live_test_util.h"

#include <algorithm>
#include <array>

namespace mk::live_test {
namespace {

class LiveWire : public LiveTest {};

using Words = std::array<std::uint32_t, abi::SLOT_WORDS>;

// Wait (bounded) until the lanes have rejected more reads than `before`: proof that they
// looked at the forged slot. False when they never did.
bool rejected_since(const LiveSession& session, std::uint64_t before, std::chrono::seconds limit = 20s) {
  const auto deadline = Clock::now() + limit;
  while (session.stats().wire_rejects <= before) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

void store_all(LiveSession& session, std::uint64_t position, const Words& words) {
  for (unsigned c = abi::WIRE_CHUNKS; c-- > 0;) LiveTestWire::store_chunk(session, position, c, words);
}

TEST_P(LiveWire, TornStaleAndForgedSlotsAreNeverRun) {
  constexpr std::uint32_t SLOTS = 64;
  LiveOptions options;
  options.slot_count = SLOTS;
  options.observable_count = 16;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();

  // Lap 0: every slot gets an item, so each slot of lap 1 holds a stale item of lap 0.
  const std::vector<WorkItem> fill(SLOTS, item(abi::OP_ATOMIC_ADD, 0, {9, 1000}));
  auto filled = session->submit(fill);
  ASSERT_TRUE(filled) << filled.error().what();
  ASSERT_TRUE(completes(*session, *filled));

  enum Forgery { OutOfOrder, StaleChunk, BadChecksum, WrongLap, StaleReplay, FORGERIES };
  const char* names[FORGERIES] = {"chunk 0 first", "chunk 3 of the last lap", "bad checksum", "tags of lap 3",
                                  "a whole item of the last lap, then chunk 0"};
  for (int f = 0; f < FORGERIES; ++f) {
    SCOPED_TRACE(names[f]);
    const WorkItem add = item(abi::OP_ATOMIC_ADD, 0, {static_cast<std::uint32_t>(f), 7});
    const std::vector<WorkItem> one = {add};
    auto ticket = LiveTestWire::reserve(*session, one);
    ASSERT_TRUE(ticket) << ticket.error().what();
    const std::uint64_t position = ticket->sequence();
    const auto lap = static_cast<std::uint32_t>(position / SLOTS);
    ASSERT_EQ(lap, 1u);
    const Words good = LiveTestWire::words(*session, add, lap);
    const Words stale = LiveTestWire::words(*session, item(abi::OP_ATOMIC_ADD, 0, {10, 500}), lap - 1);
    const std::uint64_t before = session->stats().wire_rejects;
    switch (f) {
      case OutOfOrder:
        LiveTestWire::store_chunk(*session, position, 0, good);
        break;
      case StaleChunk:
        LiveTestWire::store_chunk(*session, position, 3, stale);
        for (unsigned c = 0; c < 3; ++c) LiveTestWire::store_chunk(*session, position, c, good);
        break;
      case BadChecksum: {
        Words bad = good;
        bad[abi::WIRE_CHECK] ^= 1u << abi::WIRE_HALF_SHIFT;
        store_all(*session, position, bad);
        break;
      }
      case WrongLap:
        store_all(*session, position, LiveTestWire::words(*session, add, lap + 2));
        break;
      case StaleReplay:
        store_all(*session, position, stale);  // reads as "nothing yet": not a reject
        LiveTestWire::store_chunk(*session, position, 0, good);
        break;
    }
    ASSERT_TRUE(rejected_since(*session, before)) << "the lanes never rejected the forged slot";
    EXPECT_FALSE(ticket->ready()) << "a forged slot ran";
    auto control = session->read_control();
    ASSERT_TRUE(control) << control.error().what();
    EXPECT_EQ(observable(*control, static_cast<std::uint32_t>(f)), 0u) << "a forged slot ran";
    // Now the real write: it runs exactly once.
    store_all(*session, position, good);
    ASSERT_TRUE(completes(*session, *ticket));
    EXPECT_EQ(ticket->results()[0], (ItemResult{abi::STATUS_DONE, 0}));
  }
  ASSERT_TRUE(session->drain(30s));
  auto control = control_at_done_count(*session, SLOTS + FORGERIES);
  ASSERT_TRUE(control) << control.error().what();
  for (int f = 0; f < FORGERIES; ++f) EXPECT_EQ(observable(*control, static_cast<std::uint32_t>(f)), 7u) << names[f];
  EXPECT_EQ(observable(*control, 9), SLOTS * 1000u);
  EXPECT_EQ(observable(*control, 10), 0u) << "a stale item ran";
  EXPECT_EQ((*control)[abi::CTRL_DONE_COUNT], SLOTS + FORGERIES);
}

TEST_P(LiveWire, ChunksStoredInEveryOrderRunEachItemOnceAndWhole) {
  // Each item is a PACKED_SLOT of three ATOMIC_ADDs whose arguments lie in chunks 1, 2
  // and 3, so a run of chunks from two laps would add the wrong deltas.
  constexpr std::uint32_t SLOTS = 64, ITEMS = 24 * 40, WORDS = 8;
  LiveOptions options;
  options.slot_count = SLOTS;
  options.observable_count = 3 * WORDS;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();
  std::array<unsigned, abi::WIRE_CHUNKS> order{0, 1, 2, 3};
  std::array<std::uint64_t, 3 * WORDS> expected{};
  for (std::uint32_t i = 0; i < ITEMS; ++i) {
    const std::uint32_t w = i % WORDS, delta = i + 1;
    std::vector<PackedOp> ops;
    for (std::uint32_t k = 0; k < 3; ++k) {
      ops.push_back(PackedOp{abi::OP_ATOMIC_ADD, {k * WORDS + w, delta * (k + 1), 0}});
      expected[k * WORDS + w] += delta * (k + 1);
    }
    auto packed = try_make_packed_item(0, ops);
    ASSERT_TRUE(packed) << packed.error().what();
    const std::vector<WorkItem> one = {*packed};
    auto ticket = LiveTestWire::reserve(*session, one);
    ASSERT_TRUE(ticket) << ticket.error().what();
    const Words words = LiveTestWire::words(*session, *packed, static_cast<std::uint32_t>(ticket->sequence() / SLOTS));
    for (unsigned c : order) LiveTestWire::store_chunk(*session, ticket->sequence(), c, words);
    std::next_permutation(order.begin(), order.end());
    ASSERT_TRUE(completes(*session, *ticket)) << "item " << i;
    ASSERT_EQ(ticket->results()[0].status, abi::STATUS_DONE) << "item " << i;
  }
  auto control = control_at_done_count(*session, ITEMS);
  ASSERT_TRUE(control) << control.error().what();
  for (std::uint32_t k = 0; k < 3 * WORDS; ++k) EXPECT_EQ(observable(*control, k), expected[k]) << "word " << k;
  EXPECT_EQ((*control)[abi::CTRL_DONE_COUNT], ITEMS);
  EXPECT_EQ((*control)[abi::CTRL_FAULT_COUNT], 0u);
}

TEST_P(LiveWire, TicketIsReadyWhenItsOwnItemsAreDoneNotEarlierOnes) {
  LiveOptions options;
  options.slot_count = 64;
  options.observable_count = 4;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();
  // An earlier ticket whose item is not even published yet...
  const std::vector<WorkItem> first = {item(abi::OP_ATOMIC_ADD, 0, {0, 1})};
  auto early = LiveTestWire::reserve(*session, first);
  ASSERT_TRUE(early) << early.error().what();
  // ...does not hold back a later one.
  const std::vector<WorkItem> second = {item(abi::OP_ATOMIC_ADD, 0, {1, 2})};
  auto late = session->submit(second);
  ASSERT_TRUE(late) << late.error().what();
  ASSERT_TRUE(completes(*session, *late));
  EXPECT_EQ(late->results()[0], (ItemResult{abi::STATUS_DONE, 0}));
  EXPECT_FALSE(early->ready());
  EXPECT_EQ(session->stats().completed, 0u) << "slots are reclaimed in ring order";
  // Once the earlier item is published both are done and both slots come back.
  store_all(*session, early->sequence(), LiveTestWire::words(*session, first[0], 0));
  ASSERT_TRUE(completes(*session, *early));
  EXPECT_EQ(early->results()[0], (ItemResult{abi::STATUS_DONE, 0}));
  ASSERT_TRUE(session->drain(30s));
  EXPECT_EQ(session->stats().completed, 2u);
}

TEST_P(LiveWire, SubmitRefusesShutdownItems) {
  auto session = start();
  ASSERT_TRUE(session) << session.error().what();
  const std::vector<WorkItem> batch = {item(abi::OP_STORE_U32, 0, {0, 1}), item(abi::OP_SHUTDOWN, 0)};
  auto refused = session->submit(batch);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(refused.error().fix().find("shutdown()"), std::string::npos) << refused.error().what();
  EXPECT_EQ(session->stats().submitted, 0u) << "a refused batch publishes nothing";
  // The session still runs.
  const std::vector<WorkItem> load = {item(abi::OP_LOAD_U32, 0, {0})};
  auto ok = session->submit(load);
  ASSERT_TRUE(ok) << ok.error().what();
  ASSERT_TRUE(completes(*session, *ok));
  EXPECT_EQ(ok->results()[0], (ItemResult{abi::STATUS_DONE, 0}));
  EXPECT_TRUE(session->health());
}

INSTANTIATE_TEST_SUITE_P(Backends, LiveWire, ::testing::ValuesIn(live_backend_params()), backend_name);

}  // namespace
}  // namespace mk::live_test
