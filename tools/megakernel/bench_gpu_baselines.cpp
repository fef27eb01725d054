// Bench paths on the GPU baselines: per-item kernel launches and a CUDA graph of them.
#include <chrono>
#include <string>

#include "bench.h"

#if MK_CLI_HAVE_CUDA
#include "common/gpu_baselines.cuh"
#endif

namespace mk::cli {

#if MK_CLI_HAVE_CUDA
namespace {

Error cuda_failure(cudaError_t e, const char* what) {
  return Error(ErrorKind::Backend,
               std::string(what) + " failed: " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")",
               "check the device with `megakernel info` and nvidia-smi");
}

// Device copies of the workload's items and window, shared by both baselines.
class GpuBaselinePath final : public BenchPath {
 public:
  explicit GpuBaselinePath(bool graph) : m_graph(graph) {}
  ~GpuBaselinePath() override {
    if (m_exec) cudaGraphExecDestroy(m_exec);
    for (void* p :
         {static_cast<void*>(m_op), static_cast<void*>(m_a), static_cast<void*>(m_b), static_cast<void*>(m_words)})
      if (p) cudaFree(p);
    if (m_stream) cudaStreamDestroy(m_stream);
  }

  Status init(const BenchWorkload& w) {
    const std::size_t n = w.items.size();
    std::vector<std::uint32_t> op(n), a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      op[i] = w.items[i].opcode;
      a[i] = w.items[i].args[0];
      b[i] = w.items[i].args[1];
    }
    m_window = w.window_words;
    cudaError_t e = cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking);
    if (e == cudaSuccess) e = cudaMalloc(&m_op, n * 4);
    if (e == cudaSuccess) e = cudaMalloc(&m_a, n * 4);
    if (e == cudaSuccess) e = cudaMalloc(&m_b, n * 4);
    if (e == cudaSuccess) e = cudaMalloc(&m_words, std::size_t{m_window} * 4);
    if (e == cudaSuccess) e = cudaMemcpy(m_op, op.data(), n * 4, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMemcpy(m_a, a.data(), n * 4, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) e = cudaMemcpy(m_b, b.data(), n * 4, cudaMemcpyHostToDevice);
    if (e != cudaSuccess) return cuda::std::unexpected(cuda_failure(e, "setting up the GPU baseline"));
    m_items = bench::GpuItems{m_op, m_a, m_b, m_words, static_cast<std::uint32_t>(n)};
    if (m_graph) {
      e = bench::build_per_item_graph(m_items, m_stream, &m_exec);
      if (e != cudaSuccess) return cuda::std::unexpected(cuda_failure(e, "recording the per-item graph"));
    }
    return {};
  }

  Result<std::uint64_t> run_sample() override {
    cudaError_t e = cudaMemsetAsync(m_words, 0, std::size_t{m_window} * 4, m_stream);  // untimed reset
    if (e == cudaSuccess) e = cudaStreamSynchronize(m_stream);
    if (e != cudaSuccess) return cuda::std::unexpected(cuda_failure(e, "resetting the window"));
    const auto start = std::chrono::steady_clock::now();
    e = m_graph ? cudaGraphLaunch(m_exec, m_stream) : bench::launch_per_item(m_items, m_stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(m_stream);
    const auto stop = std::chrono::steady_clock::now();
    if (e != cudaSuccess)
      return cuda::std::unexpected(cuda_failure(e, m_graph ? "the graph replay" : "the per-item launches"));
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
  }

  std::vector<std::uint32_t> observables() const override {
    std::vector<std::uint32_t> out(m_window);
    if (cudaMemcpy(out.data(), m_words, out.size() * 4, cudaMemcpyDeviceToHost) != cudaSuccess) out.clear();
    return out;
  }

 private:
  bool m_graph;
  std::uint32_t m_window = 0;
  cudaStream_t m_stream = nullptr;
  cudaGraphExec_t m_exec = nullptr;
  std::uint32_t *m_op = nullptr, *m_a = nullptr, *m_b = nullptr, *m_words = nullptr;
  bench::GpuItems m_items;
};

Result<std::unique_ptr<BenchPath>> make_gpu_baseline(const BenchEnv& env, bool graph) {
  if (env.backend->name() != "cuda")
    return fail(ErrorKind::Unsupported, "GPU baselines need the cuda backend",
                "run with --backend cuda on a GPU machine");
  auto path = std::make_unique<GpuBaselinePath>(graph);
  MK_TRY(path->init(*env.workload));
  return std::unique_ptr<BenchPath>(std::move(path));
}

}  // namespace

Result<std::unique_ptr<BenchPath>> make_per_item_launch_path(const BenchEnv& env) {
  return make_gpu_baseline(env, false);
}
Result<std::unique_ptr<BenchPath>> make_cuda_graph_path(const BenchEnv& env) { return make_gpu_baseline(env, true); }

#else

Result<std::unique_ptr<BenchPath>> make_per_item_launch_path(const BenchEnv&) {
  return fail(ErrorKind::Unsupported, "this build has no CUDA backend",
              "build with nvcc present (MK_ENABLE_CUDA=AUTO)");
}
Result<std::unique_ptr<BenchPath>> make_cuda_graph_path(const BenchEnv& env) { return make_per_item_launch_path(env); }

#endif

}  // namespace mk::cli
