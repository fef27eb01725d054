// 64-bit memory (load64, store64, atomic_add64) on the CPU evaluator and the CPU backend:
// little-endian word order, carries across words, the whole-pair window check
// (OUT_OF_BOUNDS, nothing written), the even-address rule (BAD_ARGS) and its order after
// the bounds check, a control buffer that is only 4-byte aligned, and atomic_add64 from
// many CPU worker threads at once.
// What this catches: a 64-bit access that writes one word of a pair before faulting, an
// alignment rule that looks at the window-relative address instead of the observable
// index, torn or lost 64-bit atomics, and an odd pair handed to atomic_ref.
#include <gtest/gtest.h>

#include "harness.h"
#include "mk/mk.h"

namespace mk::ir::test {
namespace {

constexpr u32 UNTOUCHED = 0xDEADBEEFu;

// mem(addr, lo, hi, mode): 0 atomic_add64 -> lo ^ hi of the previous value, 1 store64,
// 2 load64 -> lo + 3 * hi.
Body mem_body() {
  return body(
      {let("v", u64_from_words(arg(1), arg(2))),
       if_(arg(3) == 0, {let("p", atomic_add64(arg(0), var("v"))), result(u64_lo(var("p")) ^ u64_hi(var("p")))}),
       if_(arg(3) == 1, {store64(arg(0), var("v")), result(1)}), let("x", load64(arg(0))),
       result(u64_lo(var("x")) + u64_hi(var("x")) * 3)});
}

struct Mem {
  Single s{mem_body(), Geometry{.slots = 1, .observables = 64}};
  Mem() {
    for (u32 i = 0; i < 64; ++i) s.machine.obs(i) = UNTOUCHED;
  }
  Ran run(u32 addr, std::uint64_t v, u32 mode) {
    return s.run({addr, static_cast<u32>(v), static_cast<u32>(v >> 32), mode});
  }
};

TEST(TypedMemory, PairsAreLittleEndianAndAtomicAddCarries) {
  Mem m;
  EXPECT_EQ(m.run(4, 0x11223344AABBCCDDull, 1).status, abi::STATUS_DONE);
  EXPECT_EQ(m.s.machine.obs(4), 0xAABBCCDDu);  // low word at addr
  EXPECT_EQ(m.s.machine.obs(5), 0x11223344u);  // high word at addr + 1
  EXPECT_EQ(m.s.machine.obs(3), UNTOUCHED);
  EXPECT_EQ(m.s.machine.obs(6), UNTOUCHED);
  EXPECT_EQ(m.run(4, 0, 2).result, 0xAABBCCDDu + 0x11223344u * 3);

  m.s.machine.obs(8) = 0xFFFFFFFFu;
  m.s.machine.obs(9) = 0;
  const Ran r = m.run(8, 1, 0);
  EXPECT_EQ(r.status, abi::STATUS_DONE);
  EXPECT_EQ(r.result, 0xFFFFFFFFu);  // previous value: lo 0xFFFFFFFF ^ hi 0
  EXPECT_EQ(m.s.machine.obs(8), 0u);
  EXPECT_EQ(m.s.machine.obs(9), 1u);   // the carry reached the high word
  m.run(8, 0xFFFFFFFFFFFFFFFFull, 0);  // adding -1 wraps back
  EXPECT_EQ(m.s.machine.obs(8), 0xFFFFFFFFu);
  EXPECT_EQ(m.s.machine.obs(9), 0u);
}

TEST(TypedMemory, ThePairMustLieInsideTheWindow) {
  Mem m;
  m.s.machine.set_window(0, 8, 16);                                         // observables 8..23
  EXPECT_EQ(m.run(14, 0x0102030405060708ull, 1).status, abi::STATUS_DONE);  // words 22, 23
  EXPECT_EQ(m.s.machine.obs(22), 0x05060708u);
  EXPECT_EQ(m.s.machine.obs(23), 0x01020304u);
  for (u32 addr : {15u, 16u, 17u, 0xFFFFFFFEu, 0xFFFFFFFFu}) {
    for (u32 mode : {0u, 1u, 2u}) {
      SCOPED_TRACE("addr " + std::to_string(addr) + " mode " + std::to_string(mode));
      const Ran r = m.run(addr, 7, mode);
      EXPECT_EQ(r.status, abi::STATUS_FAULT);
      // 15 is odd as well: the bounds check comes first.
      EXPECT_EQ(r.result, abi::FAULT_OUT_OF_BOUNDS);
    }
  }
  EXPECT_EQ(m.s.machine.obs(23), 0x01020304u);  // nothing written by the faulting ones
  EXPECT_EQ(m.s.machine.obs(24), UNTOUCHED);
}

TEST(TypedMemory, AnOddObservableIndexIsBadArgs) {
  Mem m;
  for (u32 mode : {0u, 1u, 2u}) {
    const Ran r = m.run(3, 7, mode);
    EXPECT_EQ(r.status, abi::STATUS_FAULT);
    EXPECT_EQ(r.result, abi::FAULT_BAD_ARGS);
  }
  EXPECT_EQ(m.s.machine.obs(3), UNTOUCHED);
  EXPECT_EQ(m.s.machine.obs(4), UNTOUCHED);
  // The rule is on the observable index (window base + addr), not the window address:
  // with an odd window base the odd window addresses are the aligned ones.
  m.s.machine.set_window(0, 9, 16);
  EXPECT_EQ(m.run(1, 0x0000000200000001ull, 1).status, abi::STATUS_DONE);
  EXPECT_EQ(m.s.machine.obs(10), 1u);
  EXPECT_EQ(m.s.machine.obs(11), 2u);
  const Ran even = m.run(2, 5, 1);
  EXPECT_EQ(even.status, abi::STATUS_FAULT);
  EXPECT_EQ(even.result, abi::FAULT_BAD_ARGS);
  EXPECT_EQ(m.s.machine.obs(11), 2u);
}

TEST(TypedMemory, EffectsBeforeAFaultingPairAccessStay) {
  Single s(body({store(0, 42), store64(arg(0), c_u64(9)), store(1, 43)}), Geometry{.slots = 1, .observables = 8});
  const Ran r = s.run({7});
  EXPECT_EQ(r.status, abi::STATUS_FAULT);
  EXPECT_EQ(r.result, abi::FAULT_OUT_OF_BOUNDS);
  EXPECT_EQ(s.machine.obs(0), 42u);
  EXPECT_EQ(s.machine.obs(1), 0u);
  EXPECT_EQ(s.machine.obs(7), 0u);
}

// A control buffer whose observables are 4-byte but not 8-byte aligned (reachable only
// through the Backend interface: the API's byte vectors are allocated 16-byte aligned).
TEST(TypedMemory, AMisalignedHostBufferIsBadArgsNotAMisalignedAtomic) {
  const std::vector<OpcodeHandler> hs = {{OPCODE, "mem", mem_body()}};
  Compiled compiled = compile(hs);
  constexpr u32 OBSERVABLES = 16;
  std::vector<std::uint64_t> storage((abi::CTRL_OBSERVABLES + OBSERVABLES + 2) / 2 + 1, 0);
  u32* control = reinterpret_cast<u32*>(storage.data()) + 1;  // 4 mod 8
  control[abi::CTRL_MAGIC] = abi::CONTROL_MAGIC;
  control[abi::CTRL_ABI_VERSION] = abi::ABI_VERSION;
  control[abi::CTRL_TENANT_COUNT] = 1;
  control[abi::CTRL_OBSERVABLE_COUNT] = OBSERVABLES;
  for (u32 i = 0; i < abi::BUILTIN_OPCODES; ++i) control[abi::CTRL_OPCODE_IDS + i] = abi::BUILTIN_OPCODE_IDS[i];
  control[abi::CTRL_OPCODE_IDS + abi::FIRST_CUSTOM_INDEX] = OPCODE;
  control[abi::tenant_word(0, abi::TENANT_FLAGS)] = abi::TENANT_FLAG_ENABLED;
  control[abi::tenant_word(0, abi::TENANT_ALLOW_LO)] = 0xFFFFFFFFu;
  control[abi::tenant_word(0, abi::TENANT_ALLOW_HI)] = 0xFFFFFFFFu;
  control[abi::tenant_word(0, abi::TENANT_WINDOW_LEN)] = OBSERVABLES;
  std::vector<u32> ring(abi::SLOT_WORDS, 0);
  const interp::View view = interp::make_view(ring.data(), 1, control, nullptr, nullptr);
  for (u32 addr : {0u, 1u, 2u}) {
    ring[abi::SLOT_OPCODE] = OPCODE;
    ring[abi::SLOT_ARGS + 0] = addr;
    ring[abi::SLOT_ARGS + 3] = 1;  // store64
    ring[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
    interp::step_slot<SCOPE>(view, 0, compiled.ops);
    EXPECT_EQ(ring[abi::SLOT_STATUS], abi::STATUS_FAULT);
    EXPECT_EQ(ring[abi::SLOT_RESULT], abi::FAULT_BAD_ARGS);
  }
  for (u32 i = 0; i < OBSERVABLES; ++i) EXPECT_EQ(control[abi::CTRL_OBSERVABLES + i], 0u);
}

// Many items on two CPU worker threads add to one pair: the total is exact, carries
// included, whatever the interleaving (addition commutes, so the test is deterministic).
TEST(TypedMemory, AtomicAdd64IsAtomicAcrossCpuWorkers) {
  constexpr u32 SLOTS = 1024;
  const std::vector<OpcodeHandler> hs = {
      {OPCODE, "add64", body({let("p", atomic_add64(arg(0), u64_from_words(arg(1), arg(2)))), result(0)})}};
  auto mk = Megakernel::bootstrap_sharded(make_cpu_backend({.threads = 2}), SLOTS, 64, hs);
  ASSERT_TRUE(mk.has_value()) << mk.error().what();
  std::vector<WorkItem> items;
  std::uint64_t want = 0xFFFFFFFF00000000ull;  // the initial value: the first carries wrap the sum
  for (u32 i = 0; i < SLOTS; ++i) {
    const std::uint64_t delta = 0xFFFFFFFFull * (i % 7) + i;
    want += delta;
    items.push_back(
        value_or_throw(WorkItem::make(OPCODE, 0, {2, static_cast<u32>(delta), static_cast<u32>(delta >> 32)})));
  }
  OutputBuffers b;
  b.control = encode_control(false, 1, 8);
  b.ring = encode_empty_ring(SLOTS);
  auto words = try_as_words(ByteSpan(b.control), "control");
  ASSERT_TRUE(words.has_value());
  (*words)[abi::CTRL_OBSERVABLES + 2] = 0;
  (*words)[abi::CTRL_OBSERVABLES + 3] = 0xFFFFFFFFu;
  ASSERT_TRUE(try_encode_work_items_ring_into(ByteSpan(b.ring), items).has_value());
  auto stats = mk->dispatch_in_place(b);
  ASSERT_TRUE(stats.has_value()) << stats.error().what();
  words = try_as_words(ByteSpan(b.control), "control");
  EXPECT_EQ((*words)[abi::CTRL_DONE_COUNT], SLOTS);
  EXPECT_EQ((*words)[abi::CTRL_FAULT_COUNT], 0u);
  EXPECT_EQ((*words)[abi::CTRL_OBSERVABLES + 2], static_cast<u32>(want));
  EXPECT_EQ((*words)[abi::CTRL_OBSERVABLES + 3], static_cast<u32>(want >> 32));
}

}  // namespace
}  // namespace mk::ir::test
