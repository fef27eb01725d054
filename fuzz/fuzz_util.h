// Helpers shared by the libFuzzer targets: input copies and invariant checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mk/protocol.h"

namespace mk::fuzz {

// A broken invariant is a crash libFuzzer records, with the input that caused it.
inline void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

// A word-aligned copy of the input (new[] storage), so decoders see real words.
inline Bytes aligned_copy(const std::uint8_t* data, std::size_t size) {
  Bytes bytes(size);
  if (size != 0) std::memcpy(bytes.data(), data, size);
  return bytes;
}

// The same bytes one byte into a larger allocation: every decoder must refuse it.
struct MisalignedCopy {
  MisalignedCopy(const std::uint8_t* data, std::size_t size) : storage(size + 1) {
    if (size != 0) std::memcpy(storage.data() + 1, data, size);
  }
  ByteSpan span() { return ByteSpan(storage.data() + 1, storage.size() - 1); }
  Bytes storage;
};

// A parameter word taken from the end of the input, so the fuzzer can steer the
// arguments of writers independently of the buffer's header.
inline std::uint32_t tail_word(const std::uint8_t* data, std::size_t size, std::size_t from_end) {
  std::uint32_t word = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t back = from_end * 4 + i + 1;
    if (back <= size) word |= std::uint32_t{data[size - back]} << (8 * i);
  }
  return word;
}

}  // namespace mk::fuzz
