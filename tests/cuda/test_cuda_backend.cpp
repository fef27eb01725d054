// CUDA backend: the same dispatches as on the CPU backend give the same buffers.
// What this catches: a device build of interp/ that diverges from the host build,
// lost or duplicated claims across blocks, and broken upload/readback paths.
#include <gtest/gtest.h>

#include <random>

#include "mk/mk.h"

namespace mk {
namespace {

std::shared_ptr<Backend> cuda_or_skip() {
  if (!cuda_available()) return nullptr;
  return value_or_throw(make_backend("cuda"));
}

#define MK_REQUIRE_CUDA(backend) \
  auto backend = cuda_or_skip(); \
  if (!backend) GTEST_SKIP() << "no CUDA device visible";

OutputBuffers random_job(std::uint32_t slots, std::uint32_t seed) {
  std::mt19937 engine(seed);
  auto rng = [&] { return static_cast<std::uint32_t>(engine()); };
  OutputBuffers b;
  // Regions: ATOMIC_ADD [0,64) (tenant 2: [1024,1088)), LOAD [100,200) and MEMCPY
  // [190,208) never written by anything else, STORE one word per slot from 2048.
  b.control = encode_control(false, 4, 2048 + slots);
  value_or_throw(try_set_tenant_policy(ByteSpan(b.control), 2, 0b1111, Window{1024, 64}));
  b.ring = encode_empty_ring(slots);
  b.debug_log = encode_empty_debug_log(32);
  std::vector<WorkItem> items;
  for (std::uint32_t i = 0; i < slots - 1; ++i) {
    const std::uint32_t kind = rng() % 6;
    const std::uint32_t tenant = rng() % 5;  // tenant 4 does not exist
    switch (kind) {
      case 0:
        items.push_back(
            value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, tenant, std::vector<std::uint32_t>{rng() % 64, 1})));
        break;
      // Each STORE has its own word, and LOADs read words nothing writes: order-independent.
      case 1:
        items.push_back(
            value_or_throw(WorkItem::make(abi::OP_STORE_U32, tenant, std::vector<std::uint32_t>{2048 + i, i})));
        break;
      case 2:
        items.push_back(
            value_or_throw(WorkItem::make(abi::OP_LOAD_U32, tenant, std::vector<std::uint32_t>{100 + rng() % 100})));
        break;
      case 3:
        items.push_back(value_or_throw(WorkItem::make(abi::OP_PRINTF, tenant, std::vector<std::uint32_t>{7, i})));
        break;
      case 4:
        items.push_back(
            value_or_throw(WorkItem::make(abi::OP_MEMCPY, tenant, std::vector<std::uint32_t>{200, 190, 8})));
        break;
      default:
        items.push_back(value_or_throw(WorkItem::make(0x1234, tenant, std::vector<std::uint32_t>{})));
        break;
    }
  }
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(b.ring), items));
  value_or_throw(try_publish_slot(
      ByteSpan(b.ring), slots - 1,
      value_or_throw(WorkItem::make(abi::OP_BATCH_FENCE, 0, std::vector<std::uint32_t>{0, slots - 1, 5}))));
  return b;
}

TEST(CudaBackend, ReportsTheDevice) {
  MK_REQUIRE_CUDA(backend);
  auto devices = backend->devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].kind, "cuda");
  EXPECT_GT(devices[0].compute_units, 0u);
  EXPECT_TRUE(backend->supports(Feature::DeviceTime));
}

