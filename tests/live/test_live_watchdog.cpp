// The LiveSession watchdog: a stalled kernel becomes an error within 2x the timeout, and a healthy one never does.
#include "live_test_util.h"

#include <optional>

namespace mk::live_test {
namespace {

class LiveWatchdog : public LiveTest {};

// What this catches: a wait that spins forever on a hung kernel, an error raised late
// (past 2x the timeout) or with the wrong kind, a session that keeps accepting work
// after it failed, and a failed session that poisons the Megakernel for the next one.
TEST_P(LiveWatchdog, StallBecomesAnErrorWithinTwiceTheTimeout) {
  constexpr auto TIMEOUT = 200ms;
  LiveOptions options;
  options.watchdog_timeout = TIMEOUT;
  std::optional<LiveSession> session;
  {
    auto started = start(options);
    ASSERT_TRUE(started) << started.error().what();
    session.emplace(std::move(*started));
  }
  const std::vector<WorkItem> warm = {item(abi::OP_NOP, 0)};
  auto first = session->submit(warm);
  ASSERT_TRUE(first) << first.error().what();
  ASSERT_TRUE(completes(*session, *first));

  live_test_inject_stall(*session, true);
  // A lane already inside a sweep when the stall lands may still finish that sweep's
  // items; then the batch completes and the next one is the one that stays pending.
  const std::vector<WorkItem> batch(4, item(abi::OP_ATOMIC_ADD, 0, {0, 1}));
  std::optional<Error> error;
  std::optional<Ticket> stuck;
  Clock::duration elapsed{};
  for (int attempt = 0; attempt < 5 && !error; ++attempt) {
    const auto t0 = Clock::now();
    auto ticket = session->submit(batch);
    ASSERT_TRUE(ticket) << ticket.error().what();
    auto r = session->wait(*ticket, 10s);
    elapsed = Clock::now() - t0;
    if (r) {
      ASSERT_TRUE(*r) << "wait on a stalled kernel timed out after 10 s instead of failing";
      continue;  // finished by a sweep that began before the stall
    }
    error = r.error();
    stuck = *ticket;
  }
  ASSERT_TRUE(error.has_value()) << "5 batches completed on a stalled kernel";
  EXPECT_EQ(error->kind(), ErrorKind::Backend) << error->what();
  EXPECT_NE(error->message().find("stalled"), std::string::npos) << error->message();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
  EXPECT_LE(ms, 2 * TIMEOUT) << "the watchdog took " << ms.count() << " ms for a " << TIMEOUT.count() << " ms timeout";
  EXPECT_FALSE(stuck->ready());

  Status health = session->health();
  ASSERT_FALSE(health) << "health() is ok after the watchdog fired";
  EXPECT_EQ(health.error().kind(), error->kind());
  EXPECT_EQ(health.error().message(), error->message());
  auto more = session->submit(warm);
  ASSERT_FALSE(more) << "a failed session accepted work";
  EXPECT_EQ(more.error().kind(), ErrorKind::Backend) << more.error().what();
  EXPECT_FALSE(session->drain(10s)) << "drain succeeded on a stalled kernel";
  EXPECT_FALSE(session->poll());
  auto again = session->wait(*stuck, 10s);
  ASSERT_FALSE(again.has_value() && *again);
  ASSERT_FALSE(again.has_value()) << "a second wait timed out instead of failing";

  expect_returns_within("destroying the stalled session", 30s, [&] { session.reset(); });
  EXPECT_FALSE(stuck->ready());
  EXPECT_TRUE(stuck->results().empty());

  // The Megakernel is fine: a new session on it runs work.
  auto fresh = start(options);
  ASSERT_TRUE(fresh) << fresh.error().what();
  const std::vector<WorkItem> load = {item(abi::OP_ATOMIC_ADD, 0, {0, 5}), item(abi::OP_LOAD_U32, 0, {1})};
  auto ticket = fresh->submit(load);
  ASSERT_TRUE(ticket) << ticket.error().what();
  ASSERT_TRUE(completes(*fresh, *ticket));
  EXPECT_EQ(ticket->results()[0], (ItemResult{abi::STATUS_DONE, 0}))
      << "the new session starts from fresh control words";
  EXPECT_EQ(ticket->results()[1], (ItemResult{abi::STATUS_DONE, 0}));
  EXPECT_TRUE(fresh->health());
}

// What this catches: a watchdog that counts time without pending work, or misses the
// heartbeat or DONE_COUNT moving, and so fails a healthy session.
TEST_P(LiveWatchdog, HealthySessionIsNeverFlagged) {
  constexpr auto TIMEOUT = 100ms;
  LiveOptions options;
  options.watchdog_timeout = TIMEOUT;
  options.observable_count = 8;
  auto session = start(options);
  ASSERT_TRUE(session) << session.error().what();
  const std::vector<WorkItem> batch(16, item(abi::OP_ATOMIC_ADD, 0, {0, 1}));
  std::uint64_t batches = 0;
  const auto t0 = Clock::now();
  while (Clock::now() - t0 < 3 * TIMEOUT) {
    auto t = session->submit(batch);
    ASSERT_TRUE(t) << "after " << batches << " batches: " << t.error().what();
    ASSERT_TRUE(completes(*session, *t, 10s)) << "after " << batches << " batches";
    ASSERT_TRUE(session->health()) << session->health().error().what();
    ++batches;
  }
  ASSERT_TRUE(session->drain(10s));
  EXPECT_TRUE(session->health());
  auto control = control_at_done_count(*session, static_cast<std::uint32_t>(batches * batch.size()));
  ASSERT_TRUE(control) << control.error().what();
  EXPECT_EQ(observable(*control, 0), batches * batch.size());
  EXPECT_GT(session->stats().heartbeat, 0u) << "the lanes never beat";
}

INSTANTIATE_TEST_SUITE_P(Backends, LiveWatchdog, ::testing::ValuesIn(live_backend_params()), backend_name);

}  // namespace
}  // namespace mk::live_test
