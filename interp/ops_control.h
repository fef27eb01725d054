// Control opcodes: BATCH_FENCE, SHUTDOWN and PRINTF.
#pragma once

#include "interp/env.h"

namespace mk::interp {

// Completes once no fenced slot (other than the fence's own) is PUBLISHED, CLAIMED,
// WAIT_IO, YIELD or REQUEUE; until then the slot goes back to PUBLISHED and the lane
// moves on, so no lane ever blocks on a fence.
template <cuda::thread_scope S>
MK_HD Outcome op_batch_fence(const Env<S>& env) {
  using A = Atomics<S>;
  const View& v = *env.view;
  const u32 first = env.arg(abi::FENCE_ARG_FIRST_SLOT);
  const u32 count = env.arg(abi::FENCE_ARG_COUNT);
  if (first > v.slot_count || count > v.slot_count - first) return Outcome::fault(abi::FAULT_BAD_ARGS);
  for (u32 s = first; s < first + count; ++s) {
    if (s == env.slot) continue;
    if (!abi::slot_settled(A::load_acquire(v.slot_word(s, abi::SLOT_STATUS)))) return Outcome::retry_later();
  }
  const u32 epoch = A::fetch_add_release(v.control + abi::CTRL_EPOCH, 1) + 1;
  A::store_relaxed(v.control + abi::CTRL_LAST_FENCE_TAG, env.arg(abi::FENCE_ARG_TAG));
  return Outcome::done(epoch);
}

template <cuda::thread_scope S>
MK_HD Outcome op_shutdown(const Env<S>& env) {
  Atomics<S>::store_release(env.view->control + abi::CTRL_SHUTDOWN, 1);
  return Outcome::done(0);
}

template <cuda::thread_scope S>
MK_HD Outcome op_printf(const Env<S>& env) {
  u32 values[abi::PRINTF_MAX_ARGS];
  for (u32 i = 0; i < abi::PRINTF_MAX_ARGS; ++i) values[i] = env.arg(abi::PRINTF_ARG_FMT + 1 + i);
  u32 record = 0;
  u32 f = env.printf(env.arg(abi::PRINTF_ARG_FMT), values, abi::PRINTF_MAX_ARGS, record);
  return f ? Outcome::fault(f) : Outcome::done(record);
}

}  // namespace mk::interp
