// The per-item execution environment: args, identity and window-checked memory.
// Built-in and custom opcodes touch observables only through these functions.
#pragma once

#include "interp/atomics.h"
#include "interp/view.h"

namespace mk::interp {

template <cuda::thread_scope Scope>
struct Env {
  using A = Atomics<Scope>;

  const View* view = nullptr;
  u32 slot = 0;
  u32 tenant = 0;
  Window window;
  const u32* args = nullptr;  // arg(i) for i >= arg_count reads 0
  u32 arg_count = 0;

  MK_HD u32 arg(u32 i) const { return i < arg_count ? args[i] : 0u; }
  MK_HD u32* word(u32 addr) const { return view->observables() + window.base + addr; }

  // Each returns FAULT_NONE or the fault code; nothing is touched on a fault.
  MK_HD u32 load(u32 addr, u32& out) const {
    if (!window.contains(addr, 1)) return abi::FAULT_OUT_OF_BOUNDS;
    out = A::load_relaxed(word(addr));
    return abi::FAULT_NONE;
  }
  MK_HD u32 store(u32 addr, u32 value) const {
    if (!window.contains(addr, 1)) return abi::FAULT_OUT_OF_BOUNDS;
    A::store_relaxed(word(addr), value);
    return abi::FAULT_NONE;
  }
  MK_HD u32 atomic_add(u32 addr, u32 delta, u32& previous) const {
    if (!window.contains(addr, 1)) return abi::FAULT_OUT_OF_BOUNDS;
    previous = A::fetch_add_relaxed(word(addr), delta);
    return abi::FAULT_NONE;
  }
  MK_HD u32 compare_swap(u32 addr, u32 expected, u32 desired, u32& previous) const {
    if (!window.contains(addr, 1)) return abi::FAULT_OUT_OF_BOUNDS;
    previous = A::cas_relaxed(word(addr), expected, desired);
    return abi::FAULT_NONE;
  }

  // 64-bit accesses (the typed IR's load64/store64/atomic_add64) cover words addr and
  // addr + 1, low word first. The whole pair must lie in the window (else OUT_OF_BOUNDS,
  // nothing touched), and the pair's observable index (window base + addr) must be even,
  // else BAD_ARGS: a 64-bit atomic needs an 8-byte-aligned location on the GPU and for
  // atomic_ref, and OBSERVABLES start at the even word 656 of a buffer that the backends
  // allocate at least 8-byte aligned (cudaMalloc, cudaHostAlloc, and operator new for the
  // byte vectors the CPU backend runs over). The pointer test turns a caller's buffer that
  // is only 4-byte aligned (possible through the Backend interface) into BAD_ARGS rather
  // than a misaligned atomic.
  MK_HD u32 check_pair(u32 addr) const {
    if (!window.contains(addr, 2)) return abi::FAULT_OUT_OF_BOUNDS;
    if (((window.base + addr) & 1u) != 0) return abi::FAULT_BAD_ARGS;
    if ((reinterpret_cast<unsigned long long>(word(addr)) & 7u) != 0) return abi::FAULT_BAD_ARGS;
    return abi::FAULT_NONE;
  }
  MK_HD u64* pair(u32 addr) const { return reinterpret_cast<u64*>(word(addr)); }
  MK_HD u32 load64(u32 addr, u64& out) const {
    if (const u32 f = check_pair(addr)) return f;
    out = A::load64_relaxed(pair(addr));
    return abi::FAULT_NONE;
  }
  MK_HD u32 store64(u32 addr, u64 value) const {
    if (const u32 f = check_pair(addr)) return f;
    A::store64_relaxed(pair(addr), value);
    return abi::FAULT_NONE;
  }
  MK_HD u32 atomic_add64(u32 addr, u64 delta, u64& previous) const {
    if (const u32 f = check_pair(addr)) return f;
    previous = A::fetch_add64_relaxed(pair(addr), delta);
    return abi::FAULT_NONE;
  }

  // Claim a debug-log record and fill it; returns the record index (>= capacity means
  // dropped, visible as CURSOR past CAPACITY). BAD_ARGS when fmt_id uses the commit bit
  // or no debug log was supplied.
  MK_HD u32 printf(u32 fmt_id, const u32* values, u32 count, u32& record) const {
    if ((fmt_id & abi::REC_COMMIT_BIT) != 0 || view->log == nullptr) return abi::FAULT_BAD_ARGS;
    u32* cursor = view->log + abi::LOG_CURSOR;
    // Saturating claim: a cursor that wrapped would hand out committed records again.
    u32 seen = A::load_relaxed(cursor);
    for (;;) {
      if (seen == 0xFFFFFFFFu) {
        record = seen;
        return abi::FAULT_NONE;
      }
      u32 prev = A::cas_relaxed(cursor, seen, seen + 1);
      if (prev == seen) break;
      seen = prev;
    }
    record = seen;
    if (record < view->log_capacity) {
      u32* rec = view->log_record(record);
      A::store_relaxed(rec + abi::REC_TENANT, tenant);
      A::store_relaxed(rec + abi::REC_SLOT, slot);
      for (u32 i = 0; i < abi::REC_MAX_ARGS; ++i) A::store_relaxed(rec + abi::REC_ARGS + i, i < count ? values[i] : 0u);
      A::store_release(rec + abi::REC_COMMIT, fmt_id | abi::REC_COMMIT_BIT);
    }
    return abi::FAULT_NONE;
  }
};

}  // namespace mk::interp
