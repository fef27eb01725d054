// Host side of the live wire format: SSE2 chunk stores (per-word atomics under TSan).
#include "api/live_wire.h"

#include <algorithm>
#include <atomic>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "interp/wire.h"

namespace mk::detail {
namespace {

#if defined(__SANITIZE_THREAD__) || !defined(__SSE2__)
constexpr bool WORD_STORES = true;
#else
constexpr bool WORD_STORES = false;
#endif

// ThreadSanitizer (and CPUs without SSE2) publish word by word, each chunk's tag word
// last with release, so the CPU engine's acquire of it orders the rest.
void store_chunk_words(std::uint32_t* slot, unsigned chunk, const std::uint32_t* w) {
  std::uint32_t* c = slot + chunk * abi::WIRE_CHUNK_WORDS;
  for (unsigned i = 1; i < abi::WIRE_CHUNK_WORDS; ++i)
    std::atomic_ref<std::uint32_t>(c[i]).store(w[i], std::memory_order_relaxed);
  std::atomic_ref<std::uint32_t>(c[0]).store(w[0], std::memory_order_release);
}

}  // namespace

WireWords live_wire_words(const WorkItem& item, std::uint32_t lap) {
  std::array<std::uint32_t, abi::MAX_ARGS> args{};
  const std::uint32_t n = std::min<std::uint32_t>(item.arg_count, abi::MAX_ARGS);
  std::copy_n(item.args.begin(), n, args.begin());
  WireWords w{};
  interp::wire_encode(lap, item.opcode, item.tenant, args.data(), w.data());
  return w;
}

void live_wire_publish(std::uint32_t* slot, const WorkItem& item, std::uint32_t lap) {
  const std::uint32_t n = std::min<std::uint32_t>(item.arg_count, abi::MAX_ARGS);
  const std::uint32_t tag = interp::wire_tag(lap);
  const std::uint32_t tenant16 = std::min<std::uint32_t>(item.tenant, abi::WIRE_TAG_MASK);
  // Arguments past arg_count count as zero, in the checksum too.
  std::uint32_t sum = lap * interp::wire_k(0) + item.opcode * interp::wire_k(1) + tenant16 * interp::wire_k(2);
  for (std::uint32_t i = 0; i < n; ++i) sum += item.args[i] * interp::wire_k(3 + i);
  const std::uint32_t head[abi::WIRE_CHUNKS] = {
      tag | (item.opcode << abi::WIRE_HALF_SHIFT), tag | (item.opcode & 0xFFFF0000u),
      tag | (tenant16 << abi::WIRE_HALF_SHIFT), tag | (interp::wire_sum_finish(sum) << abi::WIRE_HALF_SHIFT)};
  static_assert(abi::WIRE_OPCODE_LO == 0 && abi::WIRE_OPCODE_HI == 4 && abi::WIRE_TENANT == 8 && abi::WIRE_CHECK == 12);
  static_assert(abi::wire_arg_word(0) == 1 && abi::wire_arg_word(3) == 5, "three args follow each tag word");
  if constexpr (WORD_STORES) {
    for (int c = abi::WIRE_CHUNKS - 1; c >= 0; --c) {
      std::uint32_t w[abi::WIRE_CHUNK_WORDS] = {head[c], 0, 0, 0};
      for (unsigned i = 0; i < 3; ++i) w[1 + i] = 3 * c + i < n ? item.args[3 * c + i] : 0u;
      store_chunk_words(slot, static_cast<unsigned>(c), w);
    }
  } else {
#if defined(__SSE2__) && !defined(__SANITIZE_THREAD__)
    // Chunks built in registers from the (masked) argument vectors: no scalar stores
    // read back as vectors (that stalls on store-to-load forwarding).
    const __m128i count = _mm_set1_epi32(static_cast<int>(n));
    const auto* src = reinterpret_cast<const __m128i*>(item.args.data());
    __m128i a[3];
    for (int k = 0; k < 3; ++k)
      a[k] = _mm_and_si128(_mm_loadu_si128(src + k),
                           _mm_cmpgt_epi32(count, _mm_setr_epi32(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3)));
    // a0 = (0..3), a1 = (4..7), a2 = (8..11); chunk c = (head, args 3c, 3c+1, 3c+2).
    const __m128i c0 = _mm_or_si128(_mm_slli_si128(a[0], 4), _mm_cvtsi32_si128(static_cast<int>(head[0])));
    const __m128i c1 = _mm_or_si128(_mm_or_si128(_mm_slli_si128(_mm_srli_si128(a[0], 12), 4), _mm_slli_si128(a[1], 8)),
                                    _mm_cvtsi32_si128(static_cast<int>(head[1])));
    const __m128i c2 = _mm_or_si128(_mm_or_si128(_mm_slli_si128(_mm_srli_si128(a[1], 8), 4), _mm_slli_si128(a[2], 12)),
                                    _mm_cvtsi32_si128(static_cast<int>(head[2])));
    const __m128i c3 =
        _mm_or_si128(_mm_slli_si128(_mm_srli_si128(a[2], 4), 4), _mm_cvtsi32_si128(static_cast<int>(head[3])));
    auto* out = reinterpret_cast<__m128i*>(slot);
    _mm_store_si128(out + 3, c3);
    _mm_store_si128(out + 2, c2);
    _mm_store_si128(out + 1, c1);
    // The compiler must not move chunk 0 above the others; x86 keeps stores in order.
    std::atomic_signal_fence(std::memory_order_release);
    _mm_store_si128(out, c0);
#endif
  }
}

void live_wire_store_chunk(std::uint32_t* slot, unsigned chunk, const WireWords& words) {
  const std::uint32_t* w = words.data() + chunk * abi::WIRE_CHUNK_WORDS;
  if constexpr (WORD_STORES) {
    store_chunk_words(slot, chunk, w);
  } else {
#if defined(__SSE2__) && !defined(__SANITIZE_THREAD__)
    std::atomic_signal_fence(std::memory_order_release);
    _mm_store_si128(reinterpret_cast<__m128i*>(slot) + chunk, _mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
#endif
  }
}

std::uint64_t live_wire_completion(const std::uint64_t* record) {
  return std::atomic_ref<std::uint64_t>(*const_cast<std::uint64_t*>(record)).load(std::memory_order_acquire);
}

}  // namespace mk::detail
