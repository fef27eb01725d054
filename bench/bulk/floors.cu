// Raw CUDA floors for the bulk benchmark (see floors.cuh).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "bulk/floors.cuh"

namespace mk::bench {
namespace {

void must(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "floor: %s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

__global__ void add_records(const unsigned char* records, unsigned record_bytes, unsigned n, unsigned observables,
                            unsigned* obs, unsigned* results) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const unsigned* r = reinterpret_cast<const unsigned*>(records + static_cast<unsigned long long>(i) * record_bytes);
  const unsigned addr = r[0], delta = r[1];
  results[i] = addr < observables ? atomicAdd(obs + addr, delta) : 0xFFFFFFFFu;
}

double now_ns() {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace

PinnedRecordsFloor::PinnedRecordsFloor(std::uint32_t n, std::uint32_t record_bytes, std::uint32_t observables)
    : m_n(n), m_record_bytes(record_bytes), m_observables(observables) {
  const std::size_t bytes = std::size_t{n} * record_bytes;
  must(cudaHostAlloc(reinterpret_cast<void**>(&m_host_records), bytes, cudaHostAllocDefault), "records");
  must(cudaHostAlloc(reinterpret_cast<void**>(&m_host_results), std::size_t{n} * 4, cudaHostAllocDefault), "results");
  std::memset(m_host_records, 0, bytes);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto* r = reinterpret_cast<std::uint32_t*>(m_host_records + std::size_t{i} * record_bytes);
    r[0] = i % observables;
    r[1] = 1;
  }
  must(cudaMalloc(&m_dev_records, bytes), "dev records");
  must(cudaMalloc(&m_dev_results, std::size_t{n} * 4), "dev results");
  must(cudaMalloc(&m_dev_observables, std::size_t{observables} * 4), "dev observables");
  for (auto& s : m_streams)
    must(cudaStreamCreateWithFlags(reinterpret_cast<cudaStream_t*>(&s), cudaStreamNonBlocking), "stream");
}

PinnedRecordsFloor::~PinnedRecordsFloor() {
  for (auto s : m_streams) cudaStreamDestroy(static_cast<cudaStream_t>(s));
  cudaFree(m_dev_observables);
  cudaFree(m_dev_results);
  cudaFree(m_dev_records);
  cudaFreeHost(m_host_results);
  cudaFreeHost(m_host_records);
}

double PinnedRecordsFloor::run(std::uint32_t chunks, std::uint32_t streams) {
  streams = std::min<std::uint32_t>(streams, 8);
  auto first = static_cast<cudaStream_t>(m_streams[0]);
  must(cudaMemsetAsync(m_dev_observables, 0, std::size_t{m_observables} * 4, first), "memset");
  must(cudaStreamSynchronize(first), "sync");
  const double t0 = now_ns();
  const std::uint32_t per = (m_n + chunks - 1) / chunks;
  for (std::uint32_t c = 0; c < chunks; ++c) {
    const std::uint32_t at = c * per;
    if (at >= m_n) break;
    const std::uint32_t count = std::min(per, m_n - at);
    auto s = static_cast<cudaStream_t>(m_streams[c % streams]);
    const std::size_t off = std::size_t{at} * m_record_bytes;
    must(cudaMemcpyAsync(m_dev_records + off, m_host_records + off, std::size_t{count} * m_record_bytes,
                         cudaMemcpyHostToDevice, s),
         "h2d");
    add_records<<<(count + 255) / 256, 256, 0, s>>>(m_dev_records + off, m_record_bytes, count, m_observables,
                                                    m_dev_observables, m_dev_results + at);
    must(cudaMemcpyAsync(m_host_results + at, m_dev_results + at, std::size_t{count} * 4, cudaMemcpyDeviceToHost, s),
         "d2h");
  }
  for (std::uint32_t s = 0; s < streams; ++s)
    must(cudaStreamSynchronize(static_cast<cudaStream_t>(m_streams[s])), "sync");
  return now_ns() - t0;
}

bool PinnedRecordsFloor::check() const {
  std::set<std::uint32_t> word0;
  for (std::uint32_t i = 0; i < m_n; i += m_observables)
    if (!word0.insert(m_host_results[i]).second) return false;
  return word0.size() == (m_n + m_observables - 1) / m_observables && *word0.rbegin() == word0.size() - 1;
}

double pcie_bandwidth(std::size_t bytes, bool host_to_device, int samples) {
  void* host = nullptr;
  void* dev = nullptr;
  must(cudaHostAlloc(&host, bytes, cudaHostAllocDefault), "bw host");
  must(cudaMalloc(&dev, bytes), "bw dev");
  std::memset(host, 1, bytes);
  std::vector<double> rates;
  for (int i = 0; i < samples + 2; ++i) {
    const double t0 = now_ns();
    must(host_to_device ? cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice)
                        : cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost),
         "bw copy");
    const double ns = now_ns() - t0;
    if (i >= 2) rates.push_back(static_cast<double>(bytes) / (ns * 1e-9));
  }
  cudaFree(dev);
  cudaFreeHost(host);
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace mk::bench
