// The worker's segment, pipeline, one-shot and batch commands.
#include <sys/mman.h>

#include "isolate/worker/host_register.h"
#include "isolate/worker/worker.h"

namespace mk::isolate::worker {

Status Worker::map_segment(std::uint64_t offset, std::uint64_t bytes) {
  if (offset % 4096 != 0 || bytes == 0 || bytes % 4096 != 0 || m_segments.count(offset) != 0)
    return fail(ErrorKind::InvalidArgument, "bad segment " + std::to_string(offset) + "+" + std::to_string(bytes),
                "internal: segments are page-aligned and mapped once");
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, ARENA_FD, static_cast<off_t>(offset));
  if (p == MAP_FAILED)
    return fail(ErrorKind::Backend, "the worker could not map a shared segment of " + std::to_string(bytes) + " bytes",
                "free memory or address space");
  Mapping m{static_cast<std::byte*>(p), static_cast<std::size_t>(bytes), false};
  if (m_cuda) {
    if (Status s = register_host(p, bytes); !s) {
      munmap(p, bytes);
      return s;
    }
    m.registered = true;
  }
  m_segments.emplace(offset, m);
  return {};
}

Status Worker::unmap_segment(std::uint64_t offset) {
  auto it = m_segments.find(offset);
  if (it == m_segments.end()) return {};
  if (it->second.registered) unregister_host(it->second.data);
  munmap(it->second.data, it->second.bytes);
  m_segments.erase(it);
  return {};
}

Result<std::byte*> Worker::resolve(std::uint64_t offset, std::uint64_t bytes) const {
  auto it = m_segments.upper_bound(offset);
  if (it != m_segments.begin()) {
    --it;
    const std::uint64_t end = it->first + it->second.bytes;
    if (offset >= it->first && bytes <= end - offset) return it->second.data + (offset - it->first);
  }
  return fail(ErrorKind::InvalidArgument,
              "bytes " + std::to_string(offset) + "+" + std::to_string(bytes) + " are in no mapped segment",
              "internal: map the segment before naming it");
}

Result<WordSpan> Worker::words(std::uint64_t offset, std::uint64_t count) const {
  if (count == 0) return WordSpan{};
  if (count > (std::uint64_t{1} << 40)) return fail(ErrorKind::InvalidArgument, "word count too large", "internal");
  auto p = resolve(offset, count * 4);
  if (!p) return cuda::std::unexpected(std::move(p.error()));
  return WordSpan(reinterpret_cast<std::uint32_t*>(*p), static_cast<std::size_t>(count));
}

Result<std::shared_ptr<const Pipeline>> Worker::pipeline(std::uint64_t handle) const {
  auto it = m_pipelines.find(handle);
  if (it == m_pipelines.end())
    return fail(ErrorKind::InvalidArgument, "unknown pipeline handle " + std::to_string(handle),
                "internal: build the pipeline in this worker first");
  return it->second;
}

namespace {

void put_stats(const LaunchStats& s, Response& response) {
  response.value[STATS_DEVICE_NS] = s.device_ns;
  response.value[STATS_DEVICE_NS_KNOWN] = s.device_ns_known ? 1 : 0;
  response.value[STATS_SWEEPS] = s.sweeps;
  response.value[STATS_BYTES_UP] = s.bytes_up;
  response.value[STATS_BYTES_DOWN] = s.bytes_down;
}

}  // namespace

Status Worker::one_shot(const Request& r, Response& response) {
  auto pipe = pipeline(r.arg[0]);
  if (!pipe) return cuda::std::unexpected(std::move(pipe.error()));
  WordSpan parts[4];
  for (int k = 0; k < 4; ++k) {
    auto w = words(r.arg[1 + 2 * k], r.arg[2 + 2 * k]);
    if (!w) return cuda::std::unexpected(std::move(w.error()));
    parts[k] = *w;
  }
  auto stats = m_backend->launch_one_shot(**pipe, BufferSet{parts[0], parts[1], parts[2], parts[3]}, nullptr);
  if (!stats) return cuda::std::unexpected(std::move(stats.error()));
  put_stats(*stats, response);
  return {};
}

Status Worker::batch(const Request& r, Response& response) {
  auto pipe = pipeline(r.arg[0]);
  if (!pipe) return cuda::std::unexpected(std::move(pipe.error()));
  auto control = words(r.arg[1], r.arg[2]);
  auto records = words(r.arg[3], r.arg[4]);
  const std::uint64_t count = r.arg[5];
  if (!control) return cuda::std::unexpected(std::move(control.error()));
  if (!records) return cuda::std::unexpected(std::move(records.error()));
  if (count > abi::BATCH_MAX_ITEMS || r.arg[9] > abi::MAX_ARGS)
    return fail(ErrorKind::InvalidArgument, "batch count or arg count out of range", "internal");
  auto results = words(r.arg[10], count);
  auto faults = words(r.arg[11], r.arg[12]);
  if (!results) return cuda::std::unexpected(std::move(results.error()));
  if (!faults) return cuda::std::unexpected(std::move(faults.error()));
  BatchShape shape;
  shape.per_item_opcode = (r.arg[6] & abi::BATCH_FLAG_ITEM_OPCODE) != 0;
  shape.per_item_tenant = (r.arg[6] & abi::BATCH_FLAG_ITEM_TENANT) != 0;
  shape.opcode = static_cast<std::uint32_t>(r.arg[7]);
  shape.tenant = static_cast<std::uint32_t>(r.arg[8]);
  shape.arg_count = static_cast<std::uint32_t>(r.arg[9]);
  BatchLaunch launch{*control, BatchView{shape, static_cast<std::uint32_t>(count), *records}, *results, *faults};
  auto stats = m_backend->launch_batch(**pipe, launch);
  if (!stats) return cuda::std::unexpected(std::move(stats.error()));
  put_stats(*stats, response);
  return {};
}

}  // namespace mk::isolate::worker
