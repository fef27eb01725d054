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
inline constexpr u32 WIRE_TAG_MASK = 0xFFFFu;         // low half of words 0, 4, 8, 12
inline constexpr u32 WIRE_HALF_SHIFT = 16;            // high half of those words:
inline constexpr u32 WIRE_OPCODE_LO = 0;              //   opcode bits 0..15
inline constexpr u32 WIRE_OPCODE_HI = 4;              //   opcode bits 16..31
inline constexpr u32 WIRE_TENANT = 8;                 //   tenant (0xFFFF: any tenant >= 0xFFFF)
inline constexpr u32 WIRE_CHECK = 12;                 //   checksum over lap, opcode, tenant, args
inline constexpr u32 WIRE_TAG_LAPS = 0x8000u;         // tag = lap % WIRE_TAG_LAPS + 1; 0 = never written
inline constexpr u32 WIRE_COMPLETION_TAG_SHIFT = 16;  // completion low word: STATUS | tag << 16
// Completion records are 8 bytes, packed (record of slot s at u64 index
// s * WIRE_COMPLETION_STRIDE): the lanes a warp serves together answer consecutive slots
// in one store instruction, a whole 64-byte line over PCIe, and the host collects eight
// records per cache miss. (One record per line made every record a host cache miss.)
inline constexpr u32 WIRE_COMPLETION_STRIDE = 1;
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

constexpr u32 tenant_word(u32 tenant, u32 field) { return CTRL_TENANTS + tenant * TENANT_WORDS + field; }

static_assert(CTRL_HEADER_WORDS <= CTRL_OPCODE_IDS, "header overlaps the opcode table");
static_assert(CTRL_OPCODE_IDS + MAX_OPCODES <= CTRL_OPCODE_COUNTS, "ids overlap counts");
static_assert(CTRL_OPCODE_COUNTS + MAX_OPCODES <= CTRL_TENANTS, "counts overlap tenants");
static_assert(CTRL_TENANTS + MAX_TENANTS * TENANT_WORDS <= CTRL_OBSERVABLES, "tenant table overlaps observables");
static_assert(CTRL_OBSERVABLES == 656, "docs/reference.md puts the observables at word 656");
static_assert(TENANT_RESERVED < TENANT_WORDS, "tenant record fits its words");
static_assert(MAX_OPCODES == 64, "the tenant allow mask is exactly 64 bits");

// ---------------------------------------------------------------------------
// Opcodes. Every built-in is one row of BUILTIN_OPCODE_TABLE: its id (what a slot's
// OPCODE word holds), its opcode-table index (the row's position), its name, the
// argument words it reads in ARGS order, what RESULT holds once it is DONE, and whether
// it always settles in the step that claims it. OP_*, BUILTIN_OPCODE_IDS,
// builtin_index(), is_system_opcode()'s dense range, the *_ARG_* word indices and the
// names (mk::builtin_opcode_name) are all read from it; tests/protocol's reference-doc
// test holds docs/reference.md's opcode table to it. Adding a built-in: a row here with
// its IDX_ and OP_ names (the static_asserts below catch a missed one), its interp/ op,
// its row in docs/reference.md and one conformance case.

// Opcode-table indices: built-ins take 0..11 (the rows below), custom opcodes 12..63.
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
// Steps (loop iterations and statements, docs/ir.md) one custom-opcode item may take per
// run before it faults STEP_BUDGET: the CPU evaluator's and the JIT's default alike.
inline constexpr u32 IR_STEP_BUDGET = 1u << 16;

// Room for a built-in's argument names (LOAD_MISS has the most: five).
inline constexpr u32 BUILTIN_MAX_ARG_NAMES = 6;

// One built-in opcode. A packed inner op, or an item with fewer argument words, reads
// the missing ones as 0.
struct BuiltinOpcode {
  u32 id;                                   // published in SLOT_OPCODE
  u32 index;                                // opcode-table index: the row's position
  const char* name;                         // as the CLI, job files and messages spell it
  const char* args[BUILTIN_MAX_ARG_NAMES];  // ARGS order, one word each, then nullptr
  u32 arg_words;                            // ARGS words read; the last name spans the rest
  const char* result;                       // what RESULT holds when the slot is DONE
  bool single_step;                         // always DONE or FAULT in the step that claims it
};

