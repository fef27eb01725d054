// Byte buffers viewed as little-endian words: the one place bytes become words.
#include <bit>
#include <cstdint>

#include "detail.h"

namespace mk {

// The ABI is little-endian and words are read in place; a big-endian host would need
// byte swaps everywhere, so refuse to build there instead of decoding garbage.
static_assert(std::endian::native == std::endian::little, "the word view assumes a little-endian host");

namespace {

template <class Byte, class WordT>
Result<std::span<WordT>> as_words(std::span<Byte> bytes, std::string_view buffer) {
  if (bytes.size() % abi::WORD_BYTES != 0) {
    return fail(ErrorKind::Malformed,
                std::string(buffer) + " is " + std::to_string(bytes.size()) +
                    " bytes, not a whole number of 4-byte words (truncated)",
                "pass the whole " + std::string(buffer) + " buffer; its size must be a multiple of 4 bytes");
  }
  const auto address = reinterpret_cast<std::uintptr_t>(bytes.data());
  if (address % alignof(Word) != 0) {
    return fail(ErrorKind::Malformed,
                std::string(buffer) + " starts at address " + std::to_string(address) +
                    ", which is misaligned for 4-byte words",
                "allocate the " + std::string(buffer) +
                    " buffer with 4-byte alignment (an encode_* vector or operator new is fine) "
                    "and do not offset into it by a non-multiple of 4");
  }
  // The host is little-endian (static_assert above), so ABI words are native words.
  return std::span<WordT>(reinterpret_cast<WordT*>(bytes.data()), bytes.size() / abi::WORD_BYTES);
}

}  // namespace

Result<WordSpan> try_as_words(ByteSpan bytes, std::string_view buffer) {
  return as_words<std::byte, Word>(bytes, buffer);
}

Result<ConstWordSpan> try_as_words(ConstByteSpan bytes, std::string_view buffer) {
  return as_words<const std::byte, const Word>(bytes, buffer);
}

}  // namespace mk
