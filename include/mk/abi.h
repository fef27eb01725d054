// The buffer ABI: every word index, status, opcode, fault code, magic and limit.
// This header is the only place these numbers are spelled. It includes nothing so
// that host, device and NVRTC code can all use it unchanged.
#pragma once

namespace mk::abi {

using u32 = unsigned int;
using u64 = unsigned long long;
static_assert(sizeof(u32) == 4, "the ABI is made of 32-bit words");
static_assert(sizeof(u64) == 8, "64-bit offsets are split into two words");

inline constexpr u32 ABI_VERSION = 1;
inline constexpr u32 WORD_BYTES = 4;

// ---------------------------------------------------------------------------
// Ring: slot_count x SLOT_WORDS words, no header.
inline constexpr u32 SLOT_WORDS = 16;
inline constexpr u32 SLOT_BYTES = SLOT_WORDS * WORD_BYTES;
inline constexpr u32 SLOT_STATUS = 0;
inline constexpr u32 SLOT_OPCODE = 1;
inline constexpr u32 SLOT_TENANT = 2;
inline constexpr u32 SLOT_RESULT = 3;
inline constexpr u32 SLOT_ARGS = 4;
inline constexpr u32 MAX_ARGS = 12;
inline constexpr u32 MAX_RING_SLOTS = 0xFFFFFFFFu / SLOT_WORDS;
static_assert(SLOT_ARGS + MAX_ARGS == SLOT_WORDS, "args fill the rest of the slot");
static_assert(SLOT_WORDS * 4 == 64, "a slot is one 64-byte line");

// Live wire slot: how a live session carries one item across PCIe (docs/architecture.md,
// "One-trip wire format"). Four 16-byte chunks; the low half of each chunk's first word
// is the lap tag, the high halves carry OPCODE (two halves), TENANT and a checksum, the
// other twelve words are ARGS. A completion record per slot carries STATUS, the lap tag
// and RESULT in one 8-byte word.
inline constexpr u32 WIRE_CHUNKS = 4;
inline constexpr u32 WIRE_CHUNK_WORDS = 4;
inline constexpr u32 WIRE_TAG_MASK = 0xFFFFu;  // low half of words 0, 4, 8, 12
inline constexpr u32 WIRE_HALF_SHIFT = 16;      // high half of those words:
inline constexpr u32 WIRE_OPCODE_LO = 0;        //   opcode bits 0..15
inline constexpr u32 WIRE_OPCODE_HI = 4;        //   opcode bits 16..31
inline constexpr u32 WIRE_TENANT = 8;           //   tenant (0xFFFF: any tenant >= 0xFFFF)
inline constexpr u32 WIRE_CHECK = 12;           //   checksum over lap, opcode, tenant, args
inline constexpr u32 WIRE_TAG_LAPS = 0x8000u;   // tag = lap % WIRE_TAG_LAPS + 1; 0 = never written
inline constexpr u32 WIRE_COMPLETION_TAG_SHIFT = 16;  // completion low word: STATUS | tag << 16
// Completion records are 8 bytes, one per 64-byte line (record of slot s at u64 index
// s * WIRE_COMPLETION_STRIDE): the host reading one record never shares a line with the
// GPU writing the next.
inline constexpr u32 WIRE_COMPLETION_STRIDE = 8;
static_assert(WIRE_CHUNKS * WIRE_CHUNK_WORDS == SLOT_WORDS, "a wire slot is one 64-byte line");
// Wire word of argument i: the words of each chunk after its tag word.
constexpr u32 wire_arg_word(u32 i) { return (i / 3) * WIRE_CHUNK_WORDS + 1 + i % 3; }
static_assert(wire_arg_word(11) == 15, "twelve args fill the chunks after their tag words");

// Slot STATUS values.
inline constexpr u32 STATUS_EMPTY = 0;
inline constexpr u32 STATUS_PUBLISHED = 1;
inline constexpr u32 STATUS_CLAIMED = 2;
inline constexpr u32 STATUS_DONE = 3;
inline constexpr u32 STATUS_WAIT_IO = 4;
inline constexpr u32 STATUS_YIELD = 5;
inline constexpr u32 STATUS_REQUEUE = 6;
inline constexpr u32 STATUS_FAULT = 7;
inline constexpr u32 STATUS_COUNT = 8;

// A slot may be written by the host only from one of these states.
constexpr bool slot_reusable(u32 status) {
  return status == STATUS_EMPTY || status == STATUS_DONE || status == STATUS_FAULT;
}
// A settled slot holds nothing a fence must wait for.
constexpr bool slot_settled(u32 status) { return slot_reusable(status); }

// ---------------------------------------------------------------------------
// Control buffer.
inline constexpr u32 CONTROL_MAGIC = 0x314B434Du;  // "MCK1"
inline constexpr u32 CTRL_MAGIC = 0;
inline constexpr u32 CTRL_ABI_VERSION = 1;
inline constexpr u32 CTRL_TENANT_COUNT = 2;
inline constexpr u32 CTRL_OBSERVABLE_COUNT = 3;
inline constexpr u32 CTRL_SHUTDOWN = 4;
inline constexpr u32 CTRL_DONE_COUNT = 5;
inline constexpr u32 CTRL_EPOCH = 6;
inline constexpr u32 CTRL_LAST_FENCE_TAG = 7;
inline constexpr u32 CTRL_FAULT_COUNT = 8;
inline constexpr u32 CTRL_LAST_FAULT_SLOT = 9;
inline constexpr u32 CTRL_HEARTBEAT = 10;
inline constexpr u32 CTRL_IO_PENDING = 11;
inline constexpr u32 CTRL_RESERVED = 12;
inline constexpr u32 CTRL_HEADER_WORDS = 16;

inline constexpr u32 MAX_OPCODES = 64;
inline constexpr u32 CTRL_OPCODE_IDS = 16;
inline constexpr u32 CTRL_OPCODE_COUNTS = CTRL_OPCODE_IDS + MAX_OPCODES;  // 80

inline constexpr u32 MAX_TENANTS = 64;
inline constexpr u32 TENANT_WORDS = 8;
inline constexpr u32 CTRL_TENANTS = CTRL_OPCODE_COUNTS + MAX_OPCODES;  // 144
inline constexpr u32 TENANT_FLAGS = 0;
inline constexpr u32 TENANT_ALLOW_LO = 1;
inline constexpr u32 TENANT_ALLOW_HI = 2;
inline constexpr u32 TENANT_WINDOW_BASE = 3;
inline constexpr u32 TENANT_WINDOW_LEN = 4;
inline constexpr u32 TENANT_DONE = 5;
inline constexpr u32 TENANT_FAULTS = 6;
inline constexpr u32 TENANT_RESERVED = 7;
inline constexpr u32 TENANT_FLAG_ENABLED = 1u << 0;
inline constexpr u32 TENANT_FLAG_ADMIN = 1u << 1;

inline constexpr u32 CTRL_OBSERVABLES = CTRL_TENANTS + MAX_TENANTS * TENANT_WORDS;  // 656
// The largest observable region whose control buffer still fits u32 words.
inline constexpr u32 MAX_OBSERVABLES = 0xFFFFFFFFu / WORD_BYTES - CTRL_OBSERVABLES;

constexpr u32 tenant_word(u32 tenant, u32 field) {
  return CTRL_TENANTS + tenant * TENANT_WORDS + field;
}

static_assert(CTRL_HEADER_WORDS <= CTRL_OPCODE_IDS, "header overlaps the opcode table");
static_assert(CTRL_OPCODE_IDS + MAX_OPCODES <= CTRL_OPCODE_COUNTS, "ids overlap counts");
static_assert(CTRL_OPCODE_COUNTS + MAX_OPCODES <= CTRL_TENANTS, "counts overlap tenants");
static_assert(CTRL_TENANTS + MAX_TENANTS * TENANT_WORDS <= CTRL_OBSERVABLES,
              "tenant table overlaps observables");
static_assert(CTRL_OBSERVABLES == 656, "DESIGN.md section 2 puts observables at word 656");
static_assert(TENANT_RESERVED < TENANT_WORDS, "tenant record fits its words");
static_assert(MAX_OPCODES == 64, "the tenant allow mask is exactly 64 bits");

// ---------------------------------------------------------------------------
// Opcodes (ids as published in SLOT_OPCODE).
inline constexpr u32 OP_NOP = 0;
inline constexpr u32 OP_STORE_U32 = 1;
inline constexpr u32 OP_ATOMIC_ADD = 2;
inline constexpr u32 OP_LOAD_U32 = 3;
inline constexpr u32 OP_COMPARE_SWAP = 4;
inline constexpr u32 OP_MEMCPY = 5;
inline constexpr u32 OP_DFA_STEP = 6;
inline constexpr u32 OP_BATCH_FENCE = 7;
inline constexpr u32 OP_LOAD_MISS = 0xFFFDu;
inline constexpr u32 OP_PRINTF = 0xFFFEu;
inline constexpr u32 OP_PACKED_SLOT = 0x80000001u;
inline constexpr u32 OP_SHUTDOWN = 0xFFFFFFFFu;

// Opcode-table indices: built-ins take 0..11, custom opcodes 12..63.
inline constexpr u32 IDX_NOP = 0;
inline constexpr u32 IDX_STORE_U32 = 1;
inline constexpr u32 IDX_ATOMIC_ADD = 2;
inline constexpr u32 IDX_LOAD_U32 = 3;
inline constexpr u32 IDX_COMPARE_SWAP = 4;
inline constexpr u32 IDX_MEMCPY = 5;
inline constexpr u32 IDX_DFA_STEP = 6;
inline constexpr u32 IDX_BATCH_FENCE = 7;
inline constexpr u32 IDX_LOAD_MISS = 8;
inline constexpr u32 IDX_PRINTF = 9;
inline constexpr u32 IDX_PACKED_SLOT = 10;
inline constexpr u32 IDX_SHUTDOWN = 11;
inline constexpr u32 BUILTIN_OPCODES = 12;
inline constexpr u32 FIRST_CUSTOM_INDEX = BUILTIN_OPCODES;
inline constexpr u32 MAX_CUSTOM_OPCODES = MAX_OPCODES - BUILTIN_OPCODES;  // 52
inline constexpr u32 NO_OPCODE_INDEX = 0xFFFFFFFFu;
// A slot may be requeued this many times; one more faults STEP_BUDGET.
inline constexpr u32 MAX_REQUEUES = 64;

// Built-in opcode ids in table order.
inline constexpr u32 BUILTIN_OPCODE_IDS[BUILTIN_OPCODES] = {
    OP_NOP,         OP_STORE_U32, OP_ATOMIC_ADD, OP_LOAD_U32,     OP_COMPARE_SWAP, OP_MEMCPY,
    OP_DFA_STEP,    OP_BATCH_FENCE, OP_LOAD_MISS, OP_PRINTF,      OP_PACKED_SLOT,  OP_SHUTDOWN,
};

// Table index of a built-in opcode id, or NO_OPCODE_INDEX.
constexpr u32 builtin_index(u32 opcode) {
  if (opcode <= OP_BATCH_FENCE) return opcode;
  switch (opcode) {
    case OP_LOAD_MISS: return IDX_LOAD_MISS;
    case OP_PRINTF: return IDX_PRINTF;
    case OP_PACKED_SLOT: return IDX_PACKED_SLOT;
    case OP_SHUTDOWN: return IDX_SHUTDOWN;
    default: return NO_OPCODE_INDEX;
  }
}

// System opcodes are reserved: high bit set, 0xFFF0..0xFFFF, or <= 7.
constexpr bool is_system_opcode(u32 opcode) {
  return (opcode & 0x80000000u) != 0 || (opcode >= 0xFFF0u && opcode <= 0xFFFFu) ||
         opcode <= OP_BATCH_FENCE;
}

static_assert(builtin_index(OP_SHUTDOWN) == IDX_SHUTDOWN, "builtin table order");
static_assert(is_system_opcode(OP_LOAD_MISS) && is_system_opcode(OP_PACKED_SLOT) &&
                  is_system_opcode(OP_SHUTDOWN) && is_system_opcode(OP_PRINTF),
              "every non-dense built-in is a system opcode");

// Argument words of each built-in (a packed inner op reads missing args as 0).
inline constexpr u32 FENCE_ARG_FIRST_SLOT = 0;
inline constexpr u32 FENCE_ARG_COUNT = 1;
inline constexpr u32 FENCE_ARG_TAG = 2;
inline constexpr u32 DFA_ARG_TABLE = 0;
inline constexpr u32 DFA_ARG_STATE_COUNT = 1;
inline constexpr u32 DFA_ARG_STATE_ADDR = 2;
inline constexpr u32 DFA_ARG_BYTE_COUNT = 3;
inline constexpr u32 DFA_ARG_BYTES = 4;
inline constexpr u32 DFA_MAX_BYTES = (MAX_ARGS - DFA_ARG_BYTES) * WORD_BYTES;  // 32
inline constexpr u32 DFA_ALPHABET = 256;
inline constexpr u32 LOAD_MISS_ARG_SOURCE = 0;
inline constexpr u32 LOAD_MISS_ARG_OFFSET_LO = 1;
inline constexpr u32 LOAD_MISS_ARG_OFFSET_HI = 2;
inline constexpr u32 LOAD_MISS_ARG_BYTE_COUNT = 3;
inline constexpr u32 LOAD_MISS_ARG_DEST = 4;
inline constexpr u32 PRINTF_ARG_FMT = 0;
inline constexpr u32 PRINTF_MAX_ARGS = 5;
static_assert(DFA_MAX_BYTES == 32, "DESIGN.md: DFA_STEP takes at most 32 bytes");

// PACKED_SLOT layout inside ARGS.
inline constexpr u32 PACKED_ARG_HEADER = 0;   // bits 0-7 op count, bits 8-15 words used
inline constexpr u32 PACKED_ARG_OPCODES = 1;  // four u8 inner opcode ids
inline constexpr u32 PACKED_ARG_OFFSETS = 2;  // four u8 offsets into the packed words
inline constexpr u32 PACKED_ARG_WORDS = 3;    // packed argument words start here
inline constexpr u32 PACKED_MAX_OPS = 4;
inline constexpr u32 PACKED_MAX_WORDS = MAX_ARGS - PACKED_ARG_WORDS;  // 9
static_assert(PACKED_MAX_WORDS == 9, "DESIGN.md: at most 9 packed argument words");

// ---------------------------------------------------------------------------
// Fault codes (RESULT of a FAULT slot).
inline constexpr u32 FAULT_NONE = 0;
inline constexpr u32 FAULT_UNKNOWN_OPCODE = 1;
inline constexpr u32 FAULT_UNAUTHORIZED = 2;
inline constexpr u32 FAULT_OUT_OF_BOUNDS = 3;
inline constexpr u32 FAULT_BAD_ARGS = 4;
inline constexpr u32 FAULT_IO_QUEUE_FULL = 5;
inline constexpr u32 FAULT_IO_ERROR = 6;
inline constexpr u32 FAULT_USER_FAULT = 7;
inline constexpr u32 FAULT_STEP_BUDGET = 8;
inline constexpr u32 FAULT_DIVIDE_BY_ZERO = 9;
inline constexpr u32 FAULT_CODE_COUNT = 10;

// ---------------------------------------------------------------------------
// Debug log (PRINTF channel).
inline constexpr u32 LOG_MAGIC = 0x474C4B4Du;  // "MKLG"
inline constexpr u32 LOG_MAGIC_WORD = 0;
inline constexpr u32 LOG_CAPACITY = 1;
inline constexpr u32 LOG_CURSOR = 2;
inline constexpr u32 LOG_HEADER_WORDS = 4;
inline constexpr u32 LOG_RECORD_WORDS = 8;
inline constexpr u32 REC_COMMIT = 0;
inline constexpr u32 REC_TENANT = 1;
inline constexpr u32 REC_SLOT = 2;
inline constexpr u32 REC_ARGS = 3;
inline constexpr u32 REC_MAX_ARGS = 5;
inline constexpr u32 REC_COMMIT_BIT = 0x80000000u;
inline constexpr u32 MAX_LOG_RECORDS = (0xFFFFFFFFu / WORD_BYTES - LOG_HEADER_WORDS) / LOG_RECORD_WORDS;
static_assert(REC_ARGS + REC_MAX_ARGS == LOG_RECORD_WORDS, "record layout");
static_assert(REC_MAX_ARGS == PRINTF_MAX_ARGS, "every PRINTF arg has a record word");

// ---------------------------------------------------------------------------
// I/O request queue.
inline constexpr u32 IO_MAGIC = 0x4F494B4Du;  // "MKIO"
inline constexpr u32 IO_MAGIC_WORD = 0;
inline constexpr u32 IO_CAPACITY = 1;
inline constexpr u32 IO_HEAD = 2;  // requests ever posted (monotonic)
inline constexpr u32 IO_HEADER_WORDS = 4;
inline constexpr u32 IO_REQUEST_WORDS = 8;
inline constexpr u32 REQ_OP = 0;
inline constexpr u32 REQ_SOURCE = 1;
inline constexpr u32 REQ_DEST = 2;  // absolute observable index
inline constexpr u32 REQ_OFFSET_LO = 3;
inline constexpr u32 REQ_OFFSET_HI = 4;
inline constexpr u32 REQ_BYTE_COUNT = 5;  // bytes asked; the host rewrites it to bytes delivered
inline constexpr u32 REQ_STATUS = 6;
inline constexpr u32 REQ_RING_SLOT = 7;
inline constexpr u32 IO_OP_READ = 1;
inline constexpr u32 IO_OP_WRITE = 2;
inline constexpr u32 IO_OP_FENCE = 3;
inline constexpr u32 IO_STATUS_EMPTY = 0;
inline constexpr u32 IO_STATUS_REQUESTED = 1;
inline constexpr u32 IO_STATUS_SERVICING = 2;
inline constexpr u32 IO_STATUS_OK = 3;
inline constexpr u32 IO_STATUS_ERROR = 4;
// Extension (docs/architecture.md): a lane owns an entry while it fills it in.
inline constexpr u32 IO_STATUS_POSTING = 5;
inline constexpr u32 MAX_IO_REQUESTS = (0xFFFFFFFFu / WORD_BYTES - IO_HEADER_WORDS) / IO_REQUEST_WORDS;

}  // namespace mk::abi