inline constexpr BuiltinOpcode BUILTIN_OPCODE_TABLE[BUILTIN_OPCODES] = {
    {0x00000000u, IDX_NOP, "NOP", {}, 0, "0", true},
    {0x00000001u, IDX_STORE_U32, "STORE_U32", {"addr", "value"}, 2, "0", true},
    {0x00000002u, IDX_ATOMIC_ADD, "ATOMIC_ADD", {"addr", "delta"}, 2, "previous value", true},
    {0x00000003u, IDX_LOAD_U32, "LOAD_U32", {"addr"}, 1, "value", true},
    {0x00000004u, IDX_COMPARE_SWAP, "COMPARE_SWAP", {"addr", "expected", "desired"}, 3, "previous value", true},
    {0x00000005u, IDX_MEMCPY, "MEMCPY", {"dst", "src", "count"}, 3, "count", true},
    // bytes: up to 32 bytes packed little-endian in ARGS[4..11].
    {0x00000006u,
     IDX_DFA_STEP,
     "DFA_STEP",
     {"table", "state_count", "state_addr", "n_bytes", "bytes"},
     MAX_ARGS,
     "new state",
     true},
    // Goes back to PUBLISHED until every fenced slot is settled.
    {0x00000007u,
     IDX_BATCH_FENCE,
     "BATCH_FENCE",
     {"first_slot", "count", "tag"},
     3,
     "EPOCH after the increment",
     false},
    // Parks in WAIT_IO until the host completes its I/O request.
    {0x0000FFFDu,
     IDX_LOAD_MISS,
     "LOAD_MISS",
     {"source", "offset_lo", "offset_hi", "byte_count", "dest"},
     5,
     "bytes delivered",
     false},
    // values: up to 5 words copied into the record, ARGS[1..5].
    {0x0000FFFEu, IDX_PRINTF, "PRINTF", {"fmt_id", "values"}, 6, "record index", true},
    // words: the inner ops' argument words, ARGS[3..11].
    {0x80000001u,
     IDX_PACKED_SLOT,
     "PACKED_SLOT",
     {"header", "opcodes", "offsets", "words"},
     MAX_ARGS,
     "last inner RESULT",
     true},
    {0xFFFFFFFFu, IDX_SHUTDOWN, "SHUTDOWN", {}, 0, "0", true},
};

// Opcode ids, read from the table.
inline constexpr u32 OP_NOP = BUILTIN_OPCODE_TABLE[IDX_NOP].id;
inline constexpr u32 OP_STORE_U32 = BUILTIN_OPCODE_TABLE[IDX_STORE_U32].id;
inline constexpr u32 OP_ATOMIC_ADD = BUILTIN_OPCODE_TABLE[IDX_ATOMIC_ADD].id;
inline constexpr u32 OP_LOAD_U32 = BUILTIN_OPCODE_TABLE[IDX_LOAD_U32].id;
inline constexpr u32 OP_COMPARE_SWAP = BUILTIN_OPCODE_TABLE[IDX_COMPARE_SWAP].id;
inline constexpr u32 OP_MEMCPY = BUILTIN_OPCODE_TABLE[IDX_MEMCPY].id;
inline constexpr u32 OP_DFA_STEP = BUILTIN_OPCODE_TABLE[IDX_DFA_STEP].id;
inline constexpr u32 OP_BATCH_FENCE = BUILTIN_OPCODE_TABLE[IDX_BATCH_FENCE].id;
inline constexpr u32 OP_LOAD_MISS = BUILTIN_OPCODE_TABLE[IDX_LOAD_MISS].id;
inline constexpr u32 OP_PRINTF = BUILTIN_OPCODE_TABLE[IDX_PRINTF].id;
inline constexpr u32 OP_PACKED_SLOT = BUILTIN_OPCODE_TABLE[IDX_PACKED_SLOT].id;
inline constexpr u32 OP_SHUTDOWN = BUILTIN_OPCODE_TABLE[IDX_SHUTDOWN].id;

// Built-in opcode ids in table order.
inline constexpr u32 BUILTIN_OPCODE_IDS[BUILTIN_OPCODES] = {
    OP_NOP,      OP_STORE_U32,   OP_ATOMIC_ADD, OP_LOAD_U32, OP_COMPARE_SWAP, OP_MEMCPY,
    OP_DFA_STEP, OP_BATCH_FENCE, OP_LOAD_MISS,  OP_PRINTF,   OP_PACKED_SLOT,  OP_SHUTDOWN,
};

