// Internal helpers of the protocol codec: messages, checked sizes, handshake words, header checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda/atomic>
#include <string>
#include <string_view>
#include <utility>

#include "mk/protocol.h"

namespace mk::detail {

// Buffer names used in every message, so a user can grep for them.
inline constexpr std::string_view CONTROL = "control";
inline constexpr std::string_view RING = "ring";
inline constexpr std::string_view DEBUG_LOG = "debug log";
inline constexpr std::string_view IO_QUEUE = "io queue";

// The failing branch of a Result<T>, re-wrapped for a Result<U> return.
template <class T>
cuda::std::unexpected<Error> error_of(Result<T>& result) {
  return cuda::std::unexpected<Error>(std::move(result.error()));
}

// "0x0000002A": how word values are spelled in messages.
std::string hex32(std::uint32_t value);
// "control word 2 (TENANT_COUNT)", "control word 150 (TENANTS[0].WINDOW_LEN)", ...
std::string control_word_label(std::uint32_t word);

// The handshake words (slot STATUS, log COMMIT, request STATUS): the writer stores
// every other word first and this one last with release; the reader acquires it
// before it looks at the rest. Alignment is guaranteed by try_as_words / WordSpan.
inline std::uint32_t load_acquire(const Word& word) {
  // atomic_ref wants a mutable referent; a load never writes through it.
  cuda::atomic_ref<Word, cuda::thread_scope_system> ref(const_cast<Word&>(word));
  return ref.load(cuda::std::memory_order_acquire);
}
inline void store_release(Word& word, std::uint32_t value) {
  cuda::atomic_ref<Word, cuda::thread_scope_system> ref(word);
  ref.store(value, cuda::std::memory_order_release);
}

// (header_words + count * item_words) * WORD_BYTES with overflow checks; count above
// max_count (the ABI limit) is InvalidArgument naming the buffer and `count_name`.
Result<std::size_t> checked_buffer_bytes(std::string_view buffer, std::string_view count_name, std::uint32_t count,
                                         std::uint32_t max_count, std::uint32_t header_words, std::uint32_t item_words);

// An output buffer of the wrong size for an `_into` encoder: InvalidArgument.
Status check_output_size(std::string_view buffer, std::size_t have_words, std::size_t want_bytes);

// Header checks shared by readers and writers; each returns Malformed on a bad buffer.
Result<std::uint32_t> ring_slot_count(ConstWordSpan ring);
Result<std::uint32_t> io_queue_capacity(ConstWordSpan io);
struct DebugLogHeader {
  std::uint32_t capacity = 0;
  std::uint32_t cursor = 0;
};
Result<DebugLogHeader> debug_log_header(ConstWordSpan log);

// A validated control buffer and its header.
struct ControlView {
  ConstWordSpan words;
  ControlHeader header;
};
struct MutableControlView {
  WordSpan words;
  ControlHeader header;
};
Result<ControlView> control_view(ConstByteSpan control);
Result<MutableControlView> mutable_control_view(ByteSpan control);
Result<MutableControlView> mutable_control_view(WordSpan control);
// InvalidArgument unless tenant < TENANT_COUNT.
Status check_tenant(const ControlHeader& header, std::uint32_t tenant);

// Slot publishing, split so batch publishers validate everything before writing.
Status check_slot_range(std::uint32_t slot_count, std::uint32_t first_slot, std::size_t count);
Status check_item(const WorkItem& item, std::uint32_t slot);
Status check_slot_reusable(ConstWordSpan ring, std::uint32_t slot);
// Writes every word but STATUS, then STATUS with release. No checks.
void write_slot(WordSpan ring, std::uint32_t slot, const WorkItem& item);
// Whole-run checks in one branch-free pass each; on failure the slow per-slot checks
// above name the first bad item or slot.
Status check_items(std::span<const WorkItem> items, std::uint32_t first_slot);
Status check_slots_reusable(ConstWordSpan ring, std::uint32_t first_slot, std::size_t count);
// Both checks of a whole-ring encode in one pass over the items and the ring together.
bool items_and_slots_ok(ConstWordSpan ring, std::span<const WorkItem> items, std::uint32_t slot_count) noexcept;
// Write a run of items (or EMPTY slots). `no_concurrent_reader`: nothing polls these
// slots while they are written (a whole-ring encode), so long runs may use streaming
// stores with one closing fence instead of a release store of STATUS per slot.
void write_slots(WordSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items, bool no_concurrent_reader);
void clear_slots(WordSpan ring, std::uint32_t first_slot, std::size_t count, bool no_concurrent_reader);

}  // namespace mk::detail
