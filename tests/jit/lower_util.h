// Helpers of the lowering tests (test_lower.cpp, test_lower_typed.cpp): lower handlers that
// must lower, and look for text in the generated CUDA C++.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "cuda/jit/lower.h"

namespace mk::detail::lower_test {

// The generated text of `hs`, or "" with a test failure naming the error.
inline std::string lower_ok(std::vector<OpcodeHandler> hs) {
  auto out = lower_handlers(hs);
  EXPECT_TRUE(out.has_value()) << (out ? "" : out.error().what());
  return out ? out->text : std::string();
}

inline bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// 1-based line number of the first line containing `needle` in `text`, or 0.
inline std::uint32_t line_of(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line;
  for (std::uint32_t n = 1; std::getline(in, line); ++n)
    if (has(line, needle)) return n;
  return 0;
}

}  // namespace mk::detail::lower_test
