// The bench workload: an order-independent STORE_U32 / ATOMIC_ADD / LOAD_U32 mix over a window.
#include "bench.h"

namespace mk::cli {

BenchWorkload make_bench_workload(std::uint32_t item_count, std::uint32_t window_words) {
  BenchWorkload workload;
  workload.window_words = window_words;
  workload.items.reserve(item_count);
  const std::uint32_t half = window_words / 2;
  for (std::uint32_t k = 0; k < item_count; ++k) {
    const std::uint32_t hash = k * 2654435761u;  // Knuth's multiplicative hash: scattered addresses
    WorkItem item;
    switch (k % 3) {
      case 0: {  // same value for the same address whatever the order
        const std::uint32_t addr = (hash >> 7) % half;
        item.opcode = abi::OP_STORE_U32;
        item.args[0] = addr;
        item.args[1] = addr * 40503u + 17u;
        item.arg_count = 2;
        break;
      }
      case 1:  // adds commute
        item.opcode = abi::OP_ATOMIC_ADD;
        item.args[0] = half + (hash >> 7) % (window_words - half);
        item.args[1] = (k & 7u) + 1u;
        item.arg_count = 2;
        break;
      default:
        item.opcode = abi::OP_LOAD_U32;
        item.args[0] = (hash >> 7) % window_words;
        item.arg_count = 1;
        break;
    }
    workload.items.push_back(item);
  }
  return workload;
}

}  // namespace mk::cli
