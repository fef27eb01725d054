// The interpreter step: claim a slot, authorise, execute, account. Every backend runs
// exactly this; backends only decide which lane steps which slot and when to stop.
#pragma once

#include "interp/accounting.h"
#include "interp/execute.h"

namespace mk::interp {

// Build a View from validated buffers (headers were checked by the host).
MK_HD inline View make_view(u32* ring, u32 slot_count, u32* control, u32* log, u32* io) {
  View v;
  v.ring = ring;
  v.slot_count = slot_count;
  v.control = control;
  const u32 tenants = control[abi::CTRL_TENANT_COUNT];
  v.tenant_count = tenants < abi::MAX_TENANTS ? tenants : abi::MAX_TENANTS;
  v.observable_count = control[abi::CTRL_OBSERVABLE_COUNT];
  v.log = log;
  v.log_capacity = log ? log[abi::LOG_CAPACITY] : 0u;
  v.io = io;
  v.io_capacity = io ? io[abi::IO_CAPACITY] : 0u;
  return v;
}

// Write the outcome into the slot and the counters (see accounting.h for the order).
template <cuda::thread_scope S, class Acct>
MK_HD StepResult settle(const View& v, u32 slot, u32 tenant, u32 index, Outcome out, Acct& acct) {
  using A = Atomics<S>;
  u32* status = v.slot_word(slot, abi::SLOT_STATUS);
  u32* result = v.slot_word(slot, abi::SLOT_RESULT);
  switch (out.status) {
    case abi::STATUS_DONE:
      acct.done(v, tenant, index);
      A::store_relaxed(result, out.value);
      acct.store_status(status, abi::STATUS_DONE);
      acct.finished(v);
      return StepResult::Progress;
    case abi::STATUS_FAULT:
      // Faults are rare: counted immediately, whatever the accounting.
      A::fetch_add_relaxed(v.control + abi::CTRL_FAULT_COUNT, 1);
      A::store_relaxed(v.control + abi::CTRL_LAST_FAULT_SLOT, slot);
      if (tenant < v.tenant_count) A::fetch_add_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_FAULTS), 1);
      A::store_relaxed(result, out.value);
      acct.store_status(status, abi::STATUS_FAULT);
      acct.finished(v);
      return StepResult::Progress;
    case abi::STATUS_WAIT_IO:
    case abi::STATUS_REQUEUE:
      A::store_relaxed(result, out.value);
      acct.store_status(status, out.status);
      return out.status == abi::STATUS_REQUEUE ? StepResult::Requeued : StepResult::Progress;
    default:
      acct.store_status(status, abi::STATUS_PUBLISHED);
      return StepResult::Retry;
  }
}

// Claim and run one slot if it is runnable: PUBLISHED, REQUEUE, or WAIT_IO whose I/O
// request the host has completed.
template <cuda::thread_scope S, class Custom, class Acct>
MK_HD StepResult step_slot(const View& v, u32 slot, Custom& custom, Acct& acct) {
  u32* status_word = v.slot_word(slot, abi::SLOT_STATUS);
  // STATUS (acquire where the host may be writing concurrently, which orders the host's
  // writes of this slot before us) and the words beside it; the claim only needs
  // atomicity where lanes can race for the slot.
  const SlotHead head = acct.load_head(v, slot);
  const u32 status = head.status;
  if (status == abi::STATUS_WAIT_IO) {
    if (!io_request_settled<S>(v, slot) || !acct.claim(status_word, status)) return StepResult::Idle;
    return settle<S>(v, slot, head.tenant, abi::IDX_LOAD_MISS, finish_load_miss<S>(v, slot), acct);
  }
  if (status != abi::STATUS_PUBLISHED && status != abi::STATUS_REQUEUE) return StepResult::Idle;
  if (!acct.claim(status_word, status)) return StepResult::Idle;

  const u32 opcode = head.opcode;
  const u32 tenant = head.tenant;
  const u32 requeues = status == abi::STATUS_REQUEUE ? head.result : 0u;

  // Authorise: tenant first, so an unauthorised tenant learns nothing about opcodes.
  if (tenant >= v.tenant_count) return settle<S>(v, slot, tenant, 0, Outcome::fault(abi::FAULT_UNAUTHORIZED), acct);
  const Policy policy = acct.policy(v, tenant);
  if ((policy.flags & abi::TENANT_FLAG_ENABLED) == 0)
    return settle<S>(v, slot, tenant, 0, Outcome::fault(abi::FAULT_UNAUTHORIZED), acct);
  const u32 index = lookup_opcode<S>(v, opcode);
  if (index == abi::NO_OPCODE_INDEX)
    return settle<S>(v, slot, tenant, 0, Outcome::fault(abi::FAULT_UNKNOWN_OPCODE), acct);
  const bool allowed =
      index == abi::IDX_PACKED_SLOT ||
      (policy.allows(index) && (index != abi::IDX_SHUTDOWN || (policy.flags & abi::TENANT_FLAG_ADMIN) != 0));
  if (!allowed) return settle<S>(v, slot, tenant, index, Outcome::fault(abi::FAULT_UNAUTHORIZED), acct);

  Env<S> env;
  env.view = &v;
  env.slot = slot;
  env.tenant = tenant;
  env.window = policy.window;
  env.args = v.slot_word(slot, abi::SLOT_ARGS);
  env.arg_count = abi::MAX_ARGS;
  Outcome out = execute_indexed<S>(env, index, opcode, policy, custom);
  if (out.status == abi::STATUS_REQUEUE) {
    out = requeues + 1 > abi::MAX_REQUEUES ? Outcome::fault(abi::FAULT_STEP_BUDGET) : Outcome::requeue(requeues + 1);
  }
  return settle<S>(v, slot, tenant, index, out, acct);
}