// Leading built-ins whose id equals their table index (NOP..BATCH_FENCE): the dense ids.
constexpr u32 builtin_dense_ids() {
  u32 n = 0;
  while (n < BUILTIN_OPCODES && BUILTIN_OPCODE_TABLE[n].id == n) ++n;
  return n;
}
inline constexpr u32 BUILTIN_DENSE_IDS = builtin_dense_ids();  // 8

// A table value as a compile-time constant: device code compares against it without
// reading the table (a host variable) at run time.
template <u32 V>
struct U32Constant {
  static constexpr u32 value = V;
};

// Index of `opcode` among the table rows I.. (the sparse ids), or NO_OPCODE_INDEX.
template <u32 I>
constexpr u32 builtin_index_from(u32 opcode) {
  if constexpr (I >= BUILTIN_OPCODES) {
    (void)opcode;
    return NO_OPCODE_INDEX;
  } else {
    return opcode == U32Constant<BUILTIN_OPCODE_TABLE[I].id>::value ? I : builtin_index_from<I + 1>(opcode);
  }
}

// Table index of a built-in opcode id, or NO_OPCODE_INDEX.
constexpr u32 builtin_index(u32 opcode) {
  return opcode < BUILTIN_DENSE_IDS ? opcode : builtin_index_from<BUILTIN_DENSE_IDS>(opcode);
}

// System opcodes are reserved: high bit set, 0xFFF0..0xFFFF, or a dense built-in id (<= 7).
inline constexpr u32 SYSTEM_OPCODE_HIGH_BIT = 0x80000000u;
inline constexpr u32 SYSTEM_OPCODE_RANGE_FIRST = 0xFFF0u;
inline constexpr u32 SYSTEM_OPCODE_RANGE_LAST = 0xFFFFu;
constexpr bool is_system_opcode(u32 opcode) {
  return (opcode & SYSTEM_OPCODE_HIGH_BIT) != 0 ||
         (opcode >= SYSTEM_OPCODE_RANGE_FIRST && opcode <= SYSTEM_OPCODE_RANGE_LAST) || opcode < BUILTIN_DENSE_IDS;
}

