// One-shot and compact-batch dispatch of the isolated backend: buffers go into a shared
// staging segment, the worker runs them there, and nothing comes back to the caller
// before the reply and the buffers' fixed words passed their checks.
#include <algorithm>
#include <cstring>
#include <set>

#include "isolate/supervised_backend.h"
#include "isolate/supervised_pipeline.h"
#include "mk/detail/pipeline_cast.h"

namespace mk::isolate {
namespace {

constexpr std::size_t STAGING_MIN = std::size_t{64} << 10;

std::size_t aligned(std::size_t n) { return (n + 63) / 64 * 64; }

std::string hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llX", static_cast<unsigned long long>(v));
  return text;
}

// The runnable items of a ring, for naming what a fault hit.
std::string runnable_items(ConstWordSpan ring) {
  std::set<std::uint32_t> tenants;
  std::string named;
  std::size_t n = 0;
  for (std::size_t s = 0; s + abi::SLOT_WORDS <= ring.size(); s += abi::SLOT_WORDS) {
    const std::uint32_t status = ring[s + abi::SLOT_STATUS];
    if (status != abi::STATUS_PUBLISHED && status != abi::STATUS_YIELD && status != abi::STATUS_REQUEUE &&
        status != abi::STATUS_WAIT_IO)
      continue;
    const std::uint32_t tenant = ring[s + abi::SLOT_TENANT];
    tenants.insert(tenant);
    if (n++ < 4)
      named += (named.empty() ? "" : ", ") + std::string("slot ") + std::to_string(s / abi::SLOT_WORDS) + " (tenant " +
               std::to_string(tenant) + ", opcode " + hex(ring[s + abi::SLOT_OPCODE]) + ")";
  }
  if (n == 0) return "a one-shot dispatch with no runnable slot";
  std::string who;
  for (std::uint32_t t : tenants) who += (who.empty() ? "" : ", ") + std::to_string(t);
  return "a one-shot dispatch of " + std::to_string(n) + (n == 1 ? " runnable slot" : " runnable slots") + " (" +
         (tenants.size() == 1 ? "tenant " : "tenants ") + who + "): " + named + (n > 4 ? ", ..." : "");
}

// LaunchStats from a reply, or the reason it is not one.
Result<LaunchStats> decode_stats(Supervisor::Link& link, const Reply& reply) {
  LaunchStats stats;
  const std::uint64_t known = reply.value[STATS_DEVICE_NS_KNOWN];
  if (known > 1) return cuda::std::unexpected(link.malformed("stats word device_ns_known = " + hex(known)));
  if (reply.value[STATS_SWEEPS] > 0xFFFFFFFFu)
    return cuda::std::unexpected(link.malformed("stats word sweeps = " + hex(reply.value[STATS_SWEEPS])));
  stats.device_ns = reply.value[STATS_DEVICE_NS];
  stats.device_ns_known = known == 1;
  stats.sweeps = static_cast<std::uint32_t>(reply.value[STATS_SWEEPS]);
  stats.bytes_up = reply.value[STATS_BYTES_UP];
  stats.bytes_down = reply.value[STATS_BYTES_DOWN];
  return stats;
}

// Words a dispatch never changes must come back as they went.
Status check_fixed_words(Supervisor::Link& link, const char* buffer, ConstWordSpan sent, const std::uint32_t* back,
                         std::initializer_list<std::uint32_t> words) {
  for (std::uint32_t w : words)
    if (w < sent.size() && back[w] != sent[w])
      return cuda::std::unexpected(link.malformed(std::string(buffer) + " word " + std::to_string(w) +
                                                  " came back as " + hex(back[w]) + ", sent " + hex(sent[w]) +
                                                  " (a dispatch never changes it)"));
  return {};
}

Status check_control(Supervisor::Link& link, ConstWordSpan sent, const std::uint32_t* back) {
  MK_TRY(
      check_fixed_words(link, "control", sent, back,
                        {abi::CTRL_MAGIC, abi::CTRL_ABI_VERSION, abi::CTRL_TENANT_COUNT, abi::CTRL_OBSERVABLE_COUNT}));
  for (std::uint32_t w = abi::CTRL_OPCODE_IDS; w < abi::CTRL_OPCODE_IDS + abi::MAX_OPCODES && w < sent.size(); ++w)
    if (back[w] != sent[w])
      return cuda::std::unexpected(link.malformed("control word " + std::to_string(w) + " (OPCODE_IDS) came back as " +
                                                  hex(back[w]) + ", sent " + hex(sent[w])));
  return {};
}

}  // namespace

Result<std::byte*> SupervisedBackend::staging(Supervisor::Link& link, std::size_t bytes) {
  if (m_staging && m_staging.bytes >= bytes) return m_staging.data;
  const std::size_t grown = std::max({bytes, 2 * m_staging.bytes, STAGING_MIN});
  auto fresh = m_supervisor->map_segment(link, grown, "the staging buffer of a dispatch");
  if (!fresh && grown > bytes) fresh = m_supervisor->map_segment(link, bytes, "the staging buffer of a dispatch");
  if (!fresh) return cuda::std::unexpected(std::move(fresh.error()));
  m_supervisor->unmap_segment(link, m_staging);
  m_staging = *fresh;
  return m_staging.data;
}

