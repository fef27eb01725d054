// The "forward" test backend's registry entry.
#include "forward_backend.h"

namespace mk::test {
namespace {

bool forward_available() noexcept { return true; }

Result<std::shared_ptr<Backend>> create_forward(const BackendOptions&) {
  return std::shared_ptr<Backend>(std::make_shared<ForwardBackend>());
}

}  // namespace

extern const detail::BackendEntry FORWARD_BACKEND_ENTRY{
    .name = "forward",
    .description = "test backend: one-shot dispatch on a deterministic CPU backend",
    .available = forward_available,
    .create = create_forward,
};

}  // namespace mk::test
