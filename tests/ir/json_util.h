// Helpers of the IR JSON tests (test_json.cpp, test_typed_json.cpp): parse a body that
// must parse, or get the message of one that must not.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "mk/ir.h"
#include "mk/ir_json.h"

namespace mk::ir::json_test {

inline Body parse_ok(std::string_view text) {
  auto b = body_from_json(text);
  EXPECT_TRUE(b.has_value()) << (b ? "" : b.error().what());
  return b ? *b : Body{};
}

// The Malformed message of a body that must not parse (its fix must not be empty).
inline std::string parse_error(std::string_view text) {
  auto b = body_from_json(text);
  EXPECT_FALSE(b.has_value()) << text;
  if (b) return {};
  EXPECT_EQ(b.error().kind(), ErrorKind::Malformed);
  EXPECT_FALSE(b.error().fix().empty());
  return b.error().message();
}

}  // namespace mk::ir::json_test
