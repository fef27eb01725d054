// Backend selection and capability reporting.
#include "test_util.h"

namespace mk::test {
namespace {

TEST(Backends, UnknownNameIsInvalidArgumentWithTheChoices) {
  auto b = make_backend("tpu");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(b.error().fix().find("cpu"), std::string::npos);
}

TEST(Backends, CpuIsAlwaysThereAndSaysWhatItSupports) {
  auto b = make_backend("cpu");
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)->name(), "cpu");
  EXPECT_TRUE((*b)->supports(Feature::OneShot));
  EXPECT_TRUE((*b)->supports(Feature::IoQueue));
  EXPECT_FALSE((*b)->supports(Feature::ResidentHandles));
  ASSERT_EQ((*b)->devices().size(), 1u);
  EXPECT_EQ((*b)->devices()[0].kind, "cpu");
  const Error e = unsupported(**b, Feature::LiveSession);
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_NE(e.message().find("live session"), std::string::npos);
}

TEST(Backends, AutoPicksCudaOnlyWhenADeviceIsPresent) {
  auto b = make_backend("auto");
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ((*b)->name(), cuda_available() ? "cuda" : "cpu");
}

TEST(Backends, CudaWithoutADeviceIsUnsupported) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  auto b = make_backend("cuda");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind(), ErrorKind::Unsupported);
  EXPECT_NE(b.error().fix().find("cpu"), std::string::npos);
}

TEST(Backends, DeterministicCpuUsesOneThread) {
  auto b = make_cpu_backend({.threads = 8, .deterministic = true});
  EXPECT_EQ(b->devices()[0].compute_units, 1u);
}

}  // namespace
}  // namespace mk::test
