// Unwrap an mk::Result in the benchmark or throw std::runtime_error naming the step, the
// error kind, the message and the fix (main prints it and exits 1).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mk/error.h"

namespace mk::bench::live {

inline std::string describe(std::string_view step, const mk::Error& e) {
  std::string s(step);
  s += ": ";
  s += mk::to_string(e.kind());
  s += ": ";
  s += e.message();
  if (!e.fix().empty()) s += " (fix: " + e.fix() + ")";
  return s;
}

template <class T>
T must(mk::Result<T>&& result, std::string_view step) {
  if (!result) throw std::runtime_error(describe(step, result.error()));
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace mk::bench::live
