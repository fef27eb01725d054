// The table of bench cases: name, baseline and factory. GPU paths are added here as rows.
#include "bench.h"

namespace mk::cli {

std::span<const BenchCase> bench_cases() {
  static const BenchCase cases[] = {
      {"plain_loop", "", "plain C++ loop doing the same memory operations on a std::vector",
       &make_plain_loop_path},
      {"interp_in_place", "plain_loop",
       "interpreter draining N pre-published items through Megakernel::dispatch_in_place",
       &make_interp_in_place_path},
      // Later: {"per_item_launch", ...}, {"cuda_graph", "per_item_launch", ...},
      // {"resident_many_launch", "cuda_graph", ...}, {"live_session", "per_item_launch", ...}.
  };
  return cases;
}

}  // namespace mk::cli
