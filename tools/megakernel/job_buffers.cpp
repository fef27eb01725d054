// Job -> ABI buffers and I/O sources, and the job's Megakernel (shared by run and trace).
#include <algorithm>
#include <vector>

#include "job_runner.h"
#include "mk/protocol.h"

namespace mk::cli {

Result<OutputBuffers> build_job_control(const Job& job) {
  OutputBuffers buffers;
  const auto tenant_count = static_cast<std::uint32_t>(job.tenants.size());
  auto control = try_encode_control(false, tenant_count, job.observables);
  if (!control) return cuda::std::unexpected<Error>(std::move(control.error()));
  buffers.control = std::move(*control);
  for (const auto& tenant : job.tenants) {
    MK_TRY(try_set_tenant_policy(buffers.control, tenant.id, tenant.allowed_opcodes, tenant.window));
    MK_TRY(try_set_tenant_flags(buffers.control, tenant.id, true, tenant.admin));
  }
  for (const auto& init : job.init) MK_TRY(try_write_observables(buffers.control, init.at, init.words));
  return buffers;
}

Result<OutputBuffers> build_job_buffers(const Job& job) {
  auto control = build_job_control(job);
  if (!control) return control;
  OutputBuffers buffers = std::move(*control);
  auto ring_bytes = try_ring_bytes(job.slot_count);
  if (!ring_bytes) return cuda::std::unexpected<Error>(std::move(ring_bytes.error()));
  buffers.ring.assign(*ring_bytes, std::byte{0});
  MK_TRY(try_encode_empty_ring_into(buffers.ring, job.slot_count));
  // Published a chunk at a time: a WorkItem is 60 bytes, the job's record a few words.
  constexpr std::size_t CHUNK = 4096;
  std::vector<WorkItem> chunk;
  chunk.reserve(std::min(CHUNK, job.items.size()));
  std::uint32_t next = 0;
  for (const JobItemRef item : job.items) {
    WorkItem& out = chunk.emplace_back();
    out.opcode = item.opcode;
    out.tenant = item.tenant;
    out.arg_count = static_cast<std::uint32_t>(std::min<std::size_t>(item.args.size(), abi::MAX_ARGS));
    std::copy_n(item.args.begin(), out.arg_count, out.args.begin());
    if (chunk.size() == CHUNK) {
      MK_TRY(try_publish_work_items(buffers.ring, next, chunk));
      next += static_cast<std::uint32_t>(chunk.size());
      chunk.clear();
    }
  }
  if (!chunk.empty()) MK_TRY(try_publish_work_items(buffers.ring, next, chunk));

  if (job.debug_log_records != 0) {
    auto log = try_encode_empty_debug_log(job.debug_log_records);
    if (!log) return cuda::std::unexpected<Error>(std::move(log.error()));
    buffers.debug_log = std::move(*log);
  }
  if (job.io_queue_capacity != 0) {
    auto io = try_encode_empty_io_queue(job.io_queue_capacity);
    if (!io) return cuda::std::unexpected<Error>(std::move(io.error()));
    buffers.io_queue = std::move(*io);
  }
  return buffers;
}

Result<Megakernel> bootstrap_job(const Job& job, std::shared_ptr<Backend> backend) {
  return Megakernel::bootstrap_sharded(std::move(backend), job.slot_count, job.workgroup_size_x, job.opcodes);
}

}  // namespace mk::cli
