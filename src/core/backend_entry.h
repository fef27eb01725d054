// What one backend contributes to the registry: its name, whether it can run here, and its factory.
#pragma once

#include <memory>
#include <string_view>

#include "mk/backend.h"

namespace mk::detail {

// Each backend directory defines one of these (src/cpu/cpu_registry.cpp, src/cuda/cuda_registry.cpp)
// and src/api/backend_list.cpp lists them. Plain function pointers and string literals, so an
// entry is constant-initialised and the table needs no static-constructor order.
struct BackendEntry {
  std::string_view name = {};
  std::string_view description = {};
  // make_backend("auto") picks the available entry with the highest rank; negative: never.
  int auto_rank = -1;
  bool (*available)() noexcept = nullptr;
  // Null for a backend this build left out: make_backend(name) then fails Unsupported with
  // `missing_message` and `missing_fix`, so a known name never reads as a typo.
  Result<std::shared_ptr<Backend>> (*create)(const BackendOptions& options) = nullptr;
  std::string_view missing_message = {};
  std::string_view missing_fix = {};
};

}  // namespace mk::detail
