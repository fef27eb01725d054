// Test support for isolated backends (not public API): the worker's pid, restarts, and
// waiting for a restart to finish. Tests include it from the source tree.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "mk/backend.h"

namespace mk::isolate::test {

// -1 when `backend` is not isolated.
pid_t worker_pid(const Backend& backend);
// Worker incarnations so far (1 after start, +1 per restart).
std::uint64_t generation(const Backend& backend);
std::uint64_t fault_count(const Backend& backend);
// True once a worker of generation >= at_least answers (or the budget ran out: then
// unrecoverable() says so).
bool wait_generation(const Backend& backend, std::uint64_t at_least, std::chrono::milliseconds timeout);
bool unrecoverable(const Backend& backend);
// A request is posted and not answered yet (the worker has it, or is stopped with it).
bool request_pending(const Backend& backend);
std::uint64_t shared_bytes(const Backend& backend);

}  // namespace mk::isolate::test
