// Ring layout checks and the single-slot writer shared by every publisher.
#include <algorithm>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "detail.h"

namespace mk::detail {

Result<std::uint32_t> ring_slot_count(ConstWordSpan ring) {
  if (ring.size() % abi::SLOT_WORDS != 0) {
    return fail(ErrorKind::Malformed,
                "ring is " + std::to_string(ring.size() * abi::WORD_BYTES) + " bytes, not a whole number of " +
                    std::to_string(abi::SLOT_BYTES) + "-byte slots (truncated)",
                "pass the whole ring; size it with try_ring_bytes(slot_count)");
  }
  const std::size_t slots = ring.size() / abi::SLOT_WORDS;
  if (slots > abi::MAX_RING_SLOTS) {
    return fail(ErrorKind::Malformed,
                "ring holds " + std::to_string(slots) +
                    " slots, more than MAX_RING_SLOTS=" + std::to_string(abi::MAX_RING_SLOTS),
                "use a ring of at most MAX_RING_SLOTS slots");
  }
  return static_cast<std::uint32_t>(slots);
}

Status check_slot_range(std::uint32_t slot_count, std::uint32_t first_slot, std::size_t count) {
  const std::uint64_t end = std::uint64_t{first_slot} + count;
  if (end <= slot_count) return {};
  const std::string size = "the ring has " + std::to_string(slot_count) + " slots";
  if (count == 1) {
    return fail(ErrorKind::InvalidArgument, "ring slot " + std::to_string(first_slot) + " is out of range: " + size,
                "use a slot index below " + std::to_string(slot_count) + " or a larger ring");
  }
  return fail(ErrorKind::InvalidArgument,
              "ring slots [" + std::to_string(first_slot) + ", " + std::to_string(end) +
                  ") run past the end of the ring: " + size,
              "publish fewer items, start at a lower slot (batches do not wrap) or use a larger ring");
}

Status check_item(const WorkItem& item, std::uint32_t slot) {
  if (item.arg_count > abi::MAX_ARGS) {
    return fail(ErrorKind::InvalidArgument,
                "work item for ring slot " + std::to_string(slot) + " has arg_count=" + std::to_string(item.arg_count) +
                    ", more than MAX_ARGS=" + std::to_string(abi::MAX_ARGS),
                "build items with WorkItem::make(), which keeps arg_count <= MAX_ARGS");
  }
  return {};
}

Status check_slot_reusable(ConstWordSpan ring, std::uint32_t slot) {
  const std::size_t word = std::size_t{slot} * abi::SLOT_WORDS + abi::SLOT_STATUS;
  const std::uint32_t status = load_acquire(ring[word]);
  if (abi::slot_reusable(status)) return {};
  return fail(ErrorKind::QueueFull,
              "ring slot " + std::to_string(slot) + " still in flight (STATUS=" + std::string(status_name(status)) +
                  "); ring word " + std::to_string(word) + " (STATUS) is " + hex32(status),
              "wait for the slot to reach DONE or FAULT (poll it with try_read_slot), reclaim it, "
              "or publish into another slot");
}

void write_slot(WordSpan ring, std::uint32_t slot, const WorkItem& item) {
  Word* w = ring.subspan(std::size_t{slot} * abi::SLOT_WORDS, abi::SLOT_WORDS).data();
  // Stored straight into the slot, arguments past arg_count zeroed: encoding into a
  // local array first and copying it stalled on store-to-load forwarding (scalar stores
  // read back as vectors): 22 ns per slot against 6 ns this way (micro-benchmark, x86-64).
  static_assert(abi::SLOT_ARGS == 4 && abi::MAX_ARGS == 12, "the arguments are three 16-byte chunks");
#if defined(__SSE2__)
  const __m128i count = _mm_set1_epi32(static_cast<int>(std::min<std::uint32_t>(item.arg_count, abi::MAX_ARGS)));
  const auto* args = reinterpret_cast<const __m128i*>(item.args.data());
  auto* out = reinterpret_cast<__m128i*>(w + abi::SLOT_ARGS);
  for (int k = 0; k < 3; ++k) {
    const __m128i index = _mm_setr_epi32(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3);
    _mm_storeu_si128(out + k, _mm_and_si128(_mm_loadu_si128(args + k), _mm_cmpgt_epi32(count, index)));
  }
#else
  for (std::uint32_t i = 0; i < abi::MAX_ARGS; ++i) w[abi::SLOT_ARGS + i] = i < item.arg_count ? item.args[i] : 0;
#endif
  w[abi::SLOT_OPCODE] = item.opcode;
  w[abi::SLOT_TENANT] = item.tenant;
  w[abi::SLOT_RESULT] = 0;
  static_assert(abi::SLOT_STATUS == 0, "STATUS is word 0, written last");
  // Last, with release: a lane that acquires PUBLISHED sees every word above.
  store_release(w[abi::SLOT_STATUS], abi::STATUS_PUBLISHED);
}

bool items_valid(std::span<const WorkItem> items) noexcept {
  bool ok = true;
  for (const WorkItem& item : items) ok &= item.arg_count <= abi::MAX_ARGS;  // no branch per item
  return ok;
}

bool slots_reusable(ConstWordSpan ring, std::uint32_t first_slot, std::size_t count) noexcept {
  const Word* status = ring.data() + std::size_t{first_slot} * abi::SLOT_WORDS + abi::SLOT_STATUS;
  bool ok = true;
  for (std::size_t i = 0; i < count; ++i, status += abi::SLOT_WORDS) ok &= abi::slot_reusable(load_acquire(*status));
  return ok;
}

bool items_and_slots_ok(ConstWordSpan ring, std::span<const WorkItem> items, std::uint32_t slot_count) noexcept {
  const Word* status = ring.data() + abi::SLOT_STATUS;
  bool ok = true;
  for (std::size_t i = 0; i < items.size(); ++i, status += abi::SLOT_WORDS)
    ok &= static_cast<unsigned>(items[i].arg_count <= abi::MAX_ARGS) &
          static_cast<unsigned>(abi::slot_reusable(load_acquire(*status)));
  return ok && slots_reusable(ring, static_cast<std::uint32_t>(items.size()), slot_count - items.size());
}

Status check_items(std::span<const WorkItem> items, std::uint32_t first_slot) {
  if (items_valid(items)) return {};
  for (std::size_t i = 0; i < items.size(); ++i)
    MK_TRY(check_item(items[i], first_slot + static_cast<std::uint32_t>(i)));
  return {};
}

Status check_slots_reusable(ConstWordSpan ring, std::uint32_t first_slot, std::size_t count) {
  if (slots_reusable(ring, first_slot, count)) return {};
  for (std::size_t i = 0; i < count; ++i) MK_TRY(check_slot_reusable(ring, first_slot + static_cast<std::uint32_t>(i)));
  return {};
}

namespace {

// Runs this long go past the caches: their slots are written with streaming stores
// (no read-for-ownership of lines that are wholly overwritten).
constexpr std::size_t STREAM_MIN_SLOTS = 1u << 16;

#if defined(__SSE2__)
bool streamable(WordSpan ring, std::size_t count) {
  return count >= STREAM_MIN_SLOTS && reinterpret_cast<std::uintptr_t>(ring.data()) % 16 == 0;
}

// The whole slot as four 16-byte chunks, STATUS = PUBLISHED, written with streaming
// stores. Their order within the slot is not guaranteed to other threads until the
// caller's closing fence: used only where nothing reads the ring meanwhile.
void stream_slot(Word* w, const WorkItem& item) {
  const __m128i count = _mm_set1_epi32(static_cast<int>(std::min<std::uint32_t>(item.arg_count, abi::MAX_ARGS)));
  const auto* args = reinterpret_cast<const __m128i*>(item.args.data());
  auto* out = reinterpret_cast<__m128i*>(w);
  static_assert(abi::SLOT_STATUS == 0 && abi::SLOT_OPCODE == 1 && abi::SLOT_TENANT == 2 && abi::SLOT_RESULT == 3);
  _mm_stream_si128(out, _mm_setr_epi32(static_cast<int>(abi::STATUS_PUBLISHED), static_cast<int>(item.opcode),
                                       static_cast<int>(item.tenant), 0));
  for (int k = 0; k < 3; ++k) {
    const __m128i index = _mm_setr_epi32(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3);
    _mm_stream_si128(out + 1 + k, _mm_and_si128(_mm_loadu_si128(args + k), _mm_cmpgt_epi32(count, index)));
  }
}
#endif

}  // namespace

void write_slots(WordSpan ring, std::uint32_t first_slot, std::span<const WorkItem> items, bool no_concurrent_reader) {
#if defined(__SSE2__)
  if (no_concurrent_reader && streamable(ring, items.size())) {
    Word* w = ring.data() + std::size_t{first_slot} * abi::SLOT_WORDS;
    for (const WorkItem& item : items) {
      stream_slot(w, item);
      w += abi::SLOT_WORDS;
    }
    _mm_sfence();  // every slot visible before the caller hands the ring on
    return;
  }
#endif
  for (std::size_t i = 0; i < items.size(); ++i) write_slot(ring, first_slot + static_cast<std::uint32_t>(i), items[i]);
}

void clear_slots(WordSpan ring, std::uint32_t first_slot, std::size_t count, bool no_concurrent_reader) {
  Word* w = ring.data() + std::size_t{first_slot} * abi::SLOT_WORDS;
#if defined(__SSE2__)
  if (no_concurrent_reader && streamable(ring, count)) {
    const __m128i zero = _mm_setzero_si128();
    static_assert(abi::STATUS_EMPTY == 0, "an empty slot is all zeros");
    for (std::size_t i = 0; i < count; ++i, w += abi::SLOT_WORDS)
      for (int k = 0; k < 4; ++k) _mm_stream_si128(reinterpret_cast<__m128i*>(w) + k, zero);
    _mm_sfence();
    return;
  }
#endif
  for (std::size_t i = 0; i < count; ++i, w += abi::SLOT_WORDS) {
    std::fill(w + 1, w + abi::SLOT_WORDS, Word{0});
    static_assert(abi::SLOT_STATUS == 0, "the fill above skips STATUS, word 0");
    store_release(w[abi::SLOT_STATUS], abi::STATUS_EMPTY);
  }
}

}  // namespace mk::detail

namespace mk {

void encode_slot_words(const WorkItem& item, std::span<Word, abi::SLOT_WORDS> out) noexcept {
  out[abi::SLOT_STATUS] = abi::STATUS_PUBLISHED;
  out[abi::SLOT_OPCODE] = item.opcode;
  out[abi::SLOT_TENANT] = item.tenant;
  out[abi::SLOT_RESULT] = 0;
  for (std::uint32_t i = 0; i < abi::MAX_ARGS; ++i) out[abi::SLOT_ARGS + i] = i < item.arg_count ? item.args[i] : 0;
}

}  // namespace mk
