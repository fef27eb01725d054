// Protocol codec: pure encode/publish/read functions over ABI buffers (bytes or words).
//
// Every function takes untrusted sizes and bytes. Failures come back as mk::Error with
// the buffer, the word index and a fix; nothing is written unless the whole request
// validated. `try_*` forms return mk::Result; plain forms throw mk::Error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mk/abi.h"
#include "mk/error.h"

namespace mk {

using Word = std::uint32_t;
using Bytes = std::vector<std::byte>;
using ByteSpan = std::span<std::byte>;
using ConstByteSpan = std::span<const std::byte>;
using WordSpan = std::span<Word>;
using ConstWordSpan = std::span<const Word>;

// ---------------------------------------------------------------------------
// Sizes, computed with checked arithmetic (InvalidArgument on overflow or a limit).
Result<std::size_t> try_control_bytes(std::uint32_t observable_count);
Result<std::size_t> try_ring_bytes(std::uint32_t slot_count);
Result<std::size_t> try_debug_log_bytes(std::uint32_t capacity_records);
Result<std::size_t> try_io_queue_bytes(std::uint32_t capacity_requests);

// Reinterpret a byte buffer as little-endian words. Malformed when the size is not a
// multiple of 4 (truncated) or the pointer is not 4-byte aligned. `buffer` names the
// buffer in the error message ("control", "ring", ...).
Result<WordSpan> try_as_words(ByteSpan bytes, std::string_view buffer);
Result<ConstWordSpan> try_as_words(ConstByteSpan bytes, std::string_view buffer);

// ---------------------------------------------------------------------------
// Work items.
// One item for one ring slot: opcode id, tenant and up to MAX_ARGS argument words.
struct WorkItem {
  std::uint32_t opcode = abi::OP_NOP;
  std::uint32_t tenant = 0;
  std::array<std::uint32_t, abi::MAX_ARGS> args{};
  std::uint32_t arg_count = 0;  // words of args that are meaningful (<= MAX_ARGS)

