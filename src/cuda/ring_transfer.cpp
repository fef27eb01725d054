// RingTransfer (see ring_transfer.cuh).
#include <algorithm>
#include <cstring>

#include "cuda/kernels.cuh"
#include "cuda/ring_transfer.h"

namespace mk::detail {
RingTransfer::~RingTransfer() {
  for (auto& e : m_free)
    if (e) MK_CUDA_CHECK_NOEXCEPT(cudaEventDestroy(e));
}

Status RingTransfer::init() {
  if (m_free[0] != nullptr) return {};
  for (unsigned b = 0; b < BUFFERS; ++b) {
    MK_TRY(m_staging[b].reserve(CHUNK_BYTES));
    MK_CUDA_CHECK(cudaEventCreateWithFlags(&m_free[b], cudaEventDisableTiming));
  }
  return {};
}

Status RingTransfer::upload(ConstWordSpan host, Word* device, cudaStream_t stream, std::uint64_t& bytes_up) {
  MK_TRY(init());
  const auto* src = reinterpret_cast<const unsigned char*>(host.data());
  auto* dst = reinterpret_cast<unsigned char*>(device);
  const std::size_t total = host.size_bytes();
  bool used[BUFFERS] = {};
  unsigned b = 0;
  for (std::size_t at = 0; at < total; at += CHUNK_BYTES, b = (b + 1) % BUFFERS) {
    const std::size_t bytes = std::min(CHUNK_BYTES, total - at);
    // The buffer's previous DMA must be done before the host refills it.
    if (used[b]) MK_CUDA_CHECK(cudaEventSynchronize(m_free[b]));
    std::memcpy(m_staging[b].get(), src + at, bytes);
    MK_CUDA_CHECK(cudaMemcpyAsync(dst + at, m_staging[b].get(), bytes, cudaMemcpyHostToDevice, stream));
    MK_CUDA_CHECK(cudaEventRecord(m_free[b], stream));
    used[b] = true;
  }
  bytes_up += total;
  return {};
}

Status RingTransfer::download_heads(const Word* device, std::uint32_t slots, cudaStream_t stream,
                                    std::uint64_t& bytes_down) {
  const std::size_t bytes = std::size_t{slots} * sizeof(Word) * 2;
  MK_TRY(m_heads_device.reserve(bytes));
  MK_TRY(m_heads_host.reserve(bytes));
  m_slots = slots;
  if (slots == 0) return {};
  MK_CUDA_CHECK(launch_gather_heads(device, slots, m_heads_device.get(), stream));
  MK_CUDA_CHECK(cudaMemcpyAsync(m_heads_host.get(), m_heads_device.get(), bytes, cudaMemcpyDeviceToHost, stream));
  bytes_down += bytes;
  return {};
}

void RingTransfer::scatter_heads(WordSpan host) const {
  const Word* heads = m_heads_host.get<Word>();
  Word* slot = host.data();
  for (std::uint32_t s = 0; s < m_slots; ++s, slot += abi::SLOT_WORDS, heads += 2) {
    slot[abi::SLOT_RESULT] = heads[1];
    slot[abi::SLOT_STATUS] = heads[0];
  }
}

}  // namespace mk::detail
