// Conformance cases for PACKED_SLOT: 1..4 inner ops, RESULT of the last, the first fault
// stopping the slot, header validation and per-inner-op authorisation before any runs.
#include "cases.h"

namespace mk::conformance {
namespace {

// A PACKED_SLOT item with hand-made header words (for headers the encoder refuses).
WorkItem raw_packed(u32 tenant, u32 header, u32 opcodes, u32 offsets, std::vector<u32> words) {
  WorkItem w;
  w.opcode = abi::OP_PACKED_SLOT;
  w.tenant = tenant;
  w.args[abi::PACKED_ARG_HEADER] = header;
  w.args[abi::PACKED_ARG_OPCODES] = opcodes;
  w.args[abi::PACKED_ARG_OFFSETS] = offsets;
  for (std::size_t i = 0; i < words.size() && i < abi::PACKED_MAX_WORDS; ++i)
    w.args[abi::PACKED_ARG_WORDS + i] = words[i];
  w.arg_count = abi::MAX_ARGS;
  return w;
}

constexpr u32 header(u32 ops, u32 used) { return ops | (used << 8); }
constexpr u32 bytes4(u32 a, u32 b = 0, u32 c = 0, u32 d = 0) { return a | (b << 8) | (c << 16) | (d << 24); }

}  // namespace

std::vector<Case> packed_cases() {
  using namespace abi;
  std::vector<Case> cases;

  cases.push_back(
      Case("packed_one_op").packed(0, 0, {{OP_STORE_U32, {3, 7}}}).done(0, 0).obs(3, 7).metric(OP_STORE_U32, 1));

  cases.push_back(Case("packed_two_ops_result_is_last")
                      .init(1, {77})
                      .packed(0, 0, {{OP_LOAD_U32, {1}}, {OP_NOP, {}}})
                      .done(0, 0)
                      .metric(OP_LOAD_U32, 1)
                      .metric(OP_NOP, 1));

  cases.push_back(Case("packed_three_ops_memcpy")
                      .init(10, {4, 5})
                      .packed(0, 0, {{OP_NOP, {}}, {OP_MEMCPY, {20, 10, 2}}, {OP_ATOMIC_ADD, {21, 100}}})
                      .done(0, 5)
                      .obs_range(20, {4, 105})
                      .metric(OP_NOP, 1)
                      .metric(OP_MEMCPY, 1)
                      .metric(OP_ATOMIC_ADD, 1));

  // Four ops over one word, in order: 5, +3 -> 8, load 8, CAS 8 -> 100 returns 8.
  cases.push_back(
      Case("packed_four_ops_in_order")
          .packed(
              0, 0,
              {{OP_STORE_U32, {10, 5}}, {OP_ATOMIC_ADD, {10, 3}}, {OP_LOAD_U32, {10}}, {OP_COMPARE_SWAP, {10, 8, 100}}})
          .done(0, 8)
          .obs(10, 100)
          .metric(OP_STORE_U32, 1)
          .metric(OP_ATOMIC_ADD, 1)
          .metric(OP_LOAD_U32, 1)
          .metric(OP_COMPARE_SWAP, 1));

  // Nine packed words, the maximum.
  cases.push_back(
      Case("packed_nine_words")
          .packed(
              0, 0,
              {{OP_STORE_U32, {0, 1}}, {OP_STORE_U32, {1, 2}}, {OP_STORE_U32, {2, 3}}, {OP_COMPARE_SWAP, {2, 3, 4}}})
          .done(0, 3)
          .obs_range(0, {1, 2, 4})
          .metric(OP_STORE_U32, 3)
          .metric(OP_COMPARE_SWAP, 1));

  // The first fault stops the slot; earlier inner effects stay, later ops never run,
  // and only the completed inner op is counted (the PACKED_SLOT itself is not DONE).
  cases.push_back(Case("packed_fault_stops_later_ops")
                      .packed(0, 0, {{OP_STORE_U32, {0, 1}}, {OP_STORE_U32, {5000, 2}}, {OP_STORE_U32, {1, 3}}})
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .obs(0, 1)
                      .metric(OP_STORE_U32, 1));

  // An inner op reads args past its own words as 0: STORE with no args stores 0 at 0,
  // ATOMIC_ADD with only an address adds 0 and returns the previous value.
  cases.push_back(Case("packed_missing_args_read_zero")
                      .init(0, {55})
                      .init(4, {9})
                      .packed(0, 0, {{OP_STORE_U32, {}}, {OP_ATOMIC_ADD, {4}}})
                      .done(0, 9)
                      .obs(0, 0)
                      .metric(OP_STORE_U32, 1)
                      .metric(OP_ATOMIC_ADD, 1));

  // Words past the header's used count are not arguments, even if present.
  cases.push_back(Case("packed_args_limited_to_used_words")
                      .init(4, {9})
                      .raw(0, raw_packed(0, header(1, 1), bytes4(OP_ATOMIC_ADD), 0, {4, 5}))
                      .done(0, 9)
                      .metric(OP_ATOMIC_ADD, 1));

  // Malformed headers: BAD_ARGS before anything runs.
  cases.push_back(
      Case("packed_bad_headers")
          .raw(0, raw_packed(0, header(0, 0), 0, 0, {}))                                            // zero ops
          .raw(1, raw_packed(0, header(5, 2), 0, 0, {0, 1}))                                        // five ops
          .raw(2, raw_packed(0, header(1, 10), bytes4(OP_STORE_U32), 0, {0, 1}))                    // ten words
          .raw(3, raw_packed(0, header(1, 2) | (1u << 16), bytes4(OP_STORE_U32), 0, {0, 1}))        // stray bits
          .raw(4, raw_packed(0, header(2, 2), bytes4(OP_STORE_U32, OP_NOP), bytes4(1, 0), {0, 1}))  // offsets go back
          .raw(5, raw_packed(0, header(1, 2), bytes4(OP_STORE_U32), bytes4(3), {0, 1}))             // offset past used
          .raw(6, raw_packed(0, header(2, 1), bytes4(OP_NOP, OP_NOP), bytes4(0, 5), {0}))  // next offset past used
          .fault(0, FAULT_BAD_ARGS)
          .fault(1, FAULT_BAD_ARGS)
          .fault(2, FAULT_BAD_ARGS)
          .fault(3, FAULT_BAD_ARGS)
          .fault(4, FAULT_BAD_ARGS)
          .fault(5, FAULT_BAD_ARGS)
          .fault(6, FAULT_BAD_ARGS));

  // A BATCH_FENCE cannot be packed: BAD_ARGS, and the STORE before it never ran.
  cases.push_back(Case("packed_inner_fence_is_bad_args")
                      .packed(0, 0, {{OP_STORE_U32, {0, 1}}, {OP_BATCH_FENCE, {0, 1, 1}}})
                      .fault(0, FAULT_BAD_ARGS));

  // Unknown inner opcodes (10 is PACKED_SLOT's table index, not an opcode id; 200 is
  // unregistered): UNKNOWN_OPCODE, and nothing ran.
  cases.push_back(Case("packed_inner_unknown_opcode")
                      .packed(0, 0, {{OP_STORE_U32, {0, 1}}, {200, {}}})
                      .packed(1, 0, {{10, {}}})
                      .packed(2, 0, {{OP_NOP, {}}, {OP_NOP, {}}, {OP_NOP, {}}, {8, {}}})
                      .fault(0, FAULT_UNKNOWN_OPCODE)
                      .fault(1, FAULT_UNKNOWN_OPCODE)
                      .fault(2, FAULT_UNKNOWN_OPCODE));

  // Every inner op is checked against the mask before the first one runs.
  cases.push_back(Case("packed_inner_op_unauthorized")
                      .tenants(2)
                      .policy(1, ALL_OPS & ~bit(IDX_STORE_U32), Window{0, 1024})
                      .packed(0, 1, {{OP_ATOMIC_ADD, {0, 1}}, {OP_STORE_U32, {1, 1}}})
                      .fault(0, FAULT_UNAUTHORIZED));

  // PACKED_SLOT itself is allowed to every enabled tenant, whatever its mask says.
  cases.push_back(Case("packed_allowed_without_packed_bit")
                      .tenants(2)
                      .policy(1, bit(IDX_STORE_U32), Window{0, 1024})
                      .packed(0, 1, {{OP_STORE_U32, {0, 6}}, {OP_STORE_U32, {1, 7}}})
                      .item(1, OP_NOP, 1, {})
                      .done(0, 0)
                      .fault(1, FAULT_UNAUTHORIZED)
                      .obs_range(0, {6, 7})
                      .metric(OP_STORE_U32, 2));

  // But not to a disabled tenant, nor to one past TENANT_COUNT.
  cases.push_back(Case("packed_disabled_or_unknown_tenant")
                      .tenants(2)
                      .flags(1, false, false)
                      .packed(0, 1, {{OP_NOP, {}}})
                      .packed(1, 2, {{OP_NOP, {}}})
                      .fault(0, FAULT_UNAUTHORIZED)
                      .fault(1, FAULT_UNAUTHORIZED));

  {
    // Many packed slots at once: a shared ATOMIC_ADD (first, so its racy previous value
    // is not the RESULT) and a store to the slot's own word (last: RESULT 0).
    Case c("packed_many_slots_concurrent");
    for (u32 s = 0; s < 200; ++s)
      c.packed(s, 0, {{OP_ATOMIC_ADD, {0, s}}, {OP_STORE_U32, {1 + s, s * 3 + 1}}}).done(s, 0).obs(1 + s, s * 3 + 1);
    c.obs(0, 199 * 200 / 2).metric(OP_ATOMIC_ADD, 200).metric(OP_STORE_U32, 200);
    cases.push_back(c);
  }

  return cases;
}

}  // namespace mk::conformance
