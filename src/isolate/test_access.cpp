// Test support for isolated backends (test_access.h).
#include "isolate/test_access.h"

#include "isolate/supervised_backend.h"

namespace mk::isolate::test {
namespace {

Supervisor* supervisor_of(const Backend& backend) {
  const auto* s = dynamic_cast<const SupervisedBackend*>(&backend);
  return s ? &s->supervisor() : nullptr;
}

}  // namespace

pid_t worker_pid(const Backend& backend) {
  Supervisor* s = supervisor_of(backend);
  return s ? s->worker_pid() : -1;
}

std::uint64_t generation(const Backend& backend) {
  Supervisor* s = supervisor_of(backend);
  return s ? s->generation() : 0;
}

std::uint64_t fault_count(const Backend& backend) {
  Supervisor* s = supervisor_of(backend);
  return s ? s->fault_count() : 0;
}

bool wait_generation(const Backend& backend, std::uint64_t at_least, std::chrono::milliseconds timeout) {
  Supervisor* s = supervisor_of(backend);
  return s && s->wait_generation(at_least, timeout);
}

bool unrecoverable(const Backend& backend) {
  Supervisor* s = supervisor_of(backend);
  return s && s->unrecoverable().has_value();
}

bool request_pending(const Backend& backend) {
  Supervisor* s = supervisor_of(backend);
  return s && s->request_pending();
}

std::uint64_t shared_bytes(const Backend& backend) {
  Supervisor* s = supervisor_of(backend);
  return s ? s->arena().used_bytes() : 0;
}

}  // namespace mk::isolate::test
