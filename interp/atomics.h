// Scoped atomic word access for the interpreter (libcu++ atomic_ref, host and device).
#pragma once

#include <cuda/atomic>

#include "mk/abi.h"
#include "mk/config.h"

namespace mk::interp {

using abi::u32;
using abi::u64;

// Every shared word goes through atomic_ref so the CPU backend's threads and the GPU's
// lanes have defined behaviour; relaxed where only atomicity matters.
template <cuda::thread_scope Scope>
struct Atomics {
  static MK_HD u32 load_relaxed(u32* p) {
    return cuda::atomic_ref<u32, Scope>(*p).load(cuda::std::memory_order_relaxed);
  }
  static MK_HD u32 load_acquire(u32* p) {
    return cuda::atomic_ref<u32, Scope>(*p).load(cuda::std::memory_order_acquire);
  }
  static MK_HD void store_relaxed(u32* p, u32 v) {
    cuda::atomic_ref<u32, Scope>(*p).store(v, cuda::std::memory_order_relaxed);
  }
  static MK_HD void store_release(u32* p, u32 v) {
    cuda::atomic_ref<u32, Scope>(*p).store(v, cuda::std::memory_order_release);
  }
  static MK_HD u32 fetch_add_relaxed(u32* p, u32 v) {
    return cuda::atomic_ref<u32, Scope>(*p).fetch_add(v, cuda::std::memory_order_relaxed);
  }
  static MK_HD u32 fetch_add_release(u32* p, u32 v) {
    return cuda::atomic_ref<u32, Scope>(*p).fetch_add(v, cuda::std::memory_order_acq_rel);
  }
  static MK_HD u32 fetch_or_relaxed(u32* p, u32 v) {
    return cuda::atomic_ref<u32, Scope>(*p).fetch_or(v, cuda::std::memory_order_relaxed);
  }
  static MK_HD u32 fetch_sub_relaxed(u32* p, u32 v) {
    return cuda::atomic_ref<u32, Scope>(*p).fetch_sub(v, cuda::std::memory_order_relaxed);
  }
  // Returns the value seen; the swap happened when it equals `expected`.
  static MK_HD u32 cas_relaxed(u32* p, u32 expected, u32 desired) {
    cuda::atomic_ref<u32, Scope>(*p).compare_exchange_strong(expected, desired, cuda::std::memory_order_relaxed);
    return expected;
  }
  // 64-bit words (two ABI words, low first): `p` must be 8-byte aligned, which the
  // callers check (atomic_ref requires it on the host as well as on the device).
  static MK_HD u64 load64_relaxed(u64* p) {
    return cuda::atomic_ref<u64, Scope>(*p).load(cuda::std::memory_order_relaxed);
  }
  static MK_HD void store64_relaxed(u64* p, u64 v) {
    cuda::atomic_ref<u64, Scope>(*p).store(v, cuda::std::memory_order_relaxed);
  }
  static MK_HD u64 fetch_add64_relaxed(u64* p, u64 v) {
    return cuda::atomic_ref<u64, Scope>(*p).fetch_add(v, cuda::std::memory_order_relaxed);
  }
  static MK_HD bool cas_acq_rel(u32* p, u32 expected, u32 desired) {
    return cuda::atomic_ref<u32, Scope>(*p).compare_exchange_strong(expected, desired, cuda::std::memory_order_acq_rel,
                                                                    cuda::std::memory_order_acquire);
  }
};

}  // namespace mk::interp
