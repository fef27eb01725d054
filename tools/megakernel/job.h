// A validated job file: everything `megakernel run` needs, resolved to ABI values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "job_items.h"
#include "mk/abi.h"
#include "mk/ir.h"
#include "mk/protocol.h"

namespace mk::cli {

// Defaults of the job schema (docs/reference.md section 7).
inline constexpr std::uint32_t DEFAULT_SLOT_COUNT = 256;
inline constexpr std::uint32_t DEFAULT_WORKGROUP_SIZE_X = 64;
inline constexpr std::uint32_t DEFAULT_OBSERVABLES = 1024;
inline constexpr std::uint32_t DEFAULT_DEBUG_LOG_RECORDS = 64;
inline constexpr std::uint32_t DEFAULT_IO_QUEUE_CAPACITY = 64;
inline constexpr std::uint64_t ALLOW_EVERY_OPCODE = ~std::uint64_t{0};

struct JobTenant {
  std::uint32_t id = 0;
  bool admin = false;
  std::uint64_t allowed_opcodes = ALLOW_EVERY_OPCODE;  // mask over opcode-table indices
  Window window;                                       // observable window
};

struct JobInit {
  std::uint32_t at = 0;
  std::vector<std::uint32_t> words;
};

struct JobIoSource {
  std::uint32_t id = 0;
  std::optional<std::string> file;  // as written; opened beneath the I/O root (open_job_io_sources)
  std::vector<std::byte> bytes;     // when no file
};

struct Job {
  std::filesystem::path source;  // the job file ("" when read from memory or stdin)
  std::filesystem::path dir;     // the job file's directory: the default I/O root
  std::string shown;             // the name errors use (the path as given, "<stdin>")
  std::uint32_t slot_count = DEFAULT_SLOT_COUNT;
  std::uint32_t workgroup_size_x = DEFAULT_WORKGROUP_SIZE_X;
  std::uint32_t worker_groups = 0;
  std::uint32_t observables = DEFAULT_OBSERVABLES;
  std::uint32_t debug_log_records = DEFAULT_DEBUG_LOG_RECORDS;  // 0: no debug log buffer
  std::uint32_t io_queue_capacity = DEFAULT_IO_QUEUE_CAPACITY;  // 0: no I/O queue buffer
  std::vector<JobTenant> tenants;                               // ids 0..n-1, in id order
  std::vector<JobInit> init;
  std::vector<OpcodeHandler> opcodes;  // custom opcodes, table indices 12.. in this order
  JobItems items;                      // item i goes to ring slot i (or batch record i)
  std::vector<JobIoSource> io_sources;

  // Name of an opcode id: built-in name, the job's custom name, or "0x0000ABCD".
  std::string opcode_name(std::uint32_t opcode) const;
};

}  // namespace mk::cli
