// The built-in backend table: adding a backend is its directory plus one line here.
#include "api/backend_registry.h"

namespace mk::detail {

extern const BackendEntry CPU_BACKEND_ENTRY;  // src/cpu/cpu_registry.cpp
#if MK_HAVE_CUDA
extern const BackendEntry CUDA_BACKEND_ENTRY;  // src/cuda/cuda_registry.cpp
#else
namespace {
// Listed without its directory, so `megakernel info` and make_backend("cuda") say why it is missing.
bool never_available() noexcept { return false; }
const BackendEntry CUDA_BACKEND_ENTRY{
    .name = "cuda",
    .description = "persistent interpreter kernel on NVIDIA GPUs",
    .available = never_available,
    .missing_message = "this build has no CUDA backend (nvcc was not found at configure time)",
    .missing_fix =
        "install the CUDA toolkit and reconfigure with -DMK_ENABLE_CUDA=ON, or use the CPU backend "
        "(make_backend(\"cpu\"))",
};
}  // namespace
#endif

namespace {
// Listing order: `megakernel info`, --backend choices and the test parameter lists follow it.
constexpr const BackendEntry* BUILTIN_BACKENDS[] = {
    &CPU_BACKEND_ENTRY,
    &CUDA_BACKEND_ENTRY,
};
}  // namespace

std::span<const BackendEntry* const> builtin_backends() noexcept { return BUILTIN_BACKENDS; }

}  // namespace mk::detail
