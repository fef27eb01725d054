// Resident ABI buffers on the device, and the many-launch graph cache that goes with them.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/cuda_allocation.h"
#include "interp/view.h"
#include "mk/backend.h"

namespace mk::detail {

class CudaBackend;

// What a recorded many-launch graph depends on: equal shapes replay it as it is.
struct GraphShape {
  std::uint32_t phases = 0;
  std::uint64_t staged_slots = 0;
  unsigned blocks = 0;
  friend bool operator==(const GraphShape&, const GraphShape&) = default;
};

class CudaResidentBuffers final : public ResidentBuffers {
 public:
  CudaResidentBuffers(CudaBackend& backend, std::uint64_t generation);
  ~CudaResidentBuffers() override;

  Status allocate(const HostBuffers& initial);
  std::uint64_t size_bytes(BufferKind kind) const noexcept override;
  Status upload(BufferKind kind, std::uint64_t offset, ConstByteSpan bytes) override;
  Status download(BufferKind kind, ByteSpan out) override;
  Result<DeviceRegion> device_region(BufferKind kind) const override;

  // The interpreter's view over the device copies.
  const interp::View& view() const noexcept { return m_view; }
  // Error when recovery dropped this generation's memory and nothing was uploaded since.
  Status check_alive() const;

  DeviceBuffer round_state;
  // Many-launch staging: descriptors + staged slot words, pinned on the host and copied
  // by the graph; `meta` comes back with rounds and rejected counts.
  PinnedBuffer staging_host;
  DeviceBuffer staging_device;
  PinnedBuffer meta_host;
  DeviceBuffer meta_device;
  cudaGraphExec_t graph_exec = nullptr;
  GraphShape graph_shape;

 private:
  DeviceBuffer& buffer(BufferKind kind) noexcept;
  void refresh_view_header(const std::uint32_t* control_words, std::size_t words);

  CudaBackend& m_backend;
  std::uint64_t m_generation;
  DeviceBuffer m_control, m_ring, m_log, m_io;
  std::uint64_t m_sizes[4] = {};
  interp::View m_view;
};

}  // namespace mk::detail
