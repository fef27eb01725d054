// Names of statuses, fault codes and built-in opcodes.
#include "protocol_test_util.h"

namespace mk {
namespace {

TEST(ProtocolNames, StatusNames) {
  const char* want[] = {"EMPTY", "PUBLISHED", "CLAIMED", "DONE", "WAIT_IO", "YIELD", "REQUEUE", "FAULT"};
  for (std::uint32_t s = 0; s < 8; ++s) EXPECT_EQ(status_name(s), want[s]);
  EXPECT_EQ(status_name(8), "UNKNOWN");
  EXPECT_EQ(status_name(0xFFFFFFFFu), "UNKNOWN");
}

TEST(ProtocolNames, FaultNames) {
  const char* want[] = {"NONE",          "UNKNOWN_OPCODE", "UNAUTHORIZED", "OUT_OF_BOUNDS", "BAD_ARGS",
                        "IO_QUEUE_FULL", "IO_ERROR",       "USER_FAULT",   "STEP_BUDGET",   "DIVIDE_BY_ZERO"};
  for (std::uint32_t f = 0; f < 10; ++f) EXPECT_EQ(fault_name(f), want[f]);
  EXPECT_EQ(fault_name(abi::FAULT_DEVICE_LOST), "DEVICE_LOST");  // the supervisor's, never the interpreter's
  EXPECT_EQ(fault_name(11), "UNKNOWN");
}

TEST(ProtocolNames, BuiltinOpcodeNamesRoundTrip) {
  const std::pair<std::uint32_t, const char*> want[] = {{0, "NOP"},
                                                        {1, "STORE_U32"},
                                                        {2, "ATOMIC_ADD"},
                                                        {3, "LOAD_U32"},
                                                        {4, "COMPARE_SWAP"},
                                                        {5, "MEMCPY"},
                                                        {6, "DFA_STEP"},
                                                        {7, "BATCH_FENCE"},
                                                        {0xFFFD, "LOAD_MISS"},
                                                        {0xFFFE, "PRINTF"},
                                                        {0x80000001u, "PACKED_SLOT"},
                                                        {0xFFFFFFFFu, "SHUTDOWN"}};
  for (const auto& [opcode, name] : want) {
    EXPECT_EQ(builtin_opcode_name(opcode), name);
    EXPECT_EQ(builtin_opcode_from_name(name), opcode);
    EXPECT_EQ(find_builtin_opcode(name), opcode);
  }
}

TEST(ProtocolNames, UnknownOpcodesAndNames) {
  EXPECT_EQ(builtin_opcode_name(8), "");
  EXPECT_EQ(builtin_opcode_name(0xFFFC), "");
  EXPECT_EQ(builtin_opcode_from_name("store_u32"), abi::NO_OPCODE_INDEX);
  EXPECT_EQ(builtin_opcode_from_name(""), abi::NO_OPCODE_INDEX);
  EXPECT_EQ(find_builtin_opcode("NOPE"), std::nullopt);
  // SHUTDOWN's id equals NO_OPCODE_INDEX; find_builtin_opcode keeps them apart.
  EXPECT_EQ(find_builtin_opcode("SHUTDOWN"), abi::OP_SHUTDOWN);
}

}  // namespace
}  // namespace mk
