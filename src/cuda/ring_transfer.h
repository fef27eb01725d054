// The one-shot dispatch's ring transfers: a large ring goes up through two reused pinned
// staging buffers (the host copy of one chunk overlaps the DMA of the other), and comes
// back as just what the kernel can change, each slot's STATUS and RESULT, gathered on
// the device into 8 bytes per slot and scattered into the host ring.
#pragma once

#include <cuda_runtime.h>

#include "cuda/cuda_allocation.h"
#include "mk/protocol.h"

namespace mk::detail {

// Below this a ring is copied as it is (pageable copies of a few slots cost less).
inline constexpr std::size_t RING_STAGED_MIN_BYTES = std::size_t{1} << 20;

class RingTransfer {
 public:
  RingTransfer() = default;
  RingTransfer(const RingTransfer&) = delete;
  RingTransfer& operator=(const RingTransfer&) = delete;
  ~RingTransfer();

  // Enqueue host ring -> device on `stream`; returns after the last chunk was copied
  // into staging (the DMA may still run). Bytes moved are added to `bytes_up`.
  Status upload(ConstWordSpan host, Word* device, cudaStream_t stream, std::uint64_t& bytes_up);
  // Enqueue the gather of STATUS and RESULT of every slot and their download.
  Status download_heads(const Word* device, std::uint32_t slots, cudaStream_t stream, std::uint64_t& bytes_down);
  // After the stream finished: write the downloaded words into the host ring.
  void scatter_heads(WordSpan host) const;

 private:
  Status init();
  static constexpr unsigned BUFFERS = 2;
  static constexpr std::size_t CHUNK_BYTES = std::size_t{4} << 20;
  PinnedBuffer m_staging[BUFFERS];
  cudaEvent_t m_free[BUFFERS] = {};
  DeviceBuffer m_heads_device;
  PinnedBuffer m_heads_host;
  std::uint32_t m_slots = 0;
};

}  // namespace mk::detail
