// What one interpreter step sees: the buffers of a launch and an op's outcome.
#pragma once

#include "mk/abi.h"
#include "mk/config.h"

namespace mk::interp {

using abi::u32;

// Raw word pointers of one launch. The host validated every header before the launch;
// the interpreter still bounds every index it derives from buffer contents.
struct View {
  u32* ring = nullptr;
  u32 slot_count = 0;
  u32* control = nullptr;
  u32 tenant_count = 0;      // from CTRL_TENANT_COUNT, clamped to MAX_TENANTS
  u32 observable_count = 0;  // from CTRL_OBSERVABLE_COUNT
  u32* log = nullptr;        // debug log, or nullptr
  u32 log_capacity = 0;
  u32* io = nullptr;  // I/O queue, or nullptr
  u32 io_capacity = 0;
  // The slot `ring` points at (0: the whole ring). A live CUDA worker runs one slot in a
  // 16-word scratch copy of its own: ring = the copy, ring_first = that slot's number.
  u32 ring_first = 0;

  MK_HD u32* slot_word(u32 slot, u32 word) const { return ring + (slot - ring_first) * abi::SLOT_WORDS + word; }
  MK_HD u32* observables() const { return control + abi::CTRL_OBSERVABLES; }
  MK_HD u32* log_record(u32 index) const { return log + abi::LOG_HEADER_WORDS + index * abi::LOG_RECORD_WORDS; }
  MK_HD u32* io_request(u32 index) const { return io + abi::IO_HEADER_WORDS + index * abi::IO_REQUEST_WORDS; }
};

// The observable range a tenant may touch, clamped to the region that exists.
struct Window {
  u32 base = 0;
  u32 len = 0;

  // [addr, addr + count) lies inside the window (count may be 0).
  MK_HD bool contains(u32 addr, u32 count) const { return addr <= len && count <= len - addr; }
};

MK_HD inline Window clamp_window(u32 base, u32 len, u32 observable_count) {
  if (base >= observable_count) return Window{observable_count, 0};
  u32 room = observable_count - base;
  return Window{base, len < room ? len : room};
}

// What executing an op did to its slot. `status` is the slot's next STATUS:
// DONE (value = RESULT), FAULT (value = fault code), WAIT_IO (value = request index),
// PUBLISHED (a fence not ready or a full I/O queue: runs again later, not progress),
// REQUEUE (value = requeue count; runs again, bounded).
struct Outcome {
  u32 status = abi::STATUS_DONE;
  u32 value = 0;

  static MK_HD Outcome done(u32 v) { return Outcome{abi::STATUS_DONE, v}; }
  static MK_HD Outcome fault(u32 code) { return Outcome{abi::STATUS_FAULT, code}; }
  static MK_HD Outcome wait_io(u32 request) { return Outcome{abi::STATUS_WAIT_IO, request}; }
  static MK_HD Outcome retry_later() { return Outcome{abi::STATUS_PUBLISHED, 0}; }
  static MK_HD Outcome requeue(u32 count) { return Outcome{abi::STATUS_REQUEUE, count}; }
  MK_HD bool ok() const { return status == abi::STATUS_DONE; }
};

// What a step did, for the backend's termination and statistics.
enum class StepResult : u32 {
  Idle = 0,  // slot was not runnable
  Progress,  // slot reached DONE, FAULT or WAIT_IO
  Retry,     // slot went back to PUBLISHED (fence not ready, I/O queue full)
  Requeued,  // slot reached REQUEUE: progress, and runnable again
};

}  // namespace mk::interp
