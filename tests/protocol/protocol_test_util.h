// Helpers for the protocol tests: error matchers and raw word access that does not go
// through the code under test.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

#include "mk/protocol.h"

namespace mk::test {

// Passes when `result` failed with `kind` and its message contains every needle.
template <class T>
::testing::AssertionResult fails_with(const Result<T>& result, ErrorKind kind,
                                      std::initializer_list<std::string_view> needles) {
  if (result) return ::testing::AssertionFailure() << "expected " << to_string(kind) << ", got success";
  const Error& error = result.error();
  if (error.kind() != kind) {
    return ::testing::AssertionFailure() << "expected " << to_string(kind) << ", got " << error.what();
  }
  for (std::string_view needle : needles) {
    if (error.message().find(needle) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << needle << "\": " << error.what();
    }
  }
  if (error.fix().empty()) return ::testing::AssertionFailure() << "no fix: " << error.what();
  return ::testing::AssertionSuccess();
}

// Same for the throwing forms.
template <class F>
::testing::AssertionResult throws_with(F&& call, ErrorKind kind, std::string_view needle) {
  try {
    call();
  } catch (const Error& error) {
    if (error.kind() != kind || error.message().find(needle) == std::string::npos) {
      return ::testing::AssertionFailure() << "wrong error: " << error.what();
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "nothing thrown";
}

inline Word get_word(const Bytes& bytes, std::size_t index) {
  Word word = 0;
  std::memcpy(&word, bytes.data() + index * sizeof(Word), sizeof(Word));
  return word;
}

inline void set_word(Bytes& bytes, std::size_t index, Word value) {
  std::memcpy(bytes.data() + index * sizeof(Word), &value, sizeof(Word));
}

inline std::size_t slot_word(std::uint32_t slot, std::uint32_t field) {
  return std::size_t{slot} * abi::SLOT_WORDS + field;
}

// A copy of `bytes` starting one byte into a larger allocation: misaligned for words.
struct Misaligned {
  explicit Misaligned(const Bytes& bytes) : storage(bytes.size() + 4) {
    std::memcpy(storage.data() + 1, bytes.data(), bytes.size());
    size = bytes.size();
  }
  ByteSpan span() { return ByteSpan(storage.data() + 1, size); }
  Bytes storage;
  std::size_t size = 0;
};

// Bytes filled with a pattern, so "wrote nothing" and "wrote zero" differ.
inline Bytes patterned(std::size_t size, std::uint8_t seed = 0xA5) {
  Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = std::byte(static_cast<std::uint8_t>(seed + i * 7));
  return bytes;
}

}  // namespace mk::test