TEST(CudaBackend, CommutativeWorkMatchesTheCpuOracle) {
  MK_REQUIRE_CUDA(backend);
  // 131072 slots (8 MiB) take the staged ring path: two pinned chunks up, STATUS and
  // RESULT back (src/cuda/ring_transfer.h); the smaller rings are copied whole.
  for (std::uint32_t slots : {64u, 1024u, 8192u, 131072u}) {
    auto gpu = value_or_throw(Megakernel::bootstrap_sharded(backend, slots, 64));
    auto cpu = value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.deterministic = true}), slots, 64));
    OutputBuffers on_gpu = random_job(slots, slots), on_cpu = random_job(slots, slots);
    auto gs = gpu.dispatch_in_place(on_gpu);
    ASSERT_TRUE(gs) << gs.error().what();
    ASSERT_TRUE(cpu.dispatch_in_place(on_cpu));
    EXPECT_TRUE(gs->device_ns_known);
    EXPECT_GT(gs->bytes_up, 0u);
    Readback g, c;
    ASSERT_TRUE(try_decode_readback(on_gpu, g));
    ASSERT_TRUE(try_decode_readback(on_cpu, c));
    EXPECT_EQ(g.done_count, c.done_count);
    EXPECT_EQ(g.fault_count, c.fault_count);
    EXPECT_EQ(g.epoch, 1u);
    EXPECT_EQ(g.observables, c.observables);
    EXPECT_EQ(g.metrics, c.metrics);
    ASSERT_EQ(g.tenants.size(), c.tenants.size());
    for (std::size_t t = 0; t < g.tenants.size(); ++t) EXPECT_EQ(g.tenants[t], c.tenants[t]) << t;
    for (std::uint32_t s = 0; s < slots; ++s) {
      EXPECT_EQ(g.slots[s].status, c.slots[s].status) << s;
      ASSERT_EQ(g.slots[s].opcode, c.slots[s].opcode) << s;
      ASSERT_EQ(g.slots[s].tenant, c.slots[s].tenant) << s;
      ASSERT_EQ(g.slots[s].args, c.slots[s].args) << s;
      // PRINTF results are record indices and ATOMIC_ADD results previous values: both
      // depend on the order lanes ran in.
      if (g.slots[s].opcode != abi::OP_PRINTF && g.slots[s].opcode != abi::OP_ATOMIC_ADD) {
        EXPECT_EQ(g.slots[s].result, c.slots[s].result) << s;
      }
    }
    EXPECT_EQ(g.debug_log.claimed, c.debug_log.claimed);
    EXPECT_EQ(g.debug_log.records.size(), c.debug_log.records.size());
  }
}

TEST(CudaBackend, TraceHasAnEventPerExecutedSlot) {
  MK_REQUIRE_CUDA(backend);
  auto gpu = value_or_throw(Megakernel::bootstrap_sharded(backend, 256, 64));
  OutputBuffers b;
  b.control = encode_control(false, 1, 16);
  b.ring = encode_empty_ring(256);
  std::vector<WorkItem> items(100,
                              value_or_throw(WorkItem::make(abi::OP_ATOMIC_ADD, 0, std::vector<std::uint32_t>{0, 1})));
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(b.ring), items));
  std::vector<TraceEvent> trace;
  ASSERT_TRUE(gpu.dispatch_in_place(b, &trace));
  EXPECT_EQ(trace.size(), 100u);
  EXPECT_EQ(read_observable(b.control, 0), 100u);
}

TEST(CudaBackend, LoadMissRoundTripsThroughTheHost) {
  MK_REQUIRE_CUDA(backend);
  auto gpu = value_or_throw(Megakernel::bootstrap_sharded(backend, 64, 64));
  OutputBuffers b;
  b.control = encode_control(false, 1, 16);
  b.ring = encode_empty_ring(64);
  b.io_queue = encode_empty_io_queue(2);
  std::vector<WorkItem> items;
  for (std::uint32_t i = 0; i < 5; ++i)
    items.push_back(
        value_or_throw(WorkItem::make(abi::OP_LOAD_MISS, 0, std::vector<std::uint32_t>{1, i * 4, 0, 4, i})));
  value_or_throw(try_encode_work_items_ring_into(ByteSpan(b.ring), items));
  IoSources sources;
  std::vector<std::byte> data(20);
  for (int i = 0; i < 20; ++i) data[i] = static_cast<std::byte>(i + 1);
  ASSERT_TRUE(sources.add_bytes(1, data));
  auto stats = gpu.dispatch_until_idle(b, sources);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(read_done_count(b.control), 5u);
  EXPECT_EQ(read_observable(b.control, 4), 0x14131211u);
}

TEST(CudaBackend, WorkgroupLargerThanTheDeviceAllowsIsRejected) {
  MK_REQUIRE_CUDA(backend);
  auto gpu = Megakernel::bootstrap_sharded(backend, 4096, 2048);
  ASSERT_FALSE(gpu);
  EXPECT_EQ(gpu.error().kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace mk