// Step with immediate accounting.
template <cuda::thread_scope S, class Custom>
MK_HD StepResult step_slot(const View& v, u32 slot, Custom& custom) {
  ImmediateAccounting<S> acct;
  return step_slot<S>(v, slot, custom, acct);
}

struct SweepCounts {
  u32 progress = 0;  // slots that reached DONE, FAULT, WAIT_IO or REQUEUE
  u32 retry = 0;     // slots that went back to PUBLISHED
  u32 requeued = 0;  // slots that reached REQUEUE
  // Slots that may be runnable in the next pass. WAIT_IO slots wait on the host, and a
  // slot only becomes PUBLISHED or REQUEUE again through a retry or a requeue.
  MK_HD u32 rerun() const { return retry + requeued; }
};

MK_HD inline void count_step(SweepCounts& counts, StepResult r) {
  counts.progress += r == StepResult::Progress || r == StepResult::Requeued ? 1u : 0u;
  counts.retry += r == StepResult::Retry ? 1u : 0u;
  counts.requeued += r == StepResult::Requeued ? 1u : 0u;
}

// One pass of a lane over slots first, first + stride, ... below end; the accounting
// is flushed at the end of the pass.
template <cuda::thread_scope S, class Custom, class Acct>
MK_HD SweepCounts sweep_range(const View& v, u32 first, u32 stride, u32 end, Custom& custom, Acct& acct) {
  SweepCounts counts;
  const unsigned long long stop = end < v.slot_count ? end : v.slot_count;
  for (unsigned long long s = first; s < stop; s += stride) {
    const StepResult r = step_slot<S>(v, static_cast<u32>(s), custom, acct);
    count_step(counts, r);
  }
  acct.flush(v);
  return counts;
}

template <cuda::thread_scope S, class Custom, class Acct>
MK_HD SweepCounts sweep(const View& v, u32 first, u32 stride, Custom& custom, Acct& acct) {
  return sweep_range<S>(v, first, stride, v.slot_count, custom, acct);
}

template <cuda::thread_scope S, class Custom>
MK_HD SweepCounts sweep(const View& v, u32 first, u32 stride, Custom& custom) {
  ImmediateAccounting<S> acct;
  return sweep<S>(v, first, stride, custom, acct);
}

template <cuda::thread_scope S>
MK_HD bool shutdown_requested(const View& v) {
  return Atomics<S>::load_acquire(v.control + abi::CTRL_SHUTDOWN) != 0;
}

template <cuda::thread_scope S>
MK_HD void heartbeat(const View& v) {
  Atomics<S>::fetch_add_relaxed(v.control + abi::CTRL_HEARTBEAT, 1);
}

}  // namespace mk::interp
