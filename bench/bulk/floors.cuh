// Raw CUDA floors for the bulk benchmark: the same work as a compact ATOMIC_ADD batch
// done by a plain pinned-memory program (records up, one atomic add each, one result
// word back), unpipelined and chunked over streams, and the PCIe copy bandwidth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mk::bench {

// Host-held records of `record_bytes` (>= 8: addr, delta, padding) for n items, and the
// device buffers of the floor program; allocated once, reused by every sample.
class PinnedRecordsFloor {
 public:
  PinnedRecordsFloor(std::uint32_t n, std::uint32_t record_bytes, std::uint32_t observables);
  ~PinnedRecordsFloor();
  PinnedRecordsFloor(const PinnedRecordsFloor&) = delete;
  PinnedRecordsFloor& operator=(const PinnedRecordsFloor&) = delete;

  // One sample: records up, kernel, results down, in `chunks` chunks over `streams`
  // streams (1, 1: no overlap). Returns wall ns from the first call to results on the host.
  double run(std::uint32_t chunks, std::uint32_t streams);
  // After run(): the sum of the observables equals n (every delta is 1), and the
  // results of the adds to word 0 are distinct.
  bool check() const;

 private:
  std::uint32_t m_n, m_record_bytes, m_observables;
  unsigned char* m_host_records = nullptr;
  std::uint32_t* m_host_results = nullptr;
  unsigned char* m_dev_records = nullptr;
  std::uint32_t* m_dev_results = nullptr;
  std::uint32_t* m_dev_observables = nullptr;
  void* m_streams[8] = {};
};

// Pinned host <-> device copy bandwidth over `bytes` (median of `samples`), bytes/s.
double pcie_bandwidth(std::size_t bytes, bool host_to_device, int samples);

}  // namespace mk::bench
