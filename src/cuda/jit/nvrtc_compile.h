// NVRTC: compile one CUDA C++ translation unit with named headers to a CUBIN, and find
// the toolkit headers (CCCL, cooperative_groups) it needs at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cuda/jit/embedded_headers.h"
#include "mk/error.h"

namespace mk::detail {

struct NvrtcVersion {
  int major = 0;
  int minor = 0;
};
NvrtcVersion nvrtc_version() noexcept;

// The toolkit root whose include/ (and include/cccl) NVRTC searches: the first of
// $CUDA_PATH, $CUDA_HOME, the toolkit holding the loaded NVRTC library, the toolkit this
// library was built with, /usr/local/cuda that has cooperative_groups.h and CCCL's
// cuda/atomic. Backend error (fix: set CUDA_PATH) when none has.
Result<std::string> find_toolkit_root();
// "-I<root>/include/cccl" (when present) and "-I<root>/include".
std::vector<std::string> toolkit_include_options(const std::string& root);

struct NvrtcRequest {
  std::string_view source;
  std::string_view source_name;             // the file name NVRTC's log uses
  std::span<const EmbeddedHeader> headers;  // resolvable by #include "name"
  std::vector<std::string> options;         // complete, including --gpu-architecture
  // IR node path of a source line, for error messages; may be empty.
  std::function<std::string(std::uint32_t line)> path_of_line;
};

struct NvrtcOutput {
  std::vector<std::byte> cubin;
  std::string log;  // warnings of a successful compile
  double compile_ms = 0;
};

// Backend error on failure: the message has NVRTC's log, each error line annotated with
// its IR node path (e.g. `opcode 4096 "saxpy" body[2].value`), the first one up front.
Result<NvrtcOutput> nvrtc_compile(const NvrtcRequest& request);

// Does this NVRTC generate code for sm_<major><minor>?
bool nvrtc_supports_arch(int major, int minor) noexcept;

}  // namespace mk::detail
