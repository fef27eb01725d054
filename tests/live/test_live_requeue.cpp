// Custom opcodes that requeue, in a live session.
//
// What this catches: a requeued live item that is answered before it finished (its
// ticket ready with a REQUEUE status), that loses its place in the ticket (results out
// of submit order), that runs more or fewer times than the one-shot rule says (it runs
// again until it ends, and the 65th requeue faults STEP_BUDGET), or that holds up the
// items behind it. CUDA live sessions refuse custom opcodes (checked here too).
#include <gtest/gtest.h>

#include "live_test_util.h"
#include "mk/ir.h"

namespace mk::live_test {
namespace {

// 4096: add arg(1) to word arg(0), requeueing until the item has run arg(2) times (its run
// count is word arg(0) + 1), as in the batch path's test of the same opcode.
OpcodeHandler add_after_runs() {
  using namespace mk::ir;
  return OpcodeHandler{4096, "add_after_runs",
                       body({let("n", atomic_add(arg(0) + c(1), c(1))), if_(lt(var("n"), arg(2)), body({requeue()})),
                             result(atomic_add(arg(0), arg(1)))})};
}

class LiveRequeue : public LiveTest {
 protected:
  std::vector<OpcodeHandler> opcodes() const override { return {add_after_runs()}; }
};

TEST_P(LiveRequeue, RequeuedItemsKeepTheirPlaceAndRunUntilTheyEnd) {
  LiveOptions options;
  options.observable_count = 64;
  auto session = start(options);
  if (GetParam() == "cuda") {
    ASSERT_FALSE(session);
    EXPECT_EQ(session.error().kind(), ErrorKind::Unsupported) << session.error().what();
    return;
  }
  ASSERT_TRUE(session) << session.error().what();
  const std::vector<WorkItem> items{
      value_or_throw(WorkItem::make(4096, 0, {0, 7, 3})),              // 0: runs 4 times, then adds 7
      value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, {20, 1})),  // 1: a plain item behind it
      value_or_throw(WorkItem::make(4096, 0, {10, 1, 70})),            // 2: needs 70 runs: STEP_BUDGET
      value_or_throw(WorkItem::make(4096, 0, {30, 5, 1})),             // 3: runs twice
      value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, {21, 1})),  // 4: a plain item after both
  };
  auto ticket = session->submit(items);
  ASSERT_TRUE(ticket) << ticket.error().what();
  auto done = session->wait(*ticket, 10s);
  ASSERT_TRUE(done) << done.error().what();
  ASSERT_TRUE(*done);
  const auto r = ticket->results();
  ASSERT_EQ(r.size(), items.size());
  EXPECT_EQ(r[0], (ItemResult{abi::STATUS_DONE, 0}));
  EXPECT_EQ(r[1], (ItemResult{abi::STATUS_DONE, 0}));
  EXPECT_EQ(r[2], (ItemResult{abi::STATUS_FAULT, abi::FAULT_STEP_BUDGET}));
  EXPECT_EQ(r[3], (ItemResult{abi::STATUS_DONE, 0}));
  EXPECT_EQ(r[4], (ItemResult{abi::STATUS_DONE, 0}));
  ASSERT_TRUE(session->drain(10s));
  auto c = control_at_done_count(*session, static_cast<std::uint32_t>(items.size()));
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(observable(*c, 0), 7u);
  EXPECT_EQ(observable(*c, 1), 4u);  // three requeued runs, then the add
  EXPECT_EQ(observable(*c, 10), 0u);
  EXPECT_EQ(observable(*c, 11), abi::MAX_REQUEUES + 1);  // the 65th requeue faulted
  EXPECT_EQ(observable(*c, 20), 1u);
  EXPECT_EQ(observable(*c, 21), 1u);
  EXPECT_EQ(observable(*c, 30), 5u);
  EXPECT_EQ(observable(*c, 31), 2u);
  EXPECT_EQ((*c)[abi::CTRL_FAULT_COUNT], 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, LiveRequeue, ::testing::ValuesIn(live_backend_params()), backend_name);

}  // namespace
}  // namespace mk::live_test
