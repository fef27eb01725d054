// Isolated backends doing ordinary work: one-shot dispatch (with a debug log, an I/O
// queue, custom opcodes), compact batches and live sessions give what the in-process
// backend gives, and what isolation cannot forward is refused with a clear error.
#include <filesystem>
#include <fstream>

#include "isolate_test_util.h"

namespace mk::isolate_test {
namespace {

TEST(IsolatedDispatch, OneShotMatchesTheInProcessBackendWordForWord) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  EXPECT_EQ(backend->name(), "cpu");
  EXPECT_GT(isolate::test::worker_pid(*backend), 0);
  auto iso = value_or_throw(Megakernel::bootstrap_sharded(backend, 512, 64));
  auto local =
      value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.threads = 1, .deterministic = true}), 512, 64));
  auto control = encode_control(false, 2, 64);
  auto ring = encode_empty_ring(512);
  for (std::uint32_t s = 0; s < 200; ++s)
    publish_slot(
        ring, s,
        s % 3 == 0 ? item(abi::OP_STORE_U32, s % 2, {s % 64, s}) : item(abi::OP_ATOMIC_ADD, s % 2, {(s * 7) % 64, 1}));
  publish_slot(ring, 300, item(abi::OP_LOAD_U32, 0, {999}));  // faults OUT_OF_BOUNDS
  auto a = value_or_throw(iso.dispatch_readback(ConstByteSpan(control), ConstByteSpan(ring)));
  auto b = value_or_throw(local.dispatch_readback(ConstByteSpan(control), ConstByteSpan(ring)));
  EXPECT_EQ(a.done_count, 201u);
  EXPECT_EQ(a.fault_count, 1u);
  EXPECT_EQ(a.observables, b.observables);
  ASSERT_EQ(a.slots.size(), b.slots.size());
  for (std::size_t s = 0; s < a.slots.size(); ++s) {
    EXPECT_EQ(a.slots[s].status, b.slots[s].status) << "slot " << s;
    if (s % 3 == 0 || s >= 200) {  // ATOMIC_ADD results depend on order
      EXPECT_EQ(a.slots[s].result, b.slots[s].result) << "slot " << s;
    }
  }
}

TEST(IsolatedDispatch, CustomOpcodesDebugLogAndIoQueueWork) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  OpcodeHandler twice{0x1000, "twice", ir::body({ir::result(ir::arg(0) * ir::c(2))})};
  auto mk = value_or_throw(Megakernel::bootstrap_with_opcodes(backend, {twice}));
  auto control = encode_control(false, 1, 64);
  auto ring = encode_empty_ring(mk.slot_count());
  publish_slot(ring, 0, item(0x1000, 0, {21}));
  publish_slot(ring, 1, item(abi::OP_PRINTF, 0, {7, 1, 2}));
  publish_slot(ring, 2, item(abi::OP_LOAD_MISS, 0, {1, 0, 0, 8, 10}));
  OutputBuffers buffers{control, ring, encode_empty_debug_log(4), encode_empty_io_queue(4)};
  IoSources sources;
  const std::vector<std::byte> data{std::byte{1}, std::byte{0}, std::byte{0}, std::byte{0},
                                    std::byte{2}, std::byte{0}, std::byte{0}, std::byte{0}};
  ASSERT_TRUE(sources.add_bytes(1, data));
  auto stats = mk.dispatch_until_idle(buffers, sources);
  ASSERT_TRUE(stats) << stats.error().what();
  Readback rb;
  ASSERT_TRUE(try_decode_readback(buffers, rb));
  EXPECT_EQ(rb.slots[0].result, 42u);
  EXPECT_EQ(rb.debug_log.records.size(), 1u);
  EXPECT_EQ(rb.slots[2].status, abi::STATUS_DONE);
  EXPECT_EQ(rb.observables[10], 1u);
  EXPECT_EQ(rb.observables[11], 2u);
}

