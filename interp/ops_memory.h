// Built-in memory opcodes: STORE_U32, ATOMIC_ADD, LOAD_U32, COMPARE_SWAP, MEMCPY.
#pragma once

#include "interp/env.h"

namespace mk::interp {

template <cuda::thread_scope S>
MK_HD Outcome op_store_u32(const Env<S>& env) {
  u32 f = env.store(env.arg(0), env.arg(1));
  return f ? Outcome::fault(f) : Outcome::done(0);
}

template <cuda::thread_scope S>
MK_HD Outcome op_atomic_add(const Env<S>& env) {
  u32 previous = 0;
  u32 f = env.atomic_add(env.arg(0), env.arg(1), previous);
  return f ? Outcome::fault(f) : Outcome::done(previous);
}

template <cuda::thread_scope S>
MK_HD Outcome op_load_u32(const Env<S>& env) {
  u32 value = 0;
  u32 f = env.load(env.arg(0), value);
  return f ? Outcome::fault(f) : Outcome::done(value);
}

template <cuda::thread_scope S>
MK_HD Outcome op_compare_swap(const Env<S>& env) {
  u32 previous = 0;
  u32 f = env.compare_swap(env.arg(0), env.arg(1), env.arg(2), previous);
  return f ? Outcome::fault(f) : Outcome::done(previous);
}

// Word copy inside the window; both ranges are checked whole before any write, and an
// overlapping copy behaves as memmove.
template <cuda::thread_scope S>
MK_HD Outcome op_memcpy(const Env<S>& env) {
  using A = Atomics<S>;
  const u32 dst = env.arg(0), src = env.arg(1), count = env.arg(2);
  if (!env.window.contains(dst, count) || !env.window.contains(src, count))
    return Outcome::fault(abi::FAULT_OUT_OF_BOUNDS);
  u32* d = env.word(dst);
  u32* s = env.word(src);
  if (dst <= src) {
    for (u32 i = 0; i < count; ++i) A::store_relaxed(d + i, A::load_relaxed(s + i));
  } else {
    for (u32 i = count; i > 0; --i) A::store_relaxed(d + i - 1, A::load_relaxed(s + i - 1));
  }
  return Outcome::done(count);
}

}  // namespace mk::interp
