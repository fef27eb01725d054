// GPU stress: >= 10^8 items through resident dispatches, none lost or duplicated.
// What this catches: claims lost or doubled across blocks, counter batching that drops
// or double-counts a run, and state leaking from one dispatch into the next.
#include <gtest/gtest.h>

#include <cstdlib>

#include "mk/mk.h"

namespace mk {
namespace {

TEST(GpuStress, HundredMillionItemsNoneLostOrDuplicated) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device visible";
  const char* env = std::getenv("MK_GPU_STRESS_ITEMS");
  const std::uint64_t target = env ? std::strtoull(env, nullptr, 10) : 100'000'000ull;
  constexpr std::uint32_t SLOTS = 1u << 20;
  constexpr std::uint32_t WORDS = 1024;
  auto backend = value_or_throw(make_backend("cuda"));
  auto mk = value_or_throw(Megakernel::bootstrap_sharded(backend, SLOTS, 256));
  auto control = encode_control(false, 2, WORDS + SLOTS);
  auto ring = encode_empty_ring(SLOTS);
  std::vector<WorkItem> items;
  items.reserve(SLOTS);
  // Tenant 0 adds 1 to a shared word; tenant 1 stores its slot index into its own word.
  for (std::uint32_t i = 0; i < SLOTS; ++i)
    items.push_back(
        i % 2 == 0
            ? value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{(i / 2) % WORDS, 1}))
            : value_or_throw(WorkItem::make(abi::OP_STORE_U32, 1, std::vector<std::uint32_t>{WORDS + i, i})));
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(ring), items));
  auto handles = value_or_throw(mk.create_resident_handles(DispatchInput{control, ring, {}, {}}));
  const std::uint64_t rounds = (target + SLOTS - 1) / SLOTS;
  Bytes control_out(control.size());
  std::uint64_t device_ns = 0;
  for (std::uint64_t r = 0; r < rounds; ++r) {
    if (r != 0) {
      ASSERT_TRUE(handles.upload(BufferKind::Ring, ring));  // republish every slot
    }
    auto stats = mk.dispatch_persistent_handles(handles);
    ASSERT_TRUE(stats) << stats.error().what();
    device_ns += stats->device_ns;
    ASSERT_TRUE(handles.buffers().download(BufferKind::Control, control_out));
    ASSERT_EQ(read_done_count(control_out), (r + 1) * SLOTS) << "round " << r;
  }
  OutputBuffers out;
  ASSERT_TRUE(handles.readback(out));
  Readback rb;
  ASSERT_TRUE(try_decode_readback(out, rb));
  EXPECT_EQ(rb.fault_count, 0u);
  for (std::uint32_t w = 0; w < WORDS; ++w)
    ASSERT_EQ(rb.observables[w], rounds * (SLOTS / 2 / WORDS)) << "word " << w << ": adds lost or duplicated";
  for (std::uint32_t i = 1; i < SLOTS; i += 2) ASSERT_EQ(rb.observables[WORDS + i], i);
  for (const auto& s : rb.slots) ASSERT_EQ(s.status, abi::STATUS_DONE);
  ASSERT_EQ(rb.tenants.size(), 2u);
  EXPECT_EQ(rb.tenants[0].done, rounds * SLOTS / 2);
  EXPECT_EQ(rb.tenants[1].done, rounds * SLOTS / 2);
  std::printf("GPU stress: %llu items in %llu dispatches, %.1f ms device time (%.2f Gitems/s)\n",
              static_cast<unsigned long long>(rounds * SLOTS), static_cast<unsigned long long>(rounds),
              static_cast<double>(device_ns) / 1e6,
              static_cast<double>(rounds * SLOTS) / static_cast<double>(device_ns));
}

}  // namespace
}  // namespace mk
