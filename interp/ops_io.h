// LOAD_MISS: post an I/O read request and park the slot in WAIT_IO; finish it once the
// host has completed the request.
#pragma once

#include "interp/env.h"

namespace mk::interp {

// args: source, offset_lo, offset_hi, byte_count, dest (window-relative word index).
// The destination range is checked whole before the request is posted. A full queue
// leaves the slot PUBLISHED for a later sweep; no queue at all faults IO_QUEUE_FULL.
template <cuda::thread_scope S>
MK_HD Outcome op_load_miss(const Env<S>& env) {
  using A = Atomics<S>;
  const View& v = *env.view;
  const u32 byte_count = env.arg(abi::LOAD_MISS_ARG_BYTE_COUNT);
  const u32 dest = env.arg(abi::LOAD_MISS_ARG_DEST);
  const u32 words = byte_count / abi::WORD_BYTES + (byte_count % abi::WORD_BYTES != 0 ? 1u : 0u);
  if (!env.window.contains(dest, words)) return Outcome::fault(abi::FAULT_OUT_OF_BOUNDS);
  if (byte_count == 0) return Outcome::done(0);
  if (v.io == nullptr || v.io_capacity == 0) return Outcome::fault(abi::FAULT_IO_QUEUE_FULL);
  // Start at the head so entries are reused round-robin.
  const u32 start = A::load_relaxed(v.io + abi::IO_HEAD) % v.io_capacity;
  for (u32 k = 0; k < v.io_capacity; ++k) {
    const u32 index = (start + k) % v.io_capacity;
    u32* req = v.io_request(index);
    if (!A::cas_acq_rel(req + abi::REQ_STATUS, abi::IO_STATUS_EMPTY, abi::IO_STATUS_POSTING)) continue;
    A::store_relaxed(req + abi::REQ_OP, abi::IO_OP_READ);
    A::store_relaxed(req + abi::REQ_SOURCE, env.arg(abi::LOAD_MISS_ARG_SOURCE));
    A::store_relaxed(req + abi::REQ_DEST, env.window.base + dest);
    A::store_relaxed(req + abi::REQ_OFFSET_LO, env.arg(abi::LOAD_MISS_ARG_OFFSET_LO));
    A::store_relaxed(req + abi::REQ_OFFSET_HI, env.arg(abi::LOAD_MISS_ARG_OFFSET_HI));
    A::store_relaxed(req + abi::REQ_BYTE_COUNT, byte_count);
    A::store_relaxed(req + abi::REQ_RING_SLOT, env.slot);
    A::fetch_add_relaxed(v.io + abi::IO_HEAD, 1);
    A::fetch_add_relaxed(v.control + abi::CTRL_IO_PENDING, 1);
    A::store_release(req + abi::REQ_STATUS, abi::IO_STATUS_REQUESTED);
    return Outcome::wait_io(index);
  }
  return Outcome::retry_later();
}

// Has the request a WAIT_IO slot is parked on been completed by the host?
template <cuda::thread_scope S>
MK_HD bool io_request_settled(const View& v, u32 slot) {
  using A = Atomics<S>;
  if (v.io == nullptr) return true;  // nothing can complete it: finish as IO_ERROR
  const u32 index = A::load_relaxed(v.slot_word(slot, abi::SLOT_RESULT));
  if (index >= v.io_capacity) return true;
  const u32 status = A::load_acquire(v.io_request(index) + abi::REQ_STATUS);
  return status == abi::IO_STATUS_OK || status == abi::IO_STATUS_ERROR;
}

// Finish a claimed WAIT_IO slot: RESULT = bytes delivered, or FAULT IO_ERROR. Frees the
// request entry for reuse.
template <cuda::thread_scope S>
MK_HD Outcome finish_load_miss(const View& v, u32 slot) {
  using A = Atomics<S>;
  const u32 index = A::load_relaxed(v.slot_word(slot, abi::SLOT_RESULT));
  if (v.io == nullptr || index >= v.io_capacity) return Outcome::fault(abi::FAULT_IO_ERROR);
  u32* req = v.io_request(index);
  const u32 status = A::load_acquire(req + abi::REQ_STATUS);
  const bool mine = A::load_relaxed(req + abi::REQ_RING_SLOT) == slot;
  const u32 delivered = A::load_relaxed(req + abi::REQ_BYTE_COUNT);
  if (status != abi::IO_STATUS_OK && status != abi::IO_STATUS_ERROR) return Outcome::fault(abi::FAULT_IO_ERROR);
  A::fetch_sub_relaxed(v.control + abi::CTRL_IO_PENDING, 1);
  A::store_release(req + abi::REQ_STATUS, abi::IO_STATUS_EMPTY);
  if (status != abi::IO_STATUS_OK || !mine) return Outcome::fault(abi::FAULT_IO_ERROR);
  return Outcome::done(delivered);
}

}  // namespace mk::interp
