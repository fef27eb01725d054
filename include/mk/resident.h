// Resident handles: device-owned ABI buffers that dispatches run over without touching
// host bytes (RAII: the device memory is freed with the handles).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "mk/backend.h"
#include "mk/protocol.h"

namespace mk {

struct OutputBuffers;

class ResidentHandles {
 public:
  ResidentHandles(ResidentHandles&&) noexcept = default;
  ResidentHandles& operator=(ResidentHandles&&) noexcept = default;
  ~ResidentHandles() = default;

  std::uint32_t slot_count() const noexcept { return m_slot_count; }
  std::uint64_t size_bytes(BufferKind kind) const noexcept { return m_buffers->size_bytes(kind); }

  // Overwrite part of one buffer (whole words, inside its size).
  Status upload(BufferKind kind, ConstByteSpan bytes, std::uint64_t offset = 0);
  // Encode items into ring slots [first_slot, first_slot + items.size()) on the device.
  // The slots must not be in flight: the caller knows, since resident dispatches are
  // synchronous; the many-launch kernel checks again and counts rejects.
  Status upload_items(std::uint32_t first_slot, std::span<const WorkItem> items);
  // Copy every buffer back; out's vectors are reused when their sizes repeat.
  Status readback(OutputBuffers& out);

  ResidentBuffers& buffers() noexcept { return *m_buffers; }

 private:
  friend class Megakernel;
  ResidentHandles(std::unique_ptr<ResidentBuffers> buffers, std::uint32_t slot_count)
      : m_buffers(std::move(buffers)), m_slot_count(slot_count) {}

  std::unique_ptr<ResidentBuffers> m_buffers;
  std::uint32_t m_slot_count = 0;
};

}  // namespace mk
