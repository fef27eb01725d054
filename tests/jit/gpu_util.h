// Shared pieces of the JIT GPU tests: the device or a skip, one dispatch on the CUDA
// backend, a direct JIT launch with a chosen step budget, and the comparison assertion.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mk/mk.h"
#include "oracle.h"

namespace mk::jit_test {

// std::mt19937 yields uint_fast32_t (64-bit here); the tests want u32 words.
struct Rng {
  std::mt19937 engine;
  explicit Rng(std::uint32_t seed) : engine(seed) {}
  std::uint32_t operator()() { return static_cast<std::uint32_t>(engine()); }
};

// The CUDA backend, or null when no device is visible (tests then GTEST_SKIP).
std::shared_ptr<Backend> cuda_backend_or_null();

#define MK_REQUIRE_CUDA(backend)                         \
  auto backend = ::mk::jit_test::cuda_backend_or_null(); \
  if (!backend) GTEST_SKIP() << "no CUDA device visible"

// Runs `job` through `mk` (CUDA) and returns the resulting buffers; fails the test on error.
Job run_on(const Megakernel& mk, const Job& job, std::vector<TraceEvent>* trace = nullptr,
           DispatchStats* stats = nullptr);

// Runs `job` on the device with a JIT image built for `step_budget` (the backend always
// uses JIT_STEP_BUDGET), loaded and launched directly. Returns "" or what failed.
std::string run_direct(Job& job, std::uint32_t step_budget, std::uint32_t threads = 64);

// Oracle vs device: the same words (see compare_jobs) for `job`.
#define MK_EXPECT_SAME(want, got)                                         \
  do {                                                                    \
    const std::string mk_diff_ = ::mk::jit_test::compare_jobs(want, got); \
    EXPECT_TRUE(mk_diff_.empty()) << mk_diff_;                            \
  } while (0)

}  // namespace mk::jit_test
