// One item of a compact batch through the interpreter step: the record is expanded into
// a private 16-word ABI slot and step_slot runs on it, so a compact batch has exactly
// the slot path's semantics (authorisation, windows, faults, counters) with no second
// interpreter. Every backend's bulk path calls this.
#pragma once

#include "interp/step.h"

namespace mk::interp {

// A validated batch header, decoded once per launch.
struct BatchLayout {
  u32 flags = 0;
  u32 opcode = 0;  // the batch's opcode (unless BATCH_FLAG_ITEM_OPCODE)
  u32 tenant = 0;  // the batch's tenant (unless BATCH_FLAG_ITEM_TENANT)
  u32 arg_count = 0;
  u32 stride = 0;
};

// Fill `slot` (16 words, this lane's alone) with item `record` as a PUBLISHED slot.
MK_HD inline void expand_batch_record(const BatchLayout& layout, const u32* record, u32* slot) {
  u32 at = 0;
  slot[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  slot[abi::SLOT_OPCODE] = (layout.flags & abi::BATCH_FLAG_ITEM_OPCODE) ? record[at++] : layout.opcode;
  slot[abi::SLOT_TENANT] = (layout.flags & abi::BATCH_FLAG_ITEM_TENANT) ? record[at++] : layout.tenant;
  slot[abi::SLOT_RESULT] = 0;
  for (u32 a = 0; a < abi::MAX_ARGS; ++a) slot[abi::SLOT_ARGS + a] = a < layout.arg_count ? record[at + a] : 0u;
}

// Run item `index` whose expanded slot is `slot`; `base` is the launch's view (control,
// log). Returns the terminal STATUS (DONE or FAULT) and leaves RESULT in the slot. A
// REQUEUE runs again at once on this lane (the same MAX_REQUEUES budget as the slot
// path; there is no other slot for it to wait behind). Opcodes that could leave the
// slot PUBLISHED or WAIT_IO (abi::batch_refuses_opcode) were refused by the host.
template <cuda::thread_scope S, class Custom, class Acct>
MK_HD u32 run_batch_slot(const View& base, u32 index, u32* slot, Custom& custom, Acct& acct) {
  View v = base;
  v.ring = slot;
  v.ring_first = index;
  for (u32 round = 0; round <= abi::MAX_REQUEUES + 1; ++round) {
    step_slot<S>(v, index, custom, acct);
    const u32 status = slot[abi::SLOT_STATUS];
    if (status != abi::STATUS_REQUEUE) return status;
  }
  return slot[abi::SLOT_STATUS];  // unreachable: the step faults STEP_BUDGET first
}

}  // namespace mk::interp
