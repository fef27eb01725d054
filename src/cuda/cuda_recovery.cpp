// Device-loss recovery: reset the context and rebuild what the backend owns.
#include <chrono>
#include <string>
#include <thread>

#include "cuda/cuda_backend.h"

namespace mk::detail {

Result<RecoveryDecision> CudaBackend::recover() {
  std::lock_guard<std::mutex> lock(m_mutex);
  // Everything below belonged to the lost context: drop it without calling into CUDA.
  for (auto* b : {&m_control, &m_ring, &m_log, &m_io, &m_round_state, &m_trace}) b->forget();
  m_stream = nullptr;
  m_start = nullptr;
  m_stop = nullptr;
  const cudaError_t reset = cudaDeviceReset();
  if (reset != cudaSuccess)
    return fail(
        ErrorKind::DeviceLost,
        std::string("cudaDeviceReset failed: ") + cudaGetErrorName(reset) + " (" + cudaGetErrorString(reset) + ")",
        "the device cannot be recovered in this process: restart it (and check `nvidia-smi`)");
  ++m_generation;
  // The driver may take a moment to release the old context (seen on H100 as
  // cudaErrorDevicesUnavailable right after the reset): retry with backoff, bounded.
  Status ready = init();
  for (int attempt = 0; !ready && ready.error().kind() != ErrorKind::Unsupported && attempt < 10; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1 << attempt));
    (void)cudaGetLastError();
    ready = init();
  }
  if (!ready)
    return fail(ErrorKind::DeviceLost,
                "the device was reset but refuses a new context in this process: " + ready.error().message(),
                "restart the process: some drivers (seen with driver 580 after a kernel trap, Xid 43) only give "
                "the GPU back to a new process");
  return m_live_resident.load() > 0 ? RecoveryDecision::RebuiltStateLost : RecoveryDecision::Rebuilt;
}

}  // namespace mk::detail
