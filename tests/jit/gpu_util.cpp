// JIT GPU test utilities: backend, dispatch through Megakernel, and the direct launcher.
#include "gpu_util.h"

#include <cuda_runtime.h>

#include <algorithm>

#include "cuda/jit/jit_build.h"
#include "cuda/jit/jit_module.h"
#include "interp/step.h"
#include "temp_dir.h"

namespace mk::jit_test {
namespace {

// Every test binary run starts from an empty JIT cache of its own: the first build of a
// handler set is cold, and nothing lands in the user's ~/.cache.
class JitCacheEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    m_dir = std::make_unique<TempDir>();
    m_env = std::make_unique<ScopedEnv>("MK_JIT_CACHE_DIR", m_dir->path().c_str());
  }
  void TearDown() override {
    m_env.reset();
    m_dir.reset();
  }

 private:
  std::unique_ptr<TempDir> m_dir;
  std::unique_ptr<ScopedEnv> m_env;
};
[[maybe_unused]] ::testing::Environment* const g_cache_env =
    ::testing::AddGlobalTestEnvironment(new JitCacheEnvironment);

template <class T>
struct DeviceArray {
  T* ptr = nullptr;
  explicit DeviceArray(std::size_t n) {
    if (n > 0 && cudaMalloc(&ptr, n * sizeof(T)) != cudaSuccess) ptr = nullptr;
  }
  ~DeviceArray() {
    if (ptr) cudaFree(ptr);
  }
};

#define DIRECT_CHECK(expr)                                                            \
  do {                                                                                \
    const cudaError_t e_ = (expr);                                                    \
    if (e_ != cudaSuccess) return std::string(#expr) + ": " + cudaGetErrorString(e_); \
  } while (0)

}  // namespace

std::shared_ptr<Backend> cuda_backend_or_null() {
  if (!cuda_available()) return nullptr;
  auto backend = make_backend("cuda");
  if (!backend) {
    ADD_FAILURE() << "a CUDA device is visible but the backend failed: " << backend.error().what();
    return nullptr;
  }
  return *backend;
}

Job run_on(const Megakernel& mk, const Job& job, std::vector<TraceEvent>* trace, DispatchStats* stats) {
  OutputBuffers b = job.to_buffers();
  auto s = mk.dispatch_in_place(b, trace);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().what());
  if (s && stats) *stats = *s;
  Job out = job;
  out.from_buffers(b);
  return out;
}

std::string run_direct(Job& job, std::uint32_t step_budget, std::uint32_t threads) {
  int device = 0;
  cudaDeviceProp props{};
  DIRECT_CHECK(cudaGetDevice(&device));
  DIRECT_CHECK(cudaGetDeviceProperties(&props, device));
  detail::JitImageRequest request;
  request.handlers = job.handlers;
  request.block_threads = threads;
  request.cc_major = props.major;
  request.cc_minor = props.minor;
  request.step_budget = step_budget;
  auto image = detail::build_jit_image(request);
  if (!image) return image.error().what();
  DIRECT_CHECK(cudaSetDevice(device));
  DIRECT_CHECK(cudaFree(nullptr));
  auto module = detail::JitModule::load(image->cubin);
  if (!module) return module.error().what();

  stamp_opcode_table(job);
  const auto slots = static_cast<std::uint32_t>(job.ring.size() / abi::SLOT_WORDS);
  DeviceArray<std::uint32_t> control(job.control.size()), ring(job.ring.size()), log(job.log.size()),
      round_state(detail::ROUND_STATE_WORDS);
  if (!control.ptr || !ring.ptr || !round_state.ptr || (!job.log.empty() && !log.ptr)) return "cudaMalloc failed";
  DIRECT_CHECK(cudaMemcpy(control.ptr, job.control.data(), job.control.size() * 4, cudaMemcpyHostToDevice));
  DIRECT_CHECK(cudaMemcpy(ring.ptr, job.ring.data(), job.ring.size() * 4, cudaMemcpyHostToDevice));
  if (!job.log.empty()) DIRECT_CHECK(cudaMemcpy(log.ptr, job.log.data(), job.log.size() * 4, cudaMemcpyHostToDevice));
  DIRECT_CHECK(cudaMemset(round_state.ptr, 0, detail::ROUND_STATE_WORDS * 4));

  interp::View view = interp::make_view(job.ring.data(), slots, job.control.data(),
                                        job.log.empty() ? nullptr : job.log.data(), nullptr);
  view.ring = ring.ptr;
  view.control = control.ptr;
  view.log = job.log.empty() ? nullptr : log.ptr;
  detail::OneShotParams params;
  params.view = view;
  params.round_state = round_state.ptr;

  auto per_sm = (*module)->max_active_blocks_per_sm(threads);
  if (!per_sm) return per_sm.error().what();
  const unsigned blocks = std::max(1u, std::min<unsigned>((slots + threads - 1) / threads,
                                                          static_cast<unsigned>(*per_sm * props.multiProcessorCount)));
  cudaStream_t stream = nullptr;
  DIRECT_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  auto launched = (*module)->launch(params, blocks, threads, stream);
  const cudaError_t synced = cudaStreamSynchronize(stream);
  cudaStreamDestroy(stream);
  if (!launched) return launched.error().what();
  DIRECT_CHECK(synced);
  DIRECT_CHECK(cudaMemcpy(job.control.data(), control.ptr, job.control.size() * 4, cudaMemcpyDeviceToHost));
  DIRECT_CHECK(cudaMemcpy(job.ring.data(), ring.ptr, job.ring.size() * 4, cudaMemcpyDeviceToHost));
  if (!job.log.empty()) DIRECT_CHECK(cudaMemcpy(job.log.data(), log.ptr, job.log.size() * 4, cudaMemcpyDeviceToHost));
  return {};
}

}  // namespace mk::jit_test
