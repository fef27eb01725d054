// Compact batches: the bulk path's wire format (abi.h "Compact batch"), its validation
// and its serialised form. An item costs only the words that vary per item; results
// come back as one RESULT word per item plus a fault bitmap.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "mk/abi.h"
#include "mk/error.h"
#include "mk/protocol.h"

namespace mk {

// What every record of a batch shares, and what each record carries.
struct BatchShape {
  bool per_item_opcode = false;        // each record starts with its opcode id
  bool per_item_tenant = false;        // then (or first) its tenant
  std::uint32_t opcode = abi::OP_NOP;  // the batch's opcode (ignored when per_item_opcode)
  std::uint32_t tenant = 0;            // the batch's tenant (ignored when per_item_tenant)
  std::uint32_t arg_count = 0;         // argument words per record; missing ones read as 0

  // Every item runs `opcode` for `tenant`: records are just `arg_count` words.
  static BatchShape uniform(std::uint32_t opcode, std::uint32_t tenant, std::uint32_t arg_count) {
    return BatchShape{false, false, opcode, tenant, arg_count};
  }
  // Records carry {opcode, tenant, args[arg_count]}.
  static BatchShape mixed(std::uint32_t arg_count) { return BatchShape{true, true, 0, 0, arg_count}; }

  std::uint32_t flags() const noexcept {
    return (per_item_opcode ? abi::BATCH_FLAG_ITEM_OPCODE : 0u) | (per_item_tenant ? abi::BATCH_FLAG_ITEM_TENANT : 0u);
  }
  std::uint32_t stride() const noexcept { return abi::batch_stride(flags(), arg_count); }
};

// A batch in the documented record layout: `count` records of shape.stride() words.
// Borrowed: the words stay the caller's (a BatchBuilder's, or the caller's own array;
// when that memory is page-locked the CUDA backend copies it to the device directly).
struct BatchView {
  BatchShape shape;
  std::uint32_t count = 0;
  ConstWordSpan records;
};

// One faulted item of a dispatched batch.
struct BatchFault {
  std::uint32_t item = 0;
  std::uint32_t code = 0;  // abi::FAULT_*
  friend bool operator==(const BatchFault&, const BatchFault&) = default;
};

// The shape alone: known flags, arg_count <= MAX_ARGS, and a shared opcode the batch
// path can run. InvalidArgument names the field and the fix.
Status try_validate_batch_shape(const BatchShape& shape);

// The whole batch before anything moves: the shape, count <= BATCH_MAX_ITEMS, records
// holding count * stride words (checked arithmetic), and every opcode (shared or per
// item) in `opcode_table` and not refused by the batch path, every tenant below
// `tenant_count`. The first bad item is named with its index and field.
Status try_validate_batch(const BatchView& batch, std::span<const std::uint32_t> opcode_table,
                          std::uint32_t tenant_count);

// Serialised form: BATCH_HEADER_WORDS header words, then the records.
Result<std::size_t> try_batch_words(const BatchShape& shape, std::uint32_t count);
Status try_encode_batch_header(WordSpan out, const BatchShape& shape, std::uint32_t count);
// Decode a serialised batch (header and records; extra trailing words are Malformed).
// The view borrows `words`. Opcodes and tenants are checked by try_validate_batch.
Result<BatchView> try_decode_batch(ConstWordSpan words);

// Did item `index` fault, by a results fault bitmap? (false past the bitmap.)
inline bool batch_item_faulted(ConstWordSpan fault_bits, std::uint32_t index) noexcept {
  const std::uint32_t word = index / 32u;
  return word < fault_bits.size() && ((fault_bits[word] >> (index % 32u)) & 1u) != 0;
}

}  // namespace mk
