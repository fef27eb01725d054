// The bulk path's host side: BatchBuilder (records appended straight into host memory
// the device reads fastest) and BatchOutput (compact results, reused across calls).
// Megakernel::dispatch_batch runs a batch; see docs/reference.md "Compact batches".
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mk/backend.h"
#include "mk/batch.h"
#include "mk/megakernel.h"

namespace mk {

// Records of one batch shape in backend host memory (page-locked on CUDA, so dispatch
// copies nothing on the host). Grows by doubling; clear() keeps the memory.
class BatchBuilder {
 public:
  // InvalidArgument for a shape the batch path cannot run (try_validate_batch_shape).
  static Result<BatchBuilder> make(const Megakernel& megakernel, BatchShape shape, std::uint32_t reserve_items = 0);

  const BatchShape& shape() const noexcept { return m_shape; }
  std::uint32_t size() const noexcept { return m_count; }
  void clear() noexcept { m_count = 0; }  // keeps the memory for the next batch
  // Room for `items` records in all, allocated now so appends do not allocate.
  Status reserve(std::uint32_t items);

  // Room for one more record of shape().stride() words, uninitialised: the caller
  // writes every word. The fast path (about a nanosecond); throws mk::Error when the
  // batch cannot grow (BATCH_MAX_ITEMS, or host memory).
  Word* append() {
    if (m_count == m_capacity) grow_or_throw();
    return m_words + std::size_t{m_count++} * m_stride;
  }
  // Room for `items` more records (items * stride() words, uninitialised), for a
  // caller that fills many records in one loop: the fastest way to build a batch.
  // Throws like append().
  Word* append(std::uint32_t items) {
    if (items > m_capacity - m_count) grow_or_throw(items);
    Word* first = m_words + std::size_t{m_count} * m_stride;
    m_count += items;
    return first;
  }
  // Checked appends: args.size() <= shape().arg_count (missing words are 0); the
  // second form is for shapes with per-item opcode and/or tenant (fields not carried
  // per item are ignored).
  Status add(std::span<const Word> args);
  Status add(std::uint32_t opcode, std::uint32_t tenant, std::span<const Word> args);

  // A borrowed view of the records so far, for dispatch_batch or LiveSession::submit; valid
  // until the builder grows or is destroyed.
  BatchView view() const noexcept {
    return BatchView{m_shape, m_count, ConstWordSpan(m_words, std::size_t{m_count} * m_stride)};
  }

 private:
  BatchBuilder(std::shared_ptr<Backend> backend, BatchShape shape);
  // Room for `more` records past size(): doubling, at least 1024, at most BATCH_MAX_ITEMS.
  Status grow(std::uint32_t more);
  void grow_or_throw(std::uint32_t more = 1);

  std::shared_ptr<Backend> m_backend;
  BatchShape m_shape;
  std::uint32_t m_stride = 0;
  HostMemory m_memory;
  Word* m_words = nullptr;
  std::uint32_t m_count = 0;
  std::uint32_t m_capacity = 0;
};

// A dispatched batch's results. Owned by the caller and reused: no allocation when the
// item count does not grow.
class BatchOutput {
 public:
  std::uint32_t size() const noexcept { return m_count; }
  // RESULT per item: the op's value, or the fault code where faulted(i).
  ConstWordSpan results() const noexcept { return ConstWordSpan(m_results.words(), m_count); }
  std::uint32_t result(std::uint32_t item) const noexcept { return m_results.words()[item]; }
  // Bit i of word i / 32: item i ended FAULT.
  ConstWordSpan fault_bits() const noexcept {
    return ConstWordSpan(m_fault_bits.words(), abi::batch_fault_words(m_count));
  }
  bool faulted(std::uint32_t item) const noexcept { return batch_item_faulted(fault_bits(), item); }
  std::uint32_t fault_count() const noexcept;
  // Faulted items in ascending order, with their codes.
  std::vector<BatchFault> faults() const;
  // The control buffer after the batch (counters, metrics, observables).
  const Bytes& control() const noexcept { return m_control; }
  const DispatchStats& stats() const noexcept { return m_stats; }

 private:
  friend class Megakernel;
  HostMemory m_results;
  HostMemory m_fault_bits;
  std::uint32_t m_count = 0;
  Bytes m_control;
  DispatchStats m_stats;
};

// Item `item` of a dispatched batch as the ring slot it ran in (STATUS DONE or FAULT,
// OPCODE, TENANT, RESULT, ARGS), rebuilt on the host from the records and the compact
// results: the full slot view on request, with no transfer. InvalidArgument when `item`
// is out of range or `out` holds another batch's results (a different item count).
Result<SlotView> try_batch_item_slot(const BatchView& batch, const BatchOutput& out, std::uint32_t item);

}  // namespace mk