  // InvalidArgument when args.size() > MAX_ARGS.
  static Result<WorkItem> make(std::uint32_t opcode, std::uint32_t tenant, std::span<const std::uint32_t> args);
  // The same for a braced list: WorkItem::make(OP_STORE_U32, 0, {3, 7}).
  static Result<WorkItem> make(std::uint32_t opcode, std::uint32_t tenant, std::initializer_list<std::uint32_t> args) {
    return make(opcode, tenant, std::span<const std::uint32_t>(args.begin(), args.size()));
  }
};

// One inner op of a PACKED_SLOT: an opcode id below 256 and its argument words.
struct PackedOp {
  std::uint32_t opcode = abi::OP_NOP;
  std::vector<std::uint32_t> args;
  friend bool operator==(const PackedOp&, const PackedOp&) = default;
};

// Encode ops into the ARGS of a PACKED_SLOT item (validates count 1..4, opcode ids
// < 256, total argument words <= 9).
Result<WorkItem> try_make_packed_item(std::uint32_t tenant, std::span<const PackedOp> ops);
// Inverse of try_make_packed_item over a slot's ARGS: Malformed when the op count is not
// 1..4, more than 9 words are used, or an op's offsets leave the used words.
Result<std::vector<PackedOp>> try_decode_packed_args(std::span<const std::uint32_t, abi::MAX_ARGS> args);

// A decoded slot.
struct SlotView {
  std::uint32_t status = abi::STATUS_EMPTY;
  std::uint32_t opcode = 0;
  std::uint32_t tenant = 0;
  std::uint32_t result = 0;
  std::array<std::uint32_t, abi::MAX_ARGS> args{};
};

// ---------------------------------------------------------------------------
// Control buffer.
// A tenant's window: observable words [base, base + len); opcode addresses are relative to base.
struct Window {
  std::uint32_t base = 0;
  std::uint32_t len = 0;
  friend bool operator==(const Window&, const Window&) = default;  // TenantCounters' == needs it
};

// TENANT_COUNT and OBSERVABLE_COUNT of a validated control buffer.
struct ControlHeader {
  std::uint32_t tenant_count = 0;
  std::uint32_t observable_count = 0;
};

// tenant_count <= 64; every tenant below it is enabled, allowed every opcode and sees
// the whole observable region; tenant 0 is admin. The built-in opcode ids are stamped
// into OPCODE_IDS[0..11].
Result<Bytes> try_encode_control(bool shutdown, std::uint32_t tenant_count, std::uint32_t observable_slots);
Bytes encode_control(bool shutdown, std::uint32_t tenant_count, std::uint32_t observable_slots);
Status try_encode_control_into(ByteSpan out, bool shutdown, std::uint32_t tenant_count, std::uint32_t observable_slots);
void encode_control_into(ByteSpan out, bool shutdown, std::uint32_t tenant_count, std::uint32_t observable_slots);
Status try_encode_control_words_into(WordSpan out, bool shutdown, std::uint32_t tenant_count,
                                     std::uint32_t observable_slots);

// Check magic, version, counts and the buffer size against OBSERVABLE_COUNT.
Result<ControlHeader> try_validate_control(ConstByteSpan control);
Result<ControlHeader> try_validate_control_words(ConstWordSpan control);

// Narrow one tenant: allowed_opcodes is a mask over opcode-table indices; the window
// must lie inside the observable region. tenant < TENANT_COUNT.
Status try_set_tenant_policy(ByteSpan control, std::uint32_t tenant, std::uint64_t allowed_opcodes, Window window);
void set_tenant_policy(ByteSpan control, std::uint32_t tenant, std::uint64_t allowed_opcodes, Window window);
// Enable/disable a tenant and grant/revoke admin (SHUTDOWN).
Status try_set_tenant_flags(ByteSpan control, std::uint32_t tenant, bool enabled, bool admin);

// Stamp the opcode table: ids[i] goes to OPCODE_IDS[i]; ids.size() <= 64; the first
// 12 must be the built-ins in order; unused entries are written 0.
Status try_stamp_opcode_table(ByteSpan control, std::span<const std::uint32_t> ids);
Status try_stamp_opcode_table_words(WordSpan control, std::span<const std::uint32_t> ids);

// Write observables [at, at + words.size()).
Status try_write_observables(ByteSpan control, std::uint32_t at, std::span<const std::uint32_t> words);

// Run-state counters (DONE_COUNT, EPOCH, LAST_FENCE_TAG, FAULT_COUNT), read with acquire
// ordering so what the kernel published before bumping them is visible. Malformed when
// the buffer is not a valid control buffer; an observable index at or past
// OBSERVABLE_COUNT is InvalidArgument. The plain forms throw that mk::Error: they never
// return 0 for a buffer they could not read.
Result<std::uint32_t> try_read_done_count(ConstByteSpan control);
Result<std::uint32_t> try_read_epoch(ConstByteSpan control);
Result<std::uint32_t> try_read_last_fence_tag(ConstByteSpan control);
Result<std::uint32_t> try_read_fault_count(ConstByteSpan control);
Result<std::uint32_t> try_read_observable(ConstByteSpan control, std::uint32_t index);
Result<std::vector<std::uint32_t>> try_read_observables(ConstByteSpan control);
std::uint32_t read_done_count(ConstByteSpan control);
std::uint32_t read_epoch(ConstByteSpan control);
std::uint32_t read_last_fence_tag(ConstByteSpan control);
std::uint32_t read_fault_count(ConstByteSpan control);
std::uint32_t read_observable(ConstByteSpan control, std::uint32_t index);
std::vector<std::uint32_t> read_observables(ConstByteSpan control);

// Per-opcode completion counts (OPCODE_COUNTS: DONE items only), non-zero only, in table order.
struct OpcodeCount {
  std::uint32_t opcode = 0;
  std::uint32_t table_index = 0;
  std::uint32_t count = 0;
  friend bool operator==(const OpcodeCount&, const OpcodeCount&) = default;
};
Result<std::vector<OpcodeCount>> try_read_metrics(ConstByteSpan control);
Status try_read_metrics_into(ConstByteSpan control, std::vector<OpcodeCount>& out);
std::vector<OpcodeCount> read_metrics(ConstByteSpan control);

// One tenant's record: policy (flags, allow mask, window) and its DONE / FAULT counters.
struct TenantCounters {
  std::uint32_t tenant = 0;
  std::uint32_t flags = 0;
  std::uint64_t allowed_opcodes = 0;
  Window window;
  std::uint32_t done = 0;
  std::uint32_t faults = 0;
  friend bool operator==(const TenantCounters&, const TenantCounters&) = default;
};
// InvalidArgument when tenant >= TENANT_COUNT.
Result<TenantCounters> try_read_tenant_counters(ConstByteSpan control, std::uint32_t tenant);
TenantCounters read_tenant_counters(ConstByteSpan control, std::uint32_t tenant);

// ---------------------------------------------------------------------------
// Ring.
// slot_count slots, every one EMPTY (InvalidArgument past abi::MAX_RING_SLOTS). A dispatch
// needs exactly Megakernel::slot_count() slots.
Result<Bytes> try_encode_empty_ring(std::uint32_t slot_count);
Bytes encode_empty_ring(std::uint32_t slot_count);
Status try_encode_empty_ring_into(ByteSpan out, std::uint32_t slot_count);

// The 16 words of a published slot holding `item` (STATUS = PUBLISHED, RESULT = 0,
// unused args 0), for staging slots that something else copies into a ring (resident
// uploads, many-launch batches). `item.arg_count` must be <= MAX_ARGS.
void encode_slot_words(const WorkItem& item, std::span<Word, abi::SLOT_WORDS> out) noexcept;

// Write one item into slot `slot`: every other word first, STATUS=PUBLISHED last with
// release order. Fails (QueueFull) while the slot is PUBLISHED, CLAIMED, WAIT_IO,
// YIELD or REQUEUE; a slot past the ring is InvalidArgument. Nothing is written on failure.
Status try_publish_slot(ByteSpan ring, std::uint32_t slot, const WorkItem& item);
void publish_slot(ByteSpan ring, std::uint32_t slot, const WorkItem& item);
Status try_publish_slot_words(WordSpan ring, std::uint32_t slot, const WorkItem& item);

// Publish items into slots first_slot, first_slot+1, ... (no wrap); cost is
// proportional to the items, the rest of the ring is not touched. Returns the slot
// after the last one written. The whole batch is validated first: a run past the ring
// is InvalidArgument, a slot still in flight QueueFull, and then nothing is written.
Result<std::uint32_t> try_publish_work_items(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items);
std::uint32_t publish_work_items(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items);

// Encode a whole ring: items in slots 0..n-1 PUBLISHED, every other slot EMPTY. The ring's
// slot count is its size / 64 bytes; more items than slots is InvalidArgument, and every
// slot must be reusable (EMPTY, DONE or FAULT), QueueFull otherwise.
Status try_encode_work_items_ring_into(ByteSpan ring, std::span<const WorkItem> items);
Status try_encode_work_items_ring_words_into(WordSpan ring, std::span<const WorkItem> items);

// try_make_packed_item(tenant, ops), then try_publish_slot into `slot`.
Status try_publish_packed_slot(ByteSpan ring, std::uint32_t slot, std::uint32_t tenant, std::span<const PackedOp> ops);
void publish_packed_slot(ByteSpan ring, std::uint32_t slot, std::uint32_t tenant, std::span<const PackedOp> ops);

// Publish items into first_slot.. and a BATCH_FENCE (tenant fence_tenant, tag) right
// after them covering exactly those slots: n items take n + 1 slots, and the return is
// first_slot + n + 1. Validated whole like try_publish_work_items (the fence's slot
// included). The fence is a completion marker, not a barrier (docs/reference.md section 4).
Result<std::uint32_t> try_batch_publish(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items,
                                        std::uint32_t fence_tag, std::uint32_t fence_tenant = 0);
std::uint32_t batch_publish(ByteSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items,
                            std::uint32_t fence_tag, std::uint32_t fence_tenant = 0);

// Slots in a ring (its size / 64 bytes); Malformed for a size that is not whole slots.
Result<std::uint32_t> try_slot_count(ConstByteSpan ring);
// One slot, STATUS read with acquire ordering; InvalidArgument past the ring.
Result<SlotView> try_read_slot(ConstByteSpan ring, std::uint32_t slot);
// Every slot, in order.
Result<std::vector<SlotView>> try_read_slots(ConstByteSpan ring);
// Slots in DONE state over the whole ring (no item count: the ring's size says how many
// slots there are). FAULT slots are not counted.
Result<std::uint32_t> try_count_done_ring_slots(ConstByteSpan ring);
// Slot indices in DONE state, ascending.
Result<std::vector<std::uint32_t>> try_read_done_slots(ConstByteSpan ring);

// ---------------------------------------------------------------------------
// Debug log.
// A log of capacity_records records, CURSOR 0 (InvalidArgument past the largest log).
Result<Bytes> try_encode_empty_debug_log(std::uint32_t capacity_records);
Bytes encode_empty_debug_log(std::uint32_t capacity_records);
Status try_encode_empty_debug_log_into(ByteSpan out, std::uint32_t capacity_records);

// One committed PRINTF record: its index in the log, fmt_id, who printed it and five values.
struct DebugRecord {
  std::uint32_t index = 0;
  std::uint32_t fmt_id = 0;
  std::uint32_t tenant = 0;
  std::uint32_t slot = 0;
  std::array<std::uint32_t, abi::REC_MAX_ARGS> args{};
  friend bool operator==(const DebugRecord&, const DebugRecord&) = default;
};

struct DebugLog {
  std::vector<DebugRecord> records;  // committed records, by index
  std::uint32_t capacity = 0;
  std::uint32_t claimed = 0;  // CURSOR as read
  std::uint32_t dropped = 0;  // claimed past capacity: never silent
  std::uint32_t partial = 0;  // claimed in range but COMMIT still 0
};

enum class DecodeMode {
  Strict,   // a claimed record with COMMIT 0 is Malformed
  Lenient,  // partial records are counted in DebugLog::partial and skipped
};

// Decode a debug log: Malformed for a bad header or, in Strict mode, a partial record.
Result<DebugLog> try_read_debug_log(ConstByteSpan log, DecodeMode mode = DecodeMode::Strict);
Status try_read_debug_log_into(ConstByteSpan log, DebugLog& out, DecodeMode mode = DecodeMode::Strict);
DebugLog read_debug_log(ConstByteSpan log, DecodeMode mode = DecodeMode::Strict);

// ---------------------------------------------------------------------------
// I/O queue.
// A queue of capacity_requests entries, every one EMPTY, HEAD 0.
Result<Bytes> try_encode_empty_io_queue(std::uint32_t capacity_requests);
Bytes encode_empty_io_queue(std::uint32_t capacity_requests);
Status try_encode_empty_io_queue_into(ByteSpan out, std::uint32_t capacity_requests);

// One LOAD_MISS request as the kernel posted it (docs/reference.md section 1.5).
struct IoRequest {
  std::uint32_t index = 0;  // entry in the queue
  std::uint32_t op = 0;
  std::uint32_t source = 0;
  std::uint32_t dest = 0;  // absolute observable index
  std::uint64_t offset = 0;
  std::uint32_t byte_count = 0;
  std::uint32_t status = abi::IO_STATUS_EMPTY;
  std::uint32_t ring_slot = 0;
  friend bool operator==(const IoRequest&, const IoRequest&) = default;
};

struct IoQueueView {
  std::uint32_t capacity = 0;
  std::uint32_t head = 0;           // requests ever posted
  std::vector<IoRequest> requests;  // entries whose STATUS is not EMPTY
};

// Decode the queue's header and every non-EMPTY entry; Malformed for a bad header.
Result<IoQueueView> try_read_io_requests(ConstByteSpan io);
IoQueueView read_io_requests(ConstByteSpan io);

// Host side of servicing: mark entry `index` OK with `bytes_delivered`, or ERROR.
// The entry must be REQUESTED or SERVICING.
Status try_complete_io_request(ByteSpan io, std::uint32_t index, bool ok, std::uint32_t bytes_delivered);

// Names for statuses, opcodes and fault codes (for messages, the CLI and tests).
std::string_view status_name(std::uint32_t status) noexcept;
std::string_view fault_name(std::uint32_t fault) noexcept;
std::string_view builtin_opcode_name(std::uint32_t opcode) noexcept;  // "" when not built in
// Opcode id of a built-in name ("STORE_U32"), or NO_OPCODE_INDEX when unknown.
// Note: "SHUTDOWN" maps to OP_SHUTDOWN == NO_OPCODE_INDEX; find_builtin_opcode tells them apart.
std::uint32_t builtin_opcode_from_name(std::string_view name) noexcept;
// Opcode id of a built-in name, or nullopt when unknown (unambiguous for SHUTDOWN).
std::optional<std::uint32_t> find_builtin_opcode(std::string_view name) noexcept;

}  // namespace mk
