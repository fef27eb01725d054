// libFuzzer target: arbitrary bytes through the CLI job reader (parse + validate, no dispatch).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "job_limits.h"
#include "job_reader.h"

namespace {

// What every accepted job must satisfy, whatever the input was.
void check_job(const mk::cli::Job& job) {
  if (job.items.size() > job.slot_count) __builtin_trap();
  if (job.tenants.empty() || job.tenants.size() > mk::abi::MAX_TENANTS) __builtin_trap();
  if (job.worker_groups == 0 || std::uint64_t{job.worker_groups} * job.workgroup_size_x < job.slot_count)
    __builtin_trap();
  for (std::size_t i = 0; i < job.tenants.size(); ++i) {
    const auto& tenant = job.tenants[i];
    if (tenant.id != i) __builtin_trap();
    if (std::uint64_t{tenant.window.base} + tenant.window.len > job.observables) __builtin_trap();
  }
  for (const auto& init : job.init) {
    if (std::uint64_t{init.at} + init.words.size() > job.observables) __builtin_trap();
  }
  for (const mk::cli::JobItemRef item : job.items) {
    if (item.tenant >= job.tenants.size() || item.args.size() > mk::abi::MAX_ARGS) __builtin_trap();
    if (job.items.label_of(item.opcode).empty()) __builtin_trap();
  }
  // Random access spells out the same items as the walk.
  if (!job.items.empty() && job.items[job.items.size() - 1].label.empty()) __builtin_trap();
  for (const auto& handler : job.opcodes) {
    if (mk::abi::is_system_opcode(handler.opcode)) __builtin_trap();
  }
  // A file name shown in a message must be the name opened: no NUL or control bytes.
  for (const auto& source : job.io_sources) {
    if (!source.file) continue;
    if (source.file->empty()) __builtin_trap();
    for (const char c : *source.file)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) __builtin_trap();
  }
  // The memory check is total: a byte count or a one-line refusal, never a crash.
  auto memory = mk::cli::check_job_memory(job, std::uint64_t{1} << 30, true);
  if (!memory && memory.error().line().find('\n') != std::string::npos) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A directory that does not exist: relative io_sources files never resolve.
  auto job = mk::cli::parse_job(text, "/nonexistent/megakernel-fuzz", "fuzz.json");
  if (job) {
    check_job(*job);
  } else {
    const std::string line = job.error().line();
    if (line.empty() || line.find('\n') != std::string::npos) __builtin_trap();  // one line, always
  }
  return 0;
}
