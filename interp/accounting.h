// Per-lane state of a sweep: how completions reach the control buffer's counters, and
// where the tenant policy is read from. Immediate accounting updates counters per item
// and reads the policy per item; batched accounting keeps counter runs in registers
// and publishes them at the end of a sweep (one atomic per run instead of per item),
// and reads a tenant's policy once per sweep. Either way an item's counters are
// published before DONE_COUNT counts it, so a host that sees DONE_COUNT reach N also
// sees the metrics and tenant counters of those N items.
#pragma once

#include "interp/atomics.h"
#include "interp/policy.h"
#include "interp/view.h"

namespace mk::interp {

// STATUS, OPCODE, TENANT and RESULT of a slot, read together.
struct SlotHead {
  u32 status = 0;
  u32 opcode = 0;
  u32 tenant = 0;
  u32 result = 0;
};

// STATUS with acquire, then, only for a slot a lane may run, the words the host wrote
// before it (a concurrent host may be writing an EMPTY slot's words right now).
template <cuda::thread_scope S>
MK_HD SlotHead load_head_ordered(const View& v, u32 slot) {
  SlotHead h;
  h.status = Atomics<S>::load_acquire(v.slot_word(slot, abi::SLOT_STATUS));
  if (h.status != abi::STATUS_PUBLISHED && h.status != abi::STATUS_REQUEUE && h.status != abi::STATUS_WAIT_IO) return h;
  h.opcode = Atomics<S>::load_relaxed(v.slot_word(slot, abi::SLOT_OPCODE));
  h.tenant = Atomics<S>::load_relaxed(v.slot_word(slot, abi::SLOT_TENANT));
  h.result = Atomics<S>::load_relaxed(v.slot_word(slot, abi::SLOT_RESULT));
  return h;
}

// Slot STATUS words are read with acquire and written with release, so a concurrent
// host (live session) sees RESULT before the terminal STATUS and a lane sees the
// host's item words before it claims them.
template <cuda::thread_scope S>
struct ImmediateAccounting {
  MK_HD SlotHead load_head(const View& v, u32 slot) const { return load_head_ordered<S>(v, slot); }
  // Lanes may race for a slot: the claim is a compare-and-swap.
  MK_HD bool claim(u32* status, u32 expected) const {
    return Atomics<S>::cas_relaxed(status, expected, abi::STATUS_CLAIMED) == expected;
  }
  MK_HD void store_status(u32* p, u32 v) const { Atomics<S>::store_release(p, v); }
  MK_HD void done(const View& v, u32 tenant, u32 index) {
    if (index < abi::MAX_OPCODES) Atomics<S>::fetch_add_relaxed(v.control + abi::CTRL_OPCODE_COUNTS + index, 1);
    if (tenant < v.tenant_count)
      Atomics<S>::fetch_add_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_DONE), 1);
  }
  // After the slot's terminal STATUS is stored.
  MK_HD void finished(const View& v) { Atomics<S>::fetch_add_release(v.control + abi::CTRL_DONE_COUNT, 1); }
  MK_HD void flush(const View&) {}
  MK_HD Policy policy(const View& v, u32 tenant) { return read_policy<S>(v, tenant); }
};

// ORDERED = false is for launches the host does not watch while they run (one-shot
// dispatch): every item word was written before the launch and is read back after
// it, so STATUS can be read and written relaxed, and one fence per sweep (in flush,
// before the counters are published) replaces a fence per item.
template <cuda::thread_scope S, bool ORDERED = true>
struct BatchedAccounting {
  // Unordered: nothing writes the slot while the launch runs but the lane that owns it,
  // so its first 16 bytes come in one load (one memory round trip instead of two
  // dependent ones; a 1M-slot drain is bound by these chains).
  MK_HD SlotHead load_head(const View& v, u32 slot) const {
    if (ORDERED) return load_head_ordered<S>(v, slot);
#if defined(__CUDA_ARCH__)
    const uint4 w = *reinterpret_cast<const uint4*>(v.slot_word(slot, abi::SLOT_STATUS));
    static_assert(abi::SLOT_STATUS == 0 && abi::SLOT_OPCODE == 1 && abi::SLOT_TENANT == 2 && abi::SLOT_RESULT == 3);
    return SlotHead{w.x, w.y, w.z, w.w};
#else
    return load_head_ordered<S>(v, slot);
#endif
  }
  // Unordered launches give every slot to exactly one lane (lanes stride over the ring,
  // the same stride every round), so the claim needs no compare-and-swap; ordered ones
  // may share slots with other workers and CAS.
  MK_HD bool claim(u32* status, u32 expected) const {
    if (!ORDERED) {
      Atomics<S>::store_relaxed(status, abi::STATUS_CLAIMED);
      return true;
    }
    return Atomics<S>::cas_relaxed(status, expected, abi::STATUS_CLAIMED) == expected;
  }
  MK_HD void store_status(u32* p, u32 v) const {
    if (ORDERED)
      Atomics<S>::store_release(p, v);
    else
      Atomics<S>::store_relaxed(p, v);
  }
  u32 metric_index = abi::NO_OPCODE_INDEX;
  u32 metric_count = 0;
  u32 tenant = abi::NO_OPCODE_INDEX;
  u32 tenant_count = 0;
  u32 pending_done = 0;
  u32 cached_tenant = abi::NO_OPCODE_INDEX;
  Policy cached;

  MK_HD void done(const View& v, u32 t, u32 index) {
    if (index != metric_index) {
      flush_metric(v);
      metric_index = index;
    }
    ++metric_count;
    if (t != tenant) {
      flush_tenant(v);
      tenant = t;
    }
    ++tenant_count;
  }
  MK_HD void finished(const View&) { ++pending_done; }
  // A policy change by the host takes effect at the lane's next sweep.
  MK_HD Policy policy(const View& v, u32 t) {
    if (t != cached_tenant) {
      cached = read_policy<S>(v, t);
      cached_tenant = t;
    }
    return cached;
  }
  MK_HD void flush(const View& v) {
    if (!ORDERED) cuda::atomic_thread_fence(cuda::std::memory_order_release, S);
    cached_tenant = abi::NO_OPCODE_INDEX;
    flush_metric(v);
    flush_tenant(v);
    if (pending_done != 0) Atomics<S>::fetch_add_release(v.control + abi::CTRL_DONE_COUNT, pending_done);
    pending_done = 0;
  }

  // Publish one run now (also used when a run ends mid-sweep).
  MK_HD void flush_metric(const View& v) {
    if (metric_count != 0 && metric_index < abi::MAX_OPCODES)
      Atomics<S>::fetch_add_relaxed(v.control + abi::CTRL_OPCODE_COUNTS + metric_index, metric_count);
    metric_count = 0;
  }
  MK_HD void flush_tenant(const View& v) {
    if (tenant_count != 0 && tenant < v.tenant_count)
      Atomics<S>::fetch_add_relaxed(v.control + abi::tenant_word(tenant, abi::TENANT_DONE), tenant_count);
    tenant_count = 0;
  }
};

}  // namespace mk::interp