constexpr bool abi_same_text(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// Named arguments of built-in `index` (the names before the first nullptr).
constexpr u32 builtin_arg_count(u32 index) {
  u32 n = 0;
  while (n < BUILTIN_MAX_ARG_NAMES && BUILTIN_OPCODE_TABLE[index].args[n] != nullptr) ++n;
  return n;
}

// ARGS word of built-in `index`'s argument `name`, or MAX_ARGS when it has none.
constexpr u32 builtin_arg_word(u32 index, const char* name) {
  for (u32 i = 0; i < builtin_arg_count(index); ++i)
    if (abi_same_text(BUILTIN_OPCODE_TABLE[index].args[i], name)) return i;
  return MAX_ARGS;
}

// Rows in index order, ids and names distinct, each id found by builtin_index, each
// one a system opcode (no custom opcode can take it), and a sane argument layout.
constexpr bool builtin_table_consistent() {
  for (u32 i = 0; i < BUILTIN_OPCODES; ++i) {
    const BuiltinOpcode& row = BUILTIN_OPCODE_TABLE[i];
    if (row.index != i || BUILTIN_OPCODE_IDS[i] != row.id || builtin_index(row.id) != i) return false;
    if (!is_system_opcode(row.id) || row.name == nullptr || row.result == nullptr) return false;
    const u32 named = builtin_arg_count(i);
    if (row.arg_words > MAX_ARGS || named > row.arg_words || (named == 0) != (row.arg_words == 0)) return false;
    for (u32 j = 0; j < i; ++j) {
      if (BUILTIN_OPCODE_TABLE[j].id == row.id || abi_same_text(BUILTIN_OPCODE_TABLE[j].name, row.name)) return false;
    }
  }
  return true;
}
static_assert(builtin_table_consistent(), "BUILTIN_OPCODE_TABLE: rows out of order, duplicated or malformed");
static_assert(BUILTIN_DENSE_IDS == IDX_BATCH_FENCE + 1, "ids 0..7 are the dense built-ins");
static_assert(builtin_index(BUILTIN_DENSE_IDS) == NO_OPCODE_INDEX && !is_system_opcode(BUILTIN_DENSE_IDS),
              "the first id past the dense built-ins is free for custom opcodes");

// Argument words of each built-in, read from the table by name.
inline constexpr u32 FENCE_ARG_FIRST_SLOT = builtin_arg_word(IDX_BATCH_FENCE, "first_slot");
inline constexpr u32 FENCE_ARG_COUNT = builtin_arg_word(IDX_BATCH_FENCE, "count");
inline constexpr u32 FENCE_ARG_TAG = builtin_arg_word(IDX_BATCH_FENCE, "tag");
inline constexpr u32 DFA_ARG_TABLE = builtin_arg_word(IDX_DFA_STEP, "table");
inline constexpr u32 DFA_ARG_STATE_COUNT = builtin_arg_word(IDX_DFA_STEP, "state_count");
inline constexpr u32 DFA_ARG_STATE_ADDR = builtin_arg_word(IDX_DFA_STEP, "state_addr");
inline constexpr u32 DFA_ARG_BYTE_COUNT = builtin_arg_word(IDX_DFA_STEP, "n_bytes");
inline constexpr u32 DFA_ARG_BYTES = builtin_arg_word(IDX_DFA_STEP, "bytes");
inline constexpr u32 DFA_MAX_BYTES = (MAX_ARGS - DFA_ARG_BYTES) * WORD_BYTES;  // 32
inline constexpr u32 DFA_ALPHABET = 256;
inline constexpr u32 LOAD_MISS_ARG_SOURCE = builtin_arg_word(IDX_LOAD_MISS, "source");
inline constexpr u32 LOAD_MISS_ARG_OFFSET_LO = builtin_arg_word(IDX_LOAD_MISS, "offset_lo");
inline constexpr u32 LOAD_MISS_ARG_OFFSET_HI = builtin_arg_word(IDX_LOAD_MISS, "offset_hi");
inline constexpr u32 LOAD_MISS_ARG_BYTE_COUNT = builtin_arg_word(IDX_LOAD_MISS, "byte_count");
inline constexpr u32 LOAD_MISS_ARG_DEST = builtin_arg_word(IDX_LOAD_MISS, "dest");
inline constexpr u32 PRINTF_ARG_FMT = builtin_arg_word(IDX_PRINTF, "fmt_id");
inline constexpr u32 PRINTF_MAX_ARGS = 5;
static_assert(FENCE_ARG_FIRST_SLOT < MAX_ARGS && FENCE_ARG_COUNT < MAX_ARGS && FENCE_ARG_TAG < MAX_ARGS &&
                  DFA_ARG_TABLE < MAX_ARGS && DFA_ARG_STATE_COUNT < MAX_ARGS && DFA_ARG_STATE_ADDR < MAX_ARGS &&
                  DFA_ARG_BYTE_COUNT < MAX_ARGS && DFA_ARG_BYTES < MAX_ARGS && LOAD_MISS_ARG_SOURCE < MAX_ARGS &&
                  LOAD_MISS_ARG_OFFSET_LO < MAX_ARGS && LOAD_MISS_ARG_OFFSET_HI < MAX_ARGS &&
                  LOAD_MISS_ARG_BYTE_COUNT < MAX_ARGS && LOAD_MISS_ARG_DEST < MAX_ARGS && PRINTF_ARG_FMT < MAX_ARGS,
              "every *_ARG_* name is an argument of its built-in's table row");
static_assert(DFA_MAX_BYTES == 32, "DFA_STEP takes at most 32 bytes");
static_assert(BUILTIN_OPCODE_TABLE[IDX_PRINTF].arg_words == PRINTF_ARG_FMT + 1 + PRINTF_MAX_ARGS,
              "PRINTF reads its format id and PRINTF_MAX_ARGS values");

// PACKED_SLOT layout inside ARGS.
// header: bits 0-7 op count, bits 8-15 words used; opcodes: four u8 inner opcode ids;
// offsets: four u8 offsets into the packed words; words: the packed argument words.
inline constexpr u32 PACKED_ARG_HEADER = builtin_arg_word(IDX_PACKED_SLOT, "header");
inline constexpr u32 PACKED_ARG_OPCODES = builtin_arg_word(IDX_PACKED_SLOT, "opcodes");
inline constexpr u32 PACKED_ARG_OFFSETS = builtin_arg_word(IDX_PACKED_SLOT, "offsets");
inline constexpr u32 PACKED_ARG_WORDS = builtin_arg_word(IDX_PACKED_SLOT, "words");
inline constexpr u32 PACKED_MAX_OPS = 4;
inline constexpr u32 PACKED_MAX_WORDS = MAX_ARGS - PACKED_ARG_WORDS;  // 9
static_assert(PACKED_ARG_HEADER < MAX_ARGS && PACKED_ARG_OPCODES < MAX_ARGS && PACKED_ARG_OFFSETS < MAX_ARGS &&
                  PACKED_ARG_WORDS < MAX_ARGS,
              "every PACKED_ARG_* name is an argument of PACKED_SLOT's table row");
static_assert(PACKED_MAX_WORDS == 9, "a packed slot holds at most 9 argument words");

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
// Codes the interpreter (and an IR body's fault()) can raise are 1..FAULT_CODE_COUNT-1.
inline constexpr u32 FAULT_CODE_COUNT = 10;
// Never raised by the interpreter: an isolated backend's supervisor writes it into the
// completion record of a live item that was in flight when its worker process died
// (src/isolate/). The item may have run partly, fully or not at all.
inline constexpr u32 FAULT_DEVICE_LOST = 10;

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

// ---------------------------------------------------------------------------
// Compact batch (the bulk path, docs/reference.md "Compact batches"): a header of
// BATCH_HEADER_WORDS words, then ITEM_COUNT records of STRIDE words each. A record holds
// only what varies per item: [OPCODE if FLAG_ITEM_OPCODE][TENANT if FLAG_ITEM_TENANT]
// then ARG_COUNT argument words (missing arguments read as 0). What does not vary is
// in the header. Results come back compact too: one RESULT word per item plus a fault
// bitmap (bit i of word i / 32 set: item i ended FAULT, its RESULT is the fault code).
inline constexpr u32 BATCH_MAGIC = 0x42424B4Du;  // "MKBB"
inline constexpr u32 BATCH_VERSION = 1;
inline constexpr u32 BATCH_MAGIC_WORD = 0;
inline constexpr u32 BATCH_VERSION_WORD = 1;
inline constexpr u32 BATCH_ITEM_COUNT = 2;
inline constexpr u32 BATCH_FLAGS = 3;
inline constexpr u32 BATCH_OPCODE = 4;     // the batch's opcode unless FLAG_ITEM_OPCODE
inline constexpr u32 BATCH_TENANT = 5;     // the batch's tenant unless FLAG_ITEM_TENANT
inline constexpr u32 BATCH_ARG_COUNT = 6;  // argument words per record, 0..MAX_ARGS
inline constexpr u32 BATCH_STRIDE = 7;     // words per record (must equal batch_stride())
inline constexpr u32 BATCH_HEADER_WORDS = 8;
inline constexpr u32 BATCH_FLAG_ITEM_OPCODE = 1u << 0;
inline constexpr u32 BATCH_FLAG_ITEM_TENANT = 1u << 1;
inline constexpr u32 BATCH_FLAGS_KNOWN = BATCH_FLAG_ITEM_OPCODE | BATCH_FLAG_ITEM_TENANT;
inline constexpr u32 BATCH_MAX_STRIDE = 2 + MAX_ARGS;
// Items of one batch are numbered like slots (RESULT and fault slot words name them).
inline constexpr u32 BATCH_MAX_ITEMS = MAX_RING_SLOTS;

// Words per record for a header's flags and argument count.
constexpr u32 batch_stride(u32 flags, u32 arg_count) {
  return ((flags & BATCH_FLAG_ITEM_OPCODE) ? 1u : 0u) + ((flags & BATCH_FLAG_ITEM_TENANT) ? 1u : 0u) + arg_count;
}
// Fault-bitmap words for n items.
constexpr u32 batch_fault_words(u32 items) { return items / 32u + (items % 32u != 0 ? 1u : 0u); }
// Opcodes a compact batch cannot carry: they act on other ring slots (BATCH_FENCE), wait
// on the host (LOAD_MISS), or stop the kernel for everyone (SHUTDOWN).
constexpr bool batch_refuses_opcode(u32 opcode) {
  return opcode == OP_BATCH_FENCE || opcode == OP_LOAD_MISS || opcode == OP_SHUTDOWN;
}
static_assert(batch_stride(BATCH_FLAGS_KNOWN, MAX_ARGS) == BATCH_MAX_STRIDE, "stride bound");

// ---------------------------------------------------------------------------
// Live compact batches (docs/architecture.md, "Live sessions take compact batches"). A
// compact batch submitted to a live session is cut into chunks; each chunk takes ONE
// wire position holding a descriptor item (OP_LIVE_BATCH_CHUNK) whose ARGS say where the
// chunk's records lie in the session's mapped arena and where its results go. Only the
// session publishes descriptors: live submits refuse the opcode, and it is in no opcode
// table, so anywhere else it faults UNKNOWN_OPCODE. (0xFFF0 is the test-hook trap.)
inline constexpr u32 OP_LIVE_BATCH_CHUNK = 0xFFF1u;
// Most items of one chunk, and most record words: a chunk's records fit one warp's
// 2 KiB shared-memory stage, so the GPU reads them in one round trip.
inline constexpr u32 LIVE_BATCH_CHUNK_ITEMS = 256;
inline constexpr u32 LIVE_BATCH_CHUNK_RECORD_WORDS = 512;
// Chunk regions, and the results inside them, start on 128-byte lines: the host writing
// one chunk's records never shares a line with the GPU writing another's results.
inline constexpr u32 LIVE_BATCH_ALIGN_WORDS = 32;
// Descriptor ARGS.
inline constexpr u32 LIVE_BATCH_ARG_REGION = 0;      // arena word offset of the chunk's region (records first)
inline constexpr u32 LIVE_BATCH_ARG_COUNT = 1;       // items in the chunk, 1..live_batch_chunk_items(stride)
inline constexpr u32 LIVE_BATCH_ARG_FLAGS = 2;       // BATCH_FLAG_* of the batch
inline constexpr u32 LIVE_BATCH_ARG_OPCODE = 3;      // the batch's opcode (unless BATCH_FLAG_ITEM_OPCODE)
inline constexpr u32 LIVE_BATCH_ARG_TENANT = 4;      // the batch's tenant (unless BATCH_FLAG_ITEM_TENANT)
inline constexpr u32 LIVE_BATCH_ARG_ARG_COUNT = 5;   // argument words per record
inline constexpr u32 LIVE_BATCH_ARG_FIRST_ITEM = 6;  // batch index of the chunk's first item (slot number)
inline constexpr u32 LIVE_BATCH_ARG_WORDS = 7;       // descriptor ARGS used

constexpr u32 live_batch_align(u32 words) {
  return (words + LIVE_BATCH_ALIGN_WORDS - 1) / LIVE_BATCH_ALIGN_WORDS * LIVE_BATCH_ALIGN_WORDS;
}
// Items per chunk for records of `stride` words: at most LIVE_BATCH_CHUNK_ITEMS and
// LIVE_BATCH_CHUNK_RECORD_WORDS record words, a multiple of 32 so each chunk's fault
// words are whole words of the batch's fault bitmap.
constexpr u32 live_batch_chunk_items(u32 stride) {
  const u32 by_words = stride == 0 ? LIVE_BATCH_CHUNK_ITEMS : (LIVE_BATCH_CHUNK_RECORD_WORDS / stride) / 32u * 32u;
  return by_words < LIVE_BATCH_CHUNK_ITEMS ? by_words : LIVE_BATCH_CHUNK_ITEMS;
}
// A chunk region: records (n * stride words), then RESULT words (n) and fault words, each
// part padded to whole 128-byte lines.
constexpr u32 live_batch_results_offset(u32 items, u32 stride) { return live_batch_align(items * stride); }
constexpr u32 live_batch_region_words(u32 items, u32 stride) {
  return live_batch_results_offset(items, stride) + live_batch_align(items + batch_fault_words(items));
}
static_assert(live_batch_chunk_items(BATCH_MAX_STRIDE) == 32 && live_batch_chunk_items(2) == LIVE_BATCH_CHUNK_ITEMS,
              "every stride gets a whole warp of items per chunk");
static_assert(live_batch_chunk_items(BATCH_MAX_STRIDE) * BATCH_MAX_STRIDE <= LIVE_BATCH_CHUNK_RECORD_WORDS,
              "a chunk's records fit the stage");
static_assert(is_system_opcode(OP_LIVE_BATCH_CHUNK) && builtin_index(OP_LIVE_BATCH_CHUNK) == NO_OPCODE_INDEX,
              "the descriptor opcode is reserved and no built-in");
static_assert(LIVE_BATCH_ARG_WORDS <= MAX_ARGS, "a descriptor fits one item's arguments");

}  // namespace mk::abi
