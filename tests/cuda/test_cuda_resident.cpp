// Resident handles, many-launch graphs and device-loss recovery on the GPU.
// What this catches: dispatches that silently fall back to host bytes, graph replays
// that reuse stale staging, slots overwritten while in flight, and a context that
// stays broken after a trap.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cuda/test_hooks.h"
#include "mk/mk.h"

namespace mk {
namespace {

WorkItem add(std::uint32_t addr, std::uint32_t delta) {
  return value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{addr, delta}));
}

struct Fixture {
  std::shared_ptr<Backend> backend;
  std::optional<Megakernel> mk;
};

Fixture cuda_fixture(std::uint32_t slots = 1024, std::uint32_t wg = 64) {
  Fixture f;
  if (!cuda_available()) return f;
  f.backend = value_or_throw(make_backend("cuda"));
  f.mk.emplace(value_or_throw(Megakernel::bootstrap_sharded(f.backend, slots, wg)));
  return f;
}

TEST(Resident, CpuBackendSaysUnsupported) {
  auto mk = value_or_throw(Megakernel::bootstrap(make_cpu_backend()));
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(256);
  auto h = mk.create_resident_handles(DispatchInput{control, ring, {}, {}});
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().kind(), ErrorKind::Unsupported);
  EXPECT_NE(h.error().message().find("resident"), std::string::npos);
}

TEST(Resident, DispatchRunsOnDeviceBuffersAndReadsBack) {
  auto f = cuda_fixture();
  if (!f.mk) GTEST_SKIP() << "no CUDA device visible";
  auto control = encode_control(false, 1, 64);
  auto ring = encode_empty_ring(1024);
  std::vector<WorkItem> items;
  for (std::uint32_t i = 0; i < 1000; ++i) items.push_back(add(i % 64, 1));
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(ring), items));
  auto h = f.mk->create_resident_handles(DispatchInput{control, ring, {}, {}});
  ASSERT_TRUE(h) << h.error().what();
  auto stats = f.mk->dispatch_persistent_handles(*h);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_TRUE(stats->device_ns_known);
  EXPECT_EQ(stats->bytes_up, 0u) << "a resident dispatch must not move host bytes";
  OutputBuffers out;
  ASSERT_TRUE(h->readback(out));
  EXPECT_EQ(read_done_count(out.control), 1000u);
  std::uint64_t sum = 0;
  for (auto v : read_observables(out.control)) sum += v;
  EXPECT_EQ(sum, 1000u);
  // A second dispatch finds nothing new to run.
  auto again = f.mk->dispatch_persistent_handles_into(*h, out);
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(read_done_count(out.control), 1000u);
}

TEST(Resident, ManyLaunchRunsSubmissionsInOrderAndReusesSlots) {
  auto f = cuda_fixture();
  if (!f.mk) GTEST_SKIP() << "no CUDA device visible";
  auto control = encode_control(false, 1, 64);
  auto ring = encode_empty_ring(1024);
  auto h = value_or_throw(f.mk->create_resident_handles(DispatchInput{control, ring, {}, {}}));
  // 200 submissions of 8 items, all into slots 0..7: each must finish before the next
  // one can reuse the slots.
  std::vector<std::vector<WorkItem>> storage(200);
  std::vector<Submission> subs;
  for (std::uint32_t k = 0; k < 200; ++k) {
    for (std::uint32_t i = 0; i < 8; ++i) storage[k].push_back(add(i, k + 1));
    subs.push_back(Submission{0, storage[k]});
  }
  ManyScratch scratch;
  for (int rep = 0; rep < 3; ++rep) {  // same shape: the cached graph is replayed
    auto many = f.mk->dispatch_persistent_handles_many_with_scratch(h, subs, scratch);
    ASSERT_TRUE(many) << many.error().what();
    EXPECT_EQ(many->rejected, 0u);
    EXPECT_EQ(many->submissions, 200u);
    EXPECT_EQ(scratch.readback.done_count, 1600u * (rep + 1));
    for (std::uint32_t i = 0; i < 8; ++i) EXPECT_EQ(scratch.readback.observables[i], 20100u * (rep + 1)) << i;
  }
  // A different shape (fewer submissions, other slots) still runs correctly.
  std::vector<Submission> two{Submission{100, storage[0]}, Submission{200, storage[1]}};
  auto many = f.mk->dispatch_persistent_handles_many_with_scratch(h, two, scratch);
  ASSERT_TRUE(many) << many.error().what();
  EXPECT_EQ(scratch.readback.observables[0], 20100u * 3 + 1 + 2);
}

