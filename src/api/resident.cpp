// Resident handles, resident dispatches, many-launch batches and device-loss recovery.
#include <chrono>
#include <mutex>
#include <string>

#include "api/buffer_checks.h"
#include "api/clock.h"
#include "mk/megakernel.h"

namespace mk {
namespace {

Status check_items(std::uint32_t slot_count, std::uint32_t first_slot, std::span<const WorkItem> items,
                   const std::string& where) {
  if (first_slot > slot_count || items.size() > slot_count - first_slot)
    return fail(ErrorKind::InvalidArgument,
                where + ": slots " + std::to_string(first_slot) + ".." + std::to_string(first_slot + items.size()) +
                    " run past the ring's " + std::to_string(slot_count) + " slots",
                "keep every submission inside the ring");
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].arg_count > abi::MAX_ARGS)
      return fail(ErrorKind::InvalidArgument,
                  where + " item " + std::to_string(i) + " has " + std::to_string(items[i].arg_count) + " args",
                  "use at most 12 args (build items with WorkItem::make)");
  return {};
}

}  // namespace

Status ResidentHandles::upload(BufferKind kind, ConstByteSpan bytes, std::uint64_t offset) {
  return m_buffers->upload(kind, offset, bytes);
}

Status ResidentHandles::upload_items(std::uint32_t first_slot, std::span<const WorkItem> items) {
  MK_TRY(check_items(m_slot_count, first_slot, items, "upload_items"));
  std::vector<std::uint32_t> words(items.size() * abi::SLOT_WORDS);
  for (std::size_t i = 0; i < items.size(); ++i)
    encode_slot_words(items[i], std::span<Word, abi::SLOT_WORDS>(words.data() + i * abi::SLOT_WORDS, abi::SLOT_WORDS));
  return m_buffers->upload(BufferKind::Ring, std::uint64_t{first_slot} * abi::SLOT_BYTES,
                           std::as_bytes(std::span(words)));
}

Status ResidentHandles::readback(OutputBuffers& out) {
  Bytes* targets[4] = {&out.control, &out.ring, &out.debug_log, &out.io_queue};
  for (std::size_t k = 0; k < 4; ++k) {
    const auto kind = static_cast<BufferKind>(k);
    targets[k]->resize(m_buffers->size_bytes(kind));
    MK_TRY(m_buffers->download(kind, ByteSpan(*targets[k])));
  }
  return {};
}

Result<ResidentHandles> Megakernel::create_resident_handles(const DispatchInput& initial) const {
  if (!m_backend->supports(Feature::ResidentHandles))
    return cuda::std::unexpected(unsupported(*m_backend, Feature::ResidentHandles));
  OutputBuffers host{Bytes(initial.control.begin(), initial.control.end()),
                     Bytes(initial.ring.begin(), initial.ring.end()),
                     Bytes(initial.debug_log.begin(), initial.debug_log.end()),
                     Bytes(initial.io_queue.begin(), initial.io_queue.end())};
  auto set = detail::validated_buffers(host, *this, nullptr);
  if (!set) return cuda::std::unexpected(std::move(set.error()));
  auto buffers = m_backend->create_resident(HostBuffers{set->control, set->ring, set->debug_log, set->io_queue});
  if (!buffers) return cuda::std::unexpected(std::move(buffers.error()));
  return ResidentHandles(std::move(*buffers), m_geometry.slot_count);
}

Result<DispatchStats> Megakernel::dispatch_persistent_handles(ResidentHandles& handles) const {
  const auto start = std::chrono::steady_clock::now();
  if (handles.slot_count() != m_geometry.slot_count)
    return fail(ErrorKind::InvalidArgument,
                "resident ring has " + std::to_string(handles.slot_count()) + " slots, the megakernel " +
                    std::to_string(m_geometry.slot_count),
                "create the handles with this megakernel");
  auto launch = note_loss(m_backend->launch_resident(*m_pipeline, handles.buffers()));
  if (!launch) return cuda::std::unexpected(std::move(launch.error()));
  DispatchStats stats;
  stats.device_ns = launch->device_ns;
  stats.device_ns_known = launch->device_ns_known;
  stats.sweeps = launch->sweeps;
  stats.wall_ns = detail::elapsed_ns(start);
  return stats;
}

Result<DispatchStats> Megakernel::dispatch_persistent_handles_observed(ResidentHandles& handles) const {
  return dispatch_persistent_handles(handles);
}

Result<DispatchStats> Megakernel::dispatch_persistent_handles_into(ResidentHandles& handles, OutputBuffers& out) const {
  const auto start = std::chrono::steady_clock::now();
  auto stats = dispatch_persistent_handles(handles);
  if (!stats) return stats;
  MK_TRY(handles.readback(out));
  stats->bytes_down = out.control.size() + out.ring.size() + out.debug_log.size() + out.io_queue.size();
  stats->wall_ns = detail::elapsed_ns(start);
  return stats;
}

Result<ManyStats> Megakernel::dispatch_persistent_handles_many_observed(ResidentHandles& handles,
                                                                        std::span<const Submission> submissions) const {
  const auto start = std::chrono::steady_clock::now();
  if (!m_backend->supports(Feature::ManyLaunch))
    return cuda::std::unexpected(unsupported(*m_backend, Feature::ManyLaunch));
  if (submissions.empty())
    return fail(ErrorKind::InvalidArgument, "a many-launch batch needs at least one submission",
                "pass the submissions to run");
  ManyStats many;
  for (std::size_t k = 0; k < submissions.size(); ++k) {
    MK_TRY(check_items(handles.slot_count(), submissions[k].first_slot, submissions[k].items,
                       "submission " + std::to_string(k)));
    many.items += static_cast<std::uint32_t>(submissions[k].items.size());
  }
  auto launch = note_loss(m_backend->launch_resident_many(*m_pipeline, handles.buffers(), submissions, &many.rejected));
  if (!launch) return cuda::std::unexpected(std::move(launch.error()));
  many.submissions = static_cast<std::uint32_t>(submissions.size());
  many.stats.device_ns = launch->device_ns;
  many.stats.device_ns_known = launch->device_ns_known;
  many.stats.sweeps = launch->sweeps;
  many.stats.bytes_up = launch->bytes_up;
  many.stats.wall_ns = detail::elapsed_ns(start);
  return many;
}

Result<ManyStats> Megakernel::dispatch_persistent_handles_many_into(ResidentHandles& handles,
                                                                    std::span<const Submission> submissions,
                                                                    OutputBuffers& out) const {
  auto many = dispatch_persistent_handles_many_observed(handles, submissions);
  if (!many) return many;
  MK_TRY(handles.readback(out));
  many->stats.bytes_down = out.control.size() + out.ring.size() + out.debug_log.size() + out.io_queue.size();
  return many;
}

Result<ManyStats> Megakernel::dispatch_persistent_handles_many_with_scratch(ResidentHandles& handles,
                                                                            std::span<const Submission> submissions,
                                                                            ManyScratch& scratch) const {
  auto many = dispatch_persistent_handles_many_into(handles, submissions, scratch.buffers);
  if (!many) return many;
  MK_TRY(try_decode_readback(scratch.buffers, scratch.readback));
  scratch.readback.stats = many->stats;
  return many;
}

}  // namespace mk
