// Options make_backend and the built-in backends take (CPU threads, process isolation).
#pragma once

#include <cstdint>

#include "mk/isolate.h"

namespace mk {

struct CpuBackendOptions {
  std::uint32_t threads = 0;   // 0: one per hardware thread
  bool deterministic = false;  // one thread, slots in order (for tests and traces)
};

// How make_backend builds a backend: in process, or in a supervised worker process.
struct BackendOptions {
  Isolation isolation = Isolation::InProcess;
  IsolationOptions isolate;  // used when isolation == Process
  CpuBackendOptions cpu;     // the "cpu" backend's (and "auto" without a GPU) threads
};

}  // namespace mk
