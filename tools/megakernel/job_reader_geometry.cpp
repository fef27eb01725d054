// Job reader: ring geometry and buffer sizes (slot_count, workgroup_size_x, observables, ...).
#include <string>

#include "job_reader_detail.h"
#include "mk/megakernel.h"
#include "mk/protocol.h"

namespace mk::cli::detail {
namespace {

std::uint32_t optional_u32(const Json& top, std::string_view key, std::uint32_t fallback) {
  const Json* value = member(top, key);
  return value ? u32_at(*value, key) : fallback;
}

// A size check from the protocol codec, reported at `path`.
void check_size(const Result<std::size_t>& size, std::string_view path) {
  if (!size) fail_at(std::string(path), size.error().message(), size.error().fix());
}

}  // namespace

void read_geometry(const Json& top, Job& job) {
  job.slot_count = optional_u32(top, "slot_count", DEFAULT_SLOT_COUNT);
  job.workgroup_size_x = optional_u32(top, "workgroup_size_x", DEFAULT_WORKGROUP_SIZE_X);
  job.observables = optional_u32(top, "observables", DEFAULT_OBSERVABLES);
  job.debug_log_records = optional_u32(top, "debug_log_records", DEFAULT_DEBUG_LOG_RECORDS);
  job.io_queue_capacity = optional_u32(top, "io_queue_capacity", DEFAULT_IO_QUEUE_CAPACITY);

  if (job.slot_count == 0) {
    fail_at("slot_count", "a ring needs at least one slot",
            "set slot_count to a multiple of workgroup_size_x, e.g. 256");
  }
  check_size(try_ring_bytes(job.slot_count), "slot_count");
  if (job.workgroup_size_x == 0) {
    fail_at("workgroup_size_x", "a workgroup needs at least one lane", "set workgroup_size_x to 32, 64, 128 or 256");
  }
  auto groups = Megakernel::worker_groups_for_geometry(job.slot_count, job.workgroup_size_x);
  if (!groups) {
    const std::uint32_t wg = job.workgroup_size_x;
    const std::uint64_t rounded = (std::uint64_t{job.slot_count} + wg - 1) / wg * wg;
    fail_at("slot_count",
            "slot_count " + std::to_string(job.slot_count) + " does not map to whole workgroups of " +
                std::to_string(wg) + " lanes (workgroup_size_x)",
            "make slot_count a multiple of workgroup_size_x (e.g. " + std::to_string(rounded) +
                ") or change workgroup_size_x");
  }
  job.worker_groups = *groups;
  check_size(try_control_bytes(job.observables), "observables");
  if (job.debug_log_records != 0) check_size(try_debug_log_bytes(job.debug_log_records), "debug_log_records");
  if (job.io_queue_capacity != 0) check_size(try_io_queue_bytes(job.io_queue_capacity), "io_queue_capacity");
}

}  // namespace mk::cli::detail
