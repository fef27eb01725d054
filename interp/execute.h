// Opcode lookup, authorisation and execution of one item (built-ins, packed slots,
// and custom opcodes through the backend's handler).
#pragma once

#include "interp/ops_control.h"
#include "interp/ops_dfa.h"
#include "interp/ops_io.h"
#include "interp/ops_memory.h"
#include "interp/policy.h"

namespace mk::interp {

// Custom-opcode handler used when a backend has none: every custom opcode is unknown.
struct NoCustomOps {
  template <cuda::thread_scope S>
  MK_HD Outcome operator()(const Env<S>&, u32 /*table_index*/, u32 /*opcode*/) const {
    return Outcome::fault(abi::FAULT_UNKNOWN_OPCODE);
  }
};

// Opcode-table index of `opcode`, or NO_OPCODE_INDEX. Built-ins have fixed indices;
// custom opcodes are looked up in the stamped OPCODE_IDS.
template <cuda::thread_scope S>
MK_HD u32 lookup_opcode(const View& v, u32 opcode) {
  const u32 builtin = abi::builtin_index(opcode);
  if (builtin != abi::NO_OPCODE_INDEX) return builtin;
  if (abi::is_system_opcode(opcode)) return abi::NO_OPCODE_INDEX;
  for (u32 i = abi::FIRST_CUSTOM_INDEX; i < abi::MAX_OPCODES; ++i)
    if (Atomics<S>::load_relaxed(v.control + abi::CTRL_OPCODE_IDS + i) == opcode) return i;
  return abi::NO_OPCODE_INDEX;
}

template <cuda::thread_scope S>
MK_HD void count_metric(const View& v, u32 index) {
  if (index < abi::MAX_OPCODES) Atomics<S>::fetch_add_relaxed(v.control + abi::CTRL_OPCODE_COUNTS + index, 1);
}

// Run one non-packed opcode whose table index is known and authorised.
template <cuda::thread_scope S, class Custom>
MK_HD Outcome execute_single(const Env<S>& env, u32 index, u32 opcode, Custom& custom) {
  switch (index) {
    case abi::IDX_NOP:
      return Outcome::done(0);
    case abi::IDX_STORE_U32:
      return op_store_u32(env);
    case abi::IDX_ATOMIC_ADD:
      return op_atomic_add(env);
    case abi::IDX_LOAD_U32:
      return op_load_u32(env);
    case abi::IDX_COMPARE_SWAP:
      return op_compare_swap(env);
    case abi::IDX_MEMCPY:
      return op_memcpy(env);
    case abi::IDX_DFA_STEP:
      return op_dfa_step(env);
    case abi::IDX_BATCH_FENCE:
      return op_batch_fence(env);
    case abi::IDX_LOAD_MISS:
      return op_load_miss(env);
    case abi::IDX_PRINTF:
      return op_printf(env);
    case abi::IDX_SHUTDOWN:
      return op_shutdown(env);
    case abi::IDX_PACKED_SLOT:
      return Outcome::fault(abi::FAULT_BAD_ARGS);  // never nested
    default:
      return custom(env, index, opcode);
  }
}

// PACKED_SLOT: structure and every inner opcode's authorisation are checked before the
// first inner op runs; then inner ops run in order and the first fault stops the slot
// (earlier inner effects stay). RESULT is the last inner result.
template <cuda::thread_scope S, class Custom>
MK_HD Outcome op_packed_slot(const Env<S>& env, const Policy& policy, Custom& custom) {
  const u32 header = env.arg(abi::PACKED_ARG_HEADER);
  const u32 n_ops = header & 0xFFu;
  const u32 used = (header >> 8) & 0xFFu;
  if (n_ops == 0 || n_ops > abi::PACKED_MAX_OPS || used > abi::PACKED_MAX_WORDS || (header >> 16) != 0)
    return Outcome::fault(abi::FAULT_BAD_ARGS);
  const u32 opcodes = env.arg(abi::PACKED_ARG_OPCODES);
  const u32 offsets = env.arg(abi::PACKED_ARG_OFFSETS);
  u32 index[abi::PACKED_MAX_OPS] = {};
  u32 begin[abi::PACKED_MAX_OPS] = {};
  u32 end[abi::PACKED_MAX_OPS] = {};
  for (u32 k = 0; k < n_ops; ++k) {
    begin[k] = (offsets >> (8 * k)) & 0xFFu;
    end[k] = k + 1 < n_ops ? (offsets >> (8 * (k + 1))) & 0xFFu : used;
    if (begin[k] > end[k] || end[k] > used) return Outcome::fault(abi::FAULT_BAD_ARGS);
    const u32 op = (opcodes >> (8 * k)) & 0xFFu;
    index[k] = lookup_opcode<S>(*env.view, op);
    if (index[k] == abi::NO_OPCODE_INDEX) return Outcome::fault(abi::FAULT_UNKNOWN_OPCODE);
    if (index[k] == abi::IDX_BATCH_FENCE) return Outcome::fault(abi::FAULT_BAD_ARGS);
    if (!policy.allows(index[k])) return Outcome::fault(abi::FAULT_UNAUTHORIZED);
  }
  Outcome last = Outcome::done(0);
  for (u32 k = 0; k < n_ops; ++k) {
    Env<S> inner = env;
    inner.args = env.args + abi::PACKED_ARG_WORDS + begin[k];
    inner.arg_count = end[k] - begin[k];
    last = execute_single<S>(inner, index[k], (opcodes >> (8 * k)) & 0xFFu, custom);
    if (last.status == abi::STATUS_FAULT) return last;
    // An inner op cannot park or requeue part of a slot.
    if (last.status != abi::STATUS_DONE) return Outcome::fault(abi::FAULT_BAD_ARGS);
    count_metric<S>(*env.view, index[k]);
  }
  return last;
}

template <cuda::thread_scope S, class Custom>
MK_HD Outcome execute_indexed(const Env<S>& env, u32 index, u32 opcode, const Policy& policy, Custom& custom) {
  if (index == abi::IDX_PACKED_SLOT) return op_packed_slot<S>(env, policy, custom);
  return execute_single<S>(env, index, opcode, custom);
}

}  // namespace mk::interp
