// Sample statistics for every benchmark and `megakernel bench`: one median, one p99.
#pragma once

#include <cstddef>
#include <vector>

namespace mk::bench {

struct Summary {
  double median = 0;  // middle sample; the mean of the two middle ones for an even count
  double p99 = 0;     // nearest rank: the ceil(0.99 n)-th smallest sample
  double min = 0;
  double max = 0;
  std::size_t samples = 0;
};

// The q-quantile (0 < q <= 1) of sorted samples by nearest rank: the ceil(q n)-th
// smallest, so p99 of 30 samples is the slowest and of 1000 the 990th. 0 when empty.
double nearest_rank(const std::vector<double>& sorted, double q);

// Sorts a copy of the samples; an empty input gives a Summary of zeros.
Summary summarize(std::vector<double> samples);

}  // namespace mk::bench