TEST(Resident, ManyLaunchRejectsSlotsStillInFlight) {
  auto f = cuda_fixture();
  if (!f.mk) GTEST_SKIP() << "no CUDA device visible";
  auto control = encode_control(false, 1, 64);
  auto ring = encode_empty_ring(1024);
  auto io = encode_empty_io_queue(4);
  // Slot 5 parks in WAIT_IO: nobody services the queue during the batch.
  publish_slot(ring, 5,
               value_or_throw(WorkItem::make(abi::OP_LOAD_MISS, 0, std::vector<std::uint32_t>{1, 0, 0, 4, 0})));
  auto h = value_or_throw(f.mk->create_resident_handles(DispatchInput{control, ring, {}, io}));
  ASSERT_TRUE(f.mk->dispatch_persistent_handles(h));
  std::vector<WorkItem> items(8, add(1, 1));
  std::vector<Submission> subs{Submission{0, items}};
  auto many = f.mk->dispatch_persistent_handles_many_observed(h, subs);
  ASSERT_TRUE(many) << many.error().what();
  EXPECT_EQ(many->rejected, 1u);
  OutputBuffers out;
  ASSERT_TRUE(h.readback(out));
  EXPECT_EQ(read_observable(out.control, 1), 7u);
  EXPECT_EQ(value_or_throw(try_read_slot(ConstByteSpan(out.ring), 5)).status, abi::STATUS_WAIT_IO);
}

TEST(Resident, SubmissionPastTheRingIsRejectedBeforeAnyLaunch) {
  auto f = cuda_fixture();
  if (!f.mk) GTEST_SKIP() << "no CUDA device visible";
  auto control = encode_control(false, 1, 64);
  auto ring = encode_empty_ring(1024);
  auto h = value_or_throw(f.mk->create_resident_handles(DispatchInput{control, ring, {}, {}}));
  std::vector<WorkItem> items(8, add(0, 1));
  std::vector<Submission> subs{Submission{0, items}, Submission{1020, items}};
  auto many = f.mk->dispatch_persistent_handles_many_observed(h, subs);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().kind(), ErrorKind::InvalidArgument);
  OutputBuffers out;
  ASSERT_TRUE(h.readback(out));
  EXPECT_EQ(read_done_count(out.control), 0u) << "nothing of the batch may run";
}

#if MK_TEST_HOOKS
TEST(Recovery, TrapBecomesDeviceLostAndRecoveryRestoresService) {
  auto f = cuda_fixture(256, 64);
  if (!f.mk) GTEST_SKIP() << "no CUDA device visible";
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(256);
  auto resident = value_or_throw(f.mk->create_resident_handles(DispatchInput{control, ring, {}, {}}));
  publish_slot(
      ring, 0,
      value_or_throw(WorkItem::make(detail::TEST_TRAP_OPCODE, 0, std::vector<std::uint32_t>{detail::TEST_TRAP_ARG})));
  auto lost = f.mk->dispatch(ConstByteSpan(control), ConstByteSpan(ring));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind(), ErrorKind::DeviceLost) << lost.error().what();
  EXPECT_NE(lost.error().fix().find("recover_after_device_loss"), std::string::npos);
  std::printf("trap reported as: %s\n", lost.error().what());

  const RecoveryReport report = f.mk->recover_after_device_loss();
  ASSERT_TRUE(report.original.has_value()) << "recovery must report the loss it recovers from";
  EXPECT_EQ(report.original->kind(), ErrorKind::DeviceLost);
  if (report.decision == RecoveryDecision::Unrecoverable) {
    // Some drivers (seen on H100, driver 580, after Xid 43) refuse a new context in a
    // process whose context trapped. Then recovery must say so, with a fix, and a new
    // process must be able to use the GPU.
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_NE(report.failure->fix().find("restart"), std::string::npos) << report.failure->what();
    std::printf("recovery in this process: Unrecoverable: %s\n", report.failure->what());
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const int rc =
        std::system((self + " --gtest_filter=Resident.DispatchRunsOnDeviceBuffersAndReadsBack > /dev/null").c_str());
    EXPECT_EQ(rc, 0) << "a fresh process could not use the GPU after the trap";
    std::printf("a fresh process dispatched correctly after the trap (rc=%d)\n", rc);
    return;
  }
  EXPECT_EQ(report.decision, RecoveryDecision::RebuiltStateLost);
  std::printf("recovery in this process: %s\n",
              report.decision == RecoveryDecision::Rebuilt ? "Rebuilt" : "RebuiltStateLost");

  // The next dispatch is correct.
  auto fresh = encode_empty_ring(256);
  publish_slot(fresh, 0, add(3, 7));
  auto ok = f.mk->dispatch(ConstByteSpan(control), ConstByteSpan(fresh));
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(read_observable(ok->control, 3), 7u);
  std::printf("after recovery: observable 3 = %u\n", read_observable(ok->control, 3));

  // Handles from before the loss say so until their buffers are uploaded again.
  auto stale = f.mk->dispatch_persistent_handles(resident);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind(), ErrorKind::DeviceLost);
  ASSERT_TRUE(resident.upload(BufferKind::Control, control));
  ASSERT_TRUE(resident.upload(BufferKind::Ring, fresh));
  ASSERT_TRUE(f.mk->dispatch_persistent_handles(resident));
  OutputBuffers out;
  ASSERT_TRUE(resident.readback(out));
  EXPECT_EQ(read_observable(out.control, 3), 7u);
}
#endif

}  // namespace
}  // namespace mk
