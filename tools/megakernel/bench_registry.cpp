// The table of bench cases: name, baseline and factory. GPU paths are added here as rows.
#include "bench.h"

namespace mk::cli {

std::span<const BenchCase> bench_cases() {
  static const BenchCase cases[] = {
      {"plain_loop", "", "plain C++ loop doing the same memory operations on a std::vector", &make_plain_loop_path},
      {"interp_in_place", "plain_loop",
       "interpreter draining N pre-published items through Megakernel::dispatch_in_place", &make_interp_in_place_path},
      // GPU paths: skipped (and said so) on a backend that cannot run them.
      {"per_item_launch", "", "one <<<1,1>>> kernel launch per item, synchronised at the end",
       &make_per_item_launch_path},
      {"cuda_graph", "per_item_launch", "one CUDA graph of per-item kernel nodes, replayed", &make_cuda_graph_path},
      {"resident_many_launch", "cuda_graph",
       "resident buffers; every item its own submission, the batch one cached CUDA graph", &make_resident_many_path},
      // Later: {"live_session", "per_item_launch", ...}.
  };
  return cases;
}

}  // namespace mk::cli
