// The interpreter headers NVRTC compiles the JIT kernel with, embedded into the library
// at build time (embed_headers.cmake) so a JIT build never reads the source tree.
#pragma once

#include <span>
#include <string_view>

namespace mk::detail {

struct EmbeddedHeader {
  std::string_view name;  // the #include spelling, e.g. "interp/step.h"
  std::string_view text;
};

// Every header the JIT kernel source can include by a quoted name, sorted by name.
std::span<const EmbeddedHeader> embedded_headers() noexcept;

}  // namespace mk::detail