Result<LaunchStats> SupervisedBackend::launch_one_shot(const Pipeline& pipeline, const BufferSet& buffers,
                                                       std::vector<TraceEvent>* trace) {
  if (trace != nullptr) return cuda::std::unexpected(unsupported(*this, Feature::Trace));
  auto pipe = detail::pipeline_as<SupervisedPipeline>(pipeline);
  if (!pipe) return cuda::std::unexpected(std::move(pipe.error()));
  const WordSpan parts[4] = {buffers.control, buffers.ring, buffers.debug_log, buffers.io_queue};
  std::size_t at[4], total = 0;
  for (int k = 0; k < 4; ++k) {
    at[k] = total;
    total = aligned(total + parts[k].size_bytes());
  }
  return m_supervisor->transact("a one-shot dispatch", [&](Supervisor::Link& link) -> Result<LaunchStats> {
    auto handle = (*pipe)->handle(link);
    if (!handle) return cuda::std::unexpected(std::move(handle.error()));
    auto base = staging(link, total);
    if (!base) return cuda::std::unexpected(std::move(base.error()));
    for (int k = 0; k < 4; ++k)
      if (!parts[k].empty()) std::memcpy(*base + at[k], parts[k].data(), parts[k].size_bytes());
    const std::uint64_t o = m_staging.offset;
    auto reply = link.request(Command::OneShot, {*handle, o + at[0], parts[0].size(), o + at[1], parts[1].size(),
                                                 o + at[2], parts[2].size(), o + at[3], parts[3].size()});
    if (!reply) {
      if (reply.error().kind() != ErrorKind::DeviceLost) return cuda::std::unexpected(std::move(reply.error()));
      return cuda::std::unexpected(m_supervisor->attribute(reply.error(), runnable_items(buffers.ring)));
    }
    auto stats = decode_stats(link, *reply);
    if (!stats) return stats;
    // Checked before a word reaches the caller (the caller's buffers still hold the input).
    const auto* control = reinterpret_cast<const std::uint32_t*>(*base + at[0]);
    MK_TRY(check_control(link, buffers.control, control));
    const auto* ring = reinterpret_cast<const std::uint32_t*>(*base + at[1]);
    for (std::size_t s = 0; s < buffers.ring.size(); s += abi::SLOT_WORDS)
      if (ring[s + abi::SLOT_STATUS] > abi::STATUS_FAULT)
        return cuda::std::unexpected(link.malformed("ring slot " + std::to_string(s / abi::SLOT_WORDS) +
                                                    " came back with STATUS " + hex(ring[s + abi::SLOT_STATUS])));
    MK_TRY(check_fixed_words(link, "debug log", buffers.debug_log,
                             reinterpret_cast<const std::uint32_t*>(*base + at[2]),
                             {abi::LOG_MAGIC_WORD, abi::LOG_CAPACITY}));
    MK_TRY(check_fixed_words(link, "I/O queue", buffers.io_queue, reinterpret_cast<const std::uint32_t*>(*base + at[3]),
                             {abi::IO_MAGIC_WORD, abi::IO_CAPACITY}));
    for (int k = 0; k < 4; ++k)
      if (!parts[k].empty()) std::memcpy(parts[k].data(), *base + at[k], parts[k].size_bytes());
    return stats;
  });
}

Result<LaunchStats> SupervisedBackend::launch_batch(const Pipeline& pipeline, const BatchLaunch& launch) {
  auto pipe = detail::pipeline_as<SupervisedPipeline>(pipeline);
  if (!pipe) return cuda::std::unexpected(std::move(pipe.error()));
  const std::size_t at_control = 0;
  const std::size_t at_records = aligned(launch.control.size_bytes());
  const std::size_t at_results = aligned(at_records + launch.batch.records.size_bytes());
  const std::size_t at_faults = aligned(at_results + launch.results.size_bytes());
  const std::size_t total = aligned(at_faults + launch.fault_bits.size_bytes());
  return m_supervisor->transact("a compact batch dispatch", [&](Supervisor::Link& link) -> Result<LaunchStats> {
    auto handle = (*pipe)->handle(link);
    if (!handle) return cuda::std::unexpected(std::move(handle.error()));
    auto base = staging(link, total);
    if (!base) return cuda::std::unexpected(std::move(base.error()));
    std::memcpy(*base + at_control, launch.control.data(), launch.control.size_bytes());
    if (!launch.batch.records.empty())
      std::memcpy(*base + at_records, launch.batch.records.data(), launch.batch.records.size_bytes());
    const std::uint64_t o = m_staging.offset;
    const BatchShape& shape = launch.batch.shape;
    auto reply = link.request(
        Command::Batch, {*handle, o + at_control, launch.control.size(), o + at_records, launch.batch.records.size(),
                         launch.batch.count, shape.flags(), shape.opcode, shape.tenant, shape.arg_count, o + at_results,
                         o + at_faults, launch.fault_bits.size()});
    if (!reply) {
      if (reply.error().kind() != ErrorKind::DeviceLost) return cuda::std::unexpected(std::move(reply.error()));
      return cuda::std::unexpected(m_supervisor->attribute(
          reply.error(), "a compact batch of " + std::to_string(launch.batch.count) + " items (opcode " +
                             (shape.per_item_opcode ? std::string("per item") : hex(shape.opcode)) + ", tenant " +
                             (shape.per_item_tenant ? std::string("per item") : std::to_string(shape.tenant)) + ")"));
    }
    auto stats = decode_stats(link, *reply);
    if (!stats) return stats;
    MK_TRY(check_control(link, launch.control, reinterpret_cast<const std::uint32_t*>(*base + at_control)));
    std::memcpy(launch.control.data(), *base + at_control, launch.control.size_bytes());
    if (!launch.results.empty()) std::memcpy(launch.results.data(), *base + at_results, launch.results.size_bytes());
    if (!launch.fault_bits.empty())
      std::memcpy(launch.fault_bits.data(), *base + at_faults, launch.fault_bits.size_bytes());
    return stats;
  });
}

}  // namespace mk::isolate
