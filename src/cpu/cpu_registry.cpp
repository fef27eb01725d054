// The CPU backend's registry entry (listed in src/api/backend_list.cpp).
#include "core/backend_entry.h"

namespace mk::detail {
namespace {

bool cpu_available() noexcept { return true; }

Result<std::shared_ptr<Backend>> create_cpu(const BackendOptions& options) { return make_cpu_backend(options.cpu); }

}  // namespace

// Rank 0: "auto" falls back to the CPU when nothing ranked higher is available.
extern const BackendEntry CPU_BACKEND_ENTRY{
    .name = "cpu",
    .description = "reference interpreter on host threads (the conformance oracle)",
    .auto_rank = 0,
    .available = cpu_available,
    .create = create_cpu,
};

}  // namespace mk::detail
