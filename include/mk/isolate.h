// Process isolation of a backend: the GPU context lives in a supervised worker process,
// so a device fault, a crash or a hang costs a worker restart, never the caller's process.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mk {

// Where a backend's context (CUDA context, CPU worker threads) lives.
enum class Isolation {
  InProcess,  // in the caller's process (the default: no spawn, no extra copy)
  Process,    // in a worker process (mk-worker) that a supervisor restarts after a fault
};

// How an isolated backend supervises its worker (docs/architecture.md "Isolation").
struct IsolationOptions {
  // The mk-worker executable. Empty: $MK_WORKER_PATH, then next to the installed library
  // (<libdir>/megakernel/mk-worker), next to the running executable, then the build tree.
  std::string worker_path;
  // The worker's heartbeat frozen this long means a hung worker: it is killed and replaced.
  std::chrono::milliseconds watchdog_timeout{2000};
  // From spawn to a passed canary dispatch (CUDA context creation included).
  std::chrono::milliseconds start_timeout{60000};
  // A command (one-shot dispatch, pipeline build, ...) running longer than this is a hang;
  // 0: no bound (a long dispatch is legitimate; the heartbeat still catches a dead worker).
  std::chrono::milliseconds command_timeout{0};
  // Restart budget: the max_faults-th fault within fault_window is final (Unrecoverable).
  std::uint32_t max_faults = 3;
  std::chrono::seconds fault_window{60};
  // Most bytes of shared memory (buffers, live rings) the backend may hold; 0: no cap
  // beyond what the system grants.
  std::uint64_t max_shared_bytes = 0;
  // After each command the worker polls for the next one this long before it sleeps on a
  // futex: back-to-back calls then cost no wake-up (at the price of a busy core meanwhile).
  std::chrono::microseconds worker_spin{200};
};

}  // namespace mk
