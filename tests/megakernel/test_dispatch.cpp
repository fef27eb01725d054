// The one-shot dispatch family: borrowed/owned/_into/_observed/_readback and validation.
#include <cstring>

#include "test_util.h"

namespace mk::test {
namespace {

std::vector<WorkItem> store_and_add() {
  return {item(abi::OP_STORE_U32, {3, 7}), item(abi::OP_ATOMIC_ADD, {4, 5}), item(abi::OP_ATOMIC_ADD, {4, 6}),
          item(abi::OP_LOAD_U32, {9})};
}

TEST(Dispatch, BorrowedInputIsCopiedAndLeftUntouched) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(256, store_and_add());
  const Bytes control_before = in.control, ring_before = in.ring;
  auto out = mk.dispatch(ConstByteSpan(in.control), ConstByteSpan(in.ring));
  ASSERT_TRUE(out) << out.error().what();
  EXPECT_EQ(in.control, control_before);
  EXPECT_EQ(in.ring, ring_before);
  EXPECT_EQ(read_observable(out->control, 3), 7u);
  EXPECT_EQ(read_observable(out->control, 4), 11u);
  EXPECT_EQ(read_done_count(out->control), 4u);
}

TEST(Dispatch, OwnedInputRunsInPlace) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(256, store_and_add());
  const std::byte* control_ptr = in.control.data();
  const std::byte* ring_ptr = in.ring.data();
  auto out = mk.dispatch(std::move(in.control), std::move(in.ring));
  ASSERT_TRUE(out) << out.error().what();
  EXPECT_EQ(out->control.data(), control_ptr);
  EXPECT_EQ(out->ring.data(), ring_ptr);
  EXPECT_EQ(read_observable(out->control, 4), 11u);
}

TEST(Dispatch, IntoReusesCallerBuffersWhenShapesRepeat) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(256, store_and_add());
  auto log = encode_empty_debug_log(8);
  auto io = encode_empty_io_queue(4);
  OutputBuffers out;
  ASSERT_TRUE(mk.dispatch_with_io_queue_into(in.control, in.ring, log, io, out));
  const void* ptrs[] = {out.control.data(), out.ring.data(), out.debug_log.data(), out.io_queue.data()};
  for (int i = 0; i < 5; ++i) {
    auto stats = mk.dispatch_with_io_queue_into(in.control, in.ring, log, io, out);
    ASSERT_TRUE(stats) << stats.error().what();
    EXPECT_EQ(stats->items_done, 4u);
    const void* again[] = {out.control.data(), out.ring.data(), out.debug_log.data(), out.io_queue.data()};
    for (int k = 0; k < 4; ++k) EXPECT_EQ(again[k], ptrs[k]) << "buffer " << k << " was reallocated";
  }
  EXPECT_EQ(read_observable(out.control, 4), 11u);
}

TEST(Dispatch, ObservedReportsItemsSweepsAndWallTime) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(256, store_and_add());
  auto d = mk.dispatch_observed(ConstByteSpan(in.control), ConstByteSpan(in.ring));
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->stats.items_done, 4u);
  // Nothing went back to PUBLISHED, so one round drains the ring.
  EXPECT_EQ(d->stats.sweeps, 1u);
  EXPECT_GT(d->stats.wall_ns, 0u);
  EXPECT_FALSE(d->stats.device_ns_known);
}

TEST(Dispatch, ReadbackDecodesEveryBuffer) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(
      256, {item(abi::OP_STORE_U32, {1, 42}), item(abi::OP_PRINTF, {5, 1, 2}), item(abi::OP_LOAD_U32, {1000})});
  auto log = encode_empty_debug_log(4);
  auto io = encode_empty_io_queue(2);
  auto r = mk.dispatch_with_io_queue_readback(in.control, in.ring, log, io);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->done_count, 3u);
  EXPECT_EQ(r->fault_count, 1u);
  EXPECT_EQ(r->observables.size(), 64u);
  EXPECT_EQ(r->observables[1], 42u);
  ASSERT_EQ(r->slots.size(), 256u);
  EXPECT_EQ(r->slots[2].status, abi::STATUS_FAULT);
  EXPECT_EQ(r->slots[2].result, abi::FAULT_OUT_OF_BOUNDS);
  ASSERT_EQ(r->debug_log.records.size(), 1u);
  EXPECT_EQ(r->debug_log.records[0].fmt_id, 5u);
  EXPECT_EQ(r->debug_log.records[0].args[1], 2u);
  ASSERT_EQ(r->tenants.size(), 1u);
  EXPECT_EQ(r->tenants[0].done, 2u);
  EXPECT_EQ(r->tenants[0].faults, 1u);
  EXPECT_EQ(r->metrics.size(), 2u);  // STORE_U32 and PRINTF; the faulted LOAD is not counted
}

