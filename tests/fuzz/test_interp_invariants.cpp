// fuzz_interp's invariant checker must fire: a real run passes it, and each invariant,
// broken on purpose (a shrunk window, SHUTDOWN set, a forbidden op DONE, a bad fault
// code, a slot left CLAIMED or WAIT_IO, a wrong DONE_COUNT), is reported.
#include <gtest/gtest.h>

#include <cstring>

#include "interp_invariants.h"
#include "mk/mk.h"

namespace mk::fuzz {
namespace {

constexpr std::uint32_t SLOTS = 64;

void put(Bytes& buffer, std::uint64_t index, std::uint32_t value) {
  std::memcpy(buffer.data() + index * abi::WORD_BYTES, &value, 4);
}

// Two non-admin tenants; tenant 1 may STORE_U32 and ATOMIC_ADD inside window [8, 16).
// Slot 0: tenant 1 stores 5 at window word 2 (observable 10). Slot 1: tenant 1 tries
// SHUTDOWN (faults UNAUTHORIZED).
struct Scenario {
  Megakernel mk =
      value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.deterministic = true}), SLOTS, SLOTS));
  Bytes control_before, ring_before;
  OutputBuffers after;

  Scenario() {
    after.control = encode_control(false, 2, 32);
    value_or_throw(try_set_tenant_flags(after.control, 0, true, false));  // tenant 0 is admin by default
    set_tenant_policy(after.control, 1, (1ull << abi::IDX_STORE_U32) | (1ull << abi::IDX_ATOMIC_ADD), Window{8, 8});
    after.ring = encode_empty_ring(SLOTS);
    publish_slot(after.ring, 0, value_or_throw(WorkItem::make(abi::OP_STORE_U32, 1, std::vector<std::uint32_t>{2, 5})));
    publish_slot(after.ring, 1, value_or_throw(WorkItem::make(abi::OP_SHUTDOWN, 1, std::vector<std::uint32_t>{})));
    control_before = after.control;
    ring_before = after.ring;
    value_or_throw(mk.dispatch_until_idle(after, IoSources{}));
  }
  InterpRun run() const {
    return InterpRun{control_before, after.control, ring_before, after.ring, mk.opcode_table(), true};
  }
};

TEST(InterpInvariants, ARealRunPasses) {
  Scenario s;
  EXPECT_EQ(read_observable(s.after.control, 10), 5u);
  EXPECT_EQ(s.after.ring.size(), s.ring_before.size());
  EXPECT_EQ(check_interp_run(s.run()), "");
}

TEST(InterpInvariants, AShrunkWindowTrips) {
  Scenario s;
  // Claim tenant 1 could only reach [8, 10): the store at observable 10 is now outside.
  put(s.control_before, abi::tenant_word(1, abi::TENANT_WINDOW_LEN), 2);
  EXPECT_NE(check_interp_run(s.run()).find("observable 10 changed outside"), std::string::npos);
}

TEST(InterpInvariants, AWriteByATenantThatIssuedNothingTrips) {
  Scenario s;
  put(s.after.control, abi::CTRL_OBSERVABLES + 3, 99);  // tenant 0 sees it, but issued no item
  EXPECT_NE(check_interp_run(s.run()).find("observable 3 changed"), std::string::npos);
}

TEST(InterpInvariants, ShutdownSetTrips) {
  Scenario s;
  put(s.after.control, abi::CTRL_SHUTDOWN, 1);
  EXPECT_NE(check_interp_run(s.run()).find("SHUTDOWN"), std::string::npos);
}

TEST(InterpInvariants, AForbiddenOpEndingDoneTrips) {
  Scenario s;
  put(s.control_before, abi::tenant_word(1, abi::TENANT_ALLOW_LO), 1u << abi::IDX_ATOMIC_ADD);  // no STORE_U32
  EXPECT_NE(check_interp_run(s.run()).find("outside tenant 1's mask"), std::string::npos);
  Scenario t;
  put(t.after.ring, 1 * abi::SLOT_WORDS + abi::SLOT_STATUS, abi::STATUS_DONE);  // the SHUTDOWN item
  put(t.after.ring, 1 * abi::SLOT_WORDS + abi::SLOT_RESULT, 0);
  EXPECT_NE(check_interp_run(t.run()).find("SHUTDOWN ended DONE"), std::string::npos);
}

TEST(InterpInvariants, BadFaultCodeTrips) {
  Scenario s;
  put(s.after.ring, 1 * abi::SLOT_WORDS + abi::SLOT_RESULT, 42);
  EXPECT_NE(check_interp_run(s.run()).find("invalid fault code 42"), std::string::npos);
}

TEST(InterpInvariants, ClaimedOrWaitIoLeftTrips) {
  Scenario s;
  put(s.after.ring, 0 * abi::SLOT_WORDS + abi::SLOT_STATUS, abi::STATUS_CLAIMED);
  EXPECT_NE(check_interp_run(s.run()).find("left CLAIMED"), std::string::npos);
  Scenario t;
  put(t.after.ring, 0 * abi::SLOT_WORDS + abi::SLOT_STATUS, abi::STATUS_WAIT_IO);
  EXPECT_NE(check_interp_run(t.run()).find("left WAIT_IO"), std::string::npos);
}

TEST(InterpInvariants, CountersThatDisagreeWithTheRingTrip) {
  Scenario s;
  put(s.after.control, abi::CTRL_DONE_COUNT, 7);
  EXPECT_NE(check_interp_run(s.run()).find("DONE_COUNT"), std::string::npos);
}

TEST(InterpInvariants, AnAdminTenantIsOutsideTheCheck) {
  Scenario s;
  put(s.control_before, abi::tenant_word(0, abi::TENANT_FLAGS), abi::TENANT_FLAG_ENABLED | abi::TENANT_FLAG_ADMIN);
  EXPECT_NE(check_interp_run(s.run()).find("admin"), std::string::npos);
}

}  // namespace
}  // namespace mk::fuzz
