// What one JIT pipeline build cost, for benchmarks and diagnostics ("cold" vs "cached").
#pragma once

#include <cstddef>
#include <string>

namespace mk::detail {

struct JitStats {
  bool cache_enabled = false;  // a cache directory was configured
  bool cache_hit = false;      // the image came from disk, NVRTC did not run
  double lower_ms = 0;         // IR -> CUDA C++ and the cache key
  double cache_read_ms = 0;
  double compile_ms = 0;  // NVRTC (0 on a hit)
  double cache_write_ms = 0;
  double load_ms = 0;   // cuModuleLoadData + cuModuleGetFunction
  double total_ms = 0;  // the whole build_pipeline JIT path
  std::size_t source_bytes = 0;
  std::size_t image_bytes = 0;
  std::string key_hex;      // SHA-256 cache key
  std::string cache_path;   // the entry file, when the cache is enabled
  std::string cache_note;   // why an entry was rejected, or why writing it failed
  std::string compile_log;  // NVRTC warnings of a cold build
};

}  // namespace mk::detail