TEST(Dispatch, FenceWaitingOnLaterSlotsTakesAnotherRound) {
  auto mk = value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.deterministic = true}), 64, 64));
  // The fence in slot 0 covers slots 1..2, which the single lane reaches after it.
  auto in = make_buffers(64, {item(abi::OP_BATCH_FENCE, {1, 2, 9}), item(abi::OP_NOP, {}), item(abi::OP_NOP, {})});
  auto d = mk.dispatch_observed(ConstByteSpan(in.control), ConstByteSpan(in.ring));
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->stats.sweeps, 2u);
  EXPECT_EQ(read_epoch(d->buffers.control), 1u);
  EXPECT_EQ(read_done_count(d->buffers.control), 3u);
}

TEST(Dispatch, RingOfTheWrongSizeIsRejectedBeforeRunning) {
  auto mk = cpu_megakernel(256, 64);
  auto in = make_buffers(128, store_and_add());
  auto out = mk.dispatch(ConstByteSpan(in.control), ConstByteSpan(in.ring));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(out.error().message().find("ring"), std::string::npos);
  EXPECT_NE(out.error().fix().find("256"), std::string::npos);
}

TEST(Dispatch, CorruptControlIsMalformed) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(256, store_and_add());
  in.control[0] = std::byte{0};
  auto out = mk.dispatch(ConstByteSpan(in.control), ConstByteSpan(in.ring));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind(), ErrorKind::Malformed);
}

TEST(Dispatch, TruncatedDebugLogIsMalformed) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(256, store_and_add());
  auto log = encode_empty_debug_log(8);
  log.resize(log.size() - 4);
  OutputBuffers out;
  auto stats = mk.dispatch_with_io_queue_into(in.control, in.ring, log, {}, out);
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind(), ErrorKind::Malformed);
  EXPECT_NE(stats.error().message().find("debug log"), std::string::npos);
}

TEST(Dispatch, CorruptIoQueueHeaderIsMalformed) {
  auto mk = cpu_megakernel();
  auto in = make_buffers(256, store_and_add());
  auto io = encode_empty_io_queue(2);
  const std::uint32_t huge = 1000;
  std::memcpy(io.data() + abi::IO_CAPACITY * 4, &huge, 4);
  OutputBuffers out;
  auto stats = mk.dispatch_with_io_queue_into(in.control, in.ring, {}, io, out);
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind(), ErrorKind::Malformed);
  EXPECT_NE(stats.error().message().find("CAPACITY"), std::string::npos);
}

TEST(Dispatch, ShutdownStopsTheSingleThreadedInterpreter) {
  auto mk = value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.deterministic = true}), 64, 64));
  auto in =
      make_buffers(64, {item(abi::OP_STORE_U32, {0, 1}), item(abi::OP_SHUTDOWN, {}), item(abi::OP_STORE_U32, {1, 1})});
  auto r = mk.dispatch_readback(in.control, in.ring);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->shutdown, 1u);
  EXPECT_EQ(r->slots[1].status, abi::STATUS_DONE);
  // Deterministic mode finishes its sweep, then stops: the item after SHUTDOWN in the
  // same sweep still runs, nothing starts another round.
  EXPECT_EQ(r->done_count, 3u);
}

TEST(Dispatch, ShutdownByNonAdminFaults) {
  auto mk = cpu_megakernel(64, 64);
  auto in = make_buffers(64, {item(abi::OP_SHUTDOWN, {}, 1)}, 64, 2);
  auto r = mk.dispatch_readback(in.control, in.ring);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->shutdown, 0u);
  EXPECT_EQ(r->slots[0].status, abi::STATUS_FAULT);
  EXPECT_EQ(r->slots[0].result, abi::FAULT_UNAUTHORIZED);
}

TEST(Dispatch, TraceRecordsOneEventPerStep) {
  auto mk = cpu_megakernel();
  OutputBuffers b = make_buffers(256, store_and_add());
  std::vector<TraceEvent> trace;
  auto stats = mk.dispatch_in_place(b, &trace);
  ASSERT_TRUE(stats) << stats.error().what();
  ASSERT_EQ(trace.size(), 4u);
  for (const auto& e : trace) {
    EXPECT_LT(e.slot, 4u);
    EXPECT_LE(e.claim_ns, e.finish_ns);
    EXPECT_EQ(e.status, abi::STATUS_DONE);
  }
}

TEST(Dispatch, ManyThreadsDrainEverySlotExactlyOnce) {
  auto mk = value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.threads = 4}), 4096, 64));
  std::vector<WorkItem> items;
  for (std::uint32_t i = 0; i < 4096; ++i) items.push_back(item(abi::OP_ATOMIC_ADD, {i % 8, 1}));
  auto in = make_buffers(4096, items);
  auto r = mk.dispatch_readback(in.control, in.ring);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->done_count, 4096u);
  for (std::uint32_t w = 0; w < 8; ++w) EXPECT_EQ(r->observables[w], 512u);
  for (const auto& s : r->slots) EXPECT_EQ(s.status, abi::STATUS_DONE);
}

}  // namespace
}  // namespace mk::test