TEST(IsolatedDispatch, CompactBatchRuns) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  ASSERT_TRUE(backend->supports(Feature::CompactBatch));
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  const std::uint32_t n = 10000;
  auto batch = value_or_throw(BatchBuilder::make(mk, BatchShape::uniform(abi::OP_ATOMIC_ADD, 0, 2), n));
  Word* r = batch.append(n);
  for (std::uint32_t i = 0; i < n; ++i, r += 2) r[0] = i % 16, r[1] = 1;
  BatchOutput out;
  auto control = encode_control(false, 1, 16);
  auto stats = mk.dispatch_batch(control, batch.view(), out);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(out.fault_count(), 0u);
  for (std::uint32_t w = 0; w < 16; ++w) EXPECT_EQ(read_observable(out.control(), w), n / 16) << "word " << w;
}

TEST(IsolatedDispatch, ResidentHandlesAndTracesAreRefusedWithAFix) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  EXPECT_FALSE(backend->supports(Feature::ResidentHandles));
  EXPECT_FALSE(backend->supports(Feature::ManyLaunch));
  EXPECT_FALSE(backend->supports(Feature::Trace));
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(mk.slot_count());
  auto handles = mk.create_resident_handles(DispatchInput{control, ring, {}, {}});
  ASSERT_FALSE(handles);
  EXPECT_EQ(handles.error().kind(), ErrorKind::Unsupported);
  std::printf("resident handles: %s / fix: %s\n", handles.error().what(), handles.error().fix().c_str());
  EXPECT_FALSE(handles.error().fix().empty());
  OutputBuffers buffers{control, ring, {}, {}};
  std::vector<TraceEvent> trace;
  auto traced = mk.dispatch_in_place(buffers, &trace);
  ASSERT_FALSE(traced);
  EXPECT_EQ(traced.error().kind(), ErrorKind::Unsupported);
}

TEST(IsolatedDispatch, RecoveryWithoutAFaultIsRebuiltAfterAHealthCheck) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  const RecoveryReport report = mk.recover_after_device_loss();
  EXPECT_EQ(report.decision, RecoveryDecision::Rebuilt) << (report.failure ? report.failure->what() : "");
  EXPECT_TRUE(dispatch_is_correct(mk));
}

TEST(IsolatedDispatch, DevicesNameTheWorker) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  auto devices = backend->devices();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(devices[0].kind, "cpu");
  EXPECT_NE(devices[0].name.find("isolated worker"), std::string::npos) << devices[0].name;
}

// What this catches: a live session whose ring or records are not really shared (results
// never arrive), counters not relayed (drain never returns), or read_control reading stale
// words.
TEST(IsolatedLive, SubmitWaitDrainAndReadControl) {
  auto backend = isolated_cpu();
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  LiveOptions options;
  options.slot_count = 256;
  options.observable_count = 16;
  auto session = value_or_throw(LiveSession::start(mk, options));
  std::vector<Ticket> tickets;
  for (int b = 0; b < 50; ++b) {
    std::vector<WorkItem> batch(100, item(abi::OP_ATOMIC_ADD, 0, {static_cast<std::uint32_t>(b % 4), 1}));
    tickets.push_back(value_or_throw(session.submit_wait(batch, 30s)));
  }
  for (const Ticket& t : tickets) ASSERT_TRUE(value_or_throw(session.wait(t, 30s)));
  ASSERT_TRUE(session.drain(30s));
  auto control = value_or_throw(session.read_control());
  EXPECT_EQ(control[abi::CTRL_DONE_COUNT], 5000u);
  for (std::uint32_t w = 0; w < 4; ++w)
    EXPECT_EQ(control[abi::CTRL_OBSERVABLES + w], w < 2 ? 1300u : 1200u) << "word " << w;  // 13, 13, 12, 12 batches
  const LiveStats st = session.stats();
  EXPECT_EQ(st.submitted, 5000u);
  EXPECT_EQ(st.completed, 5000u);
  EXPECT_EQ(st.restarts, 0u);
  EXPECT_EQ(st.lost, 0u);
}

}  // namespace
}  // namespace mk::isolate_test
