// Bench baseline: the workload's memory operations as a plain C++ loop over a std::vector.
#include <algorithm>
#include <chrono>

#include "bench.h"

namespace mk::cli {
namespace {

class PlainLoopPath final : public BenchPath {
 public:
  explicit PlainLoopPath(const BenchWorkload& workload) : m_workload(workload), m_memory(workload.window_words) {}

  Result<std::uint64_t> run_sample() override {
    std::fill(m_memory.begin(), m_memory.end(), 0u);
    const auto size = static_cast<std::uint32_t>(m_memory.size());
    std::uint32_t sink = 0;
    const auto start = std::chrono::steady_clock::now();
    // Same bounds checks the interpreter does, so both pay for safety.
    for (const WorkItem& item : m_workload.items) {
      const std::uint32_t addr = item.args[0];
      if (addr >= size) continue;
      switch (item.opcode) {
        case abi::OP_STORE_U32:
          m_memory[addr] = item.args[1];
          break;
        case abi::OP_ATOMIC_ADD:
          sink += m_memory[addr];
          m_memory[addr] += item.args[1];
          break;
        case abi::OP_LOAD_U32:
          sink += m_memory[addr];
          break;
        default:
          break;
      }
    }
    const auto stop = std::chrono::steady_clock::now();
    m_sink = sink;  // keeps the loads observable to the optimiser
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
  }

  std::vector<std::uint32_t> observables() const override { return m_memory; }

 private:
  const BenchWorkload& m_workload;
  std::vector<std::uint32_t> m_memory;
  volatile std::uint32_t m_sink = 0;
};

}  // namespace

Result<std::unique_ptr<BenchPath>> make_plain_loop_path(const BenchEnv& env) {
  return std::unique_ptr<BenchPath>(std::make_unique<PlainLoopPath>(*env.workload));
}

}  // namespace mk::cli
