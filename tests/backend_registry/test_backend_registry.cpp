// The backend registry: what it lists, what make_backend builds from it, and that one
// entry is all a new backend needs to show up (the "forward" test backend).
#include <gtest/gtest.h>

#include <algorithm>

#include "api/backend_registry.h"
#include "forward_backend.h"
#include "megakernel/test_util.h"

namespace mk::test {
namespace {

bool listed(const std::string& name) {
  const std::vector<std::string> names = backend_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Registers "forward" once per process (each ctest entry is its own process).
void register_forward() {
  static const bool done = [] {
    value_or_throw(detail::register_backend(FORWARD_BACKEND_ENTRY));
    return true;
  }();
  (void)done;
}

TEST(BackendRegistry, ListsTheBuiltInBackendsInOrder) {
  const std::vector<BackendInfo> backends = list_backends();
  ASSERT_GE(backends.size(), 2u);
  EXPECT_EQ(backends[0].name, "cpu");
  EXPECT_TRUE(backends[0].available);
  EXPECT_FALSE(backends[0].description.empty());
  // Listed whether or not this build has it, so `megakernel info` can say why it is missing.
  EXPECT_EQ(backends[1].name, "cuda");
  EXPECT_EQ(backends[1].available, cuda_available());
  EXPECT_FALSE(listed("auto")) << "auto is a selector, not a backend";
}

TEST(BackendRegistry, AutoIsTheHighestRankedAvailableBackend) {
  EXPECT_EQ(auto_backend_name(), cuda_available() ? "cuda" : "cpu");
  auto b = make_backend("auto");
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ((*b)->name(), auto_backend_name());
}

TEST(BackendRegistry, UnknownNamesListTheRegistry) {
  auto b = make_backend("tpu");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(b.error().message(), "unknown backend \"tpu\"");
  EXPECT_EQ(b.error().fix().rfind("use one of: auto, cpu, cuda", 0), 0u) << b.error().fix();
}

TEST(BackendRegistry, OptionsReachTheCpuEntry) {
  BackendOptions options;
  options.cpu = CpuBackendOptions{.threads = 8, .deterministic = true};
  auto b = make_backend("cpu", options);
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ((*b)->devices()[0].compute_units, 1u);
}

TEST(BackendRegistry, ARegisteredBackendIsListedAndBuilt) {
  EXPECT_FALSE(listed("forward"));
  register_forward();
  ASSERT_TRUE(listed("forward"));
  const std::vector<BackendInfo> backends = list_backends();
  EXPECT_EQ(backends.back().name, "forward") << "registered entries follow the built-in ones";
  EXPECT_TRUE(backends.back().available);

  auto b = make_backend("forward");
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ((*b)->name(), "forward");
  auto mk = value_or_throw(Megakernel::bootstrap(*b));
  auto in = make_buffers(256, {item(abi::OP_STORE_U32, {3, 7}), item(abi::OP_ATOMIC_ADD, {4, 5})});
  auto out = mk.dispatch(ConstByteSpan(in.control), ConstByteSpan(in.ring));
  ASSERT_TRUE(out) << out.error().what();
  EXPECT_EQ(read_observable(out->control, 3), 7u);
  EXPECT_EQ(read_observable(out->control, 4), 5u);
  EXPECT_EQ(static_cast<const ForwardBackend&>(**b).launches(), 1u);

  // Its name is now one of the choices, and "auto" (rank -1) still ignores it.
  auto unknown = make_backend("tpu");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().fix().find("forward"), std::string::npos) << unknown.error().fix();
  EXPECT_NE(auto_backend_name(), "forward");
}

TEST(BackendRegistry, RefusesTakenNames) {
  register_forward();
  for (const char* name : {"forward", "cpu", "auto", ""}) {
    detail::BackendEntry entry = FORWARD_BACKEND_ENTRY;
    entry.name = name;
    const Status s = detail::register_backend(entry);
    ASSERT_FALSE(s) << name;
    EXPECT_EQ(s.error().kind(), ErrorKind::InvalidArgument);
  }
}

TEST(BackendRegistry, AnEntryLeftOutOfTheBuildIsUnsupportedNotUnknown) {
  static const detail::BackendEntry missing{.name = "missing_test_backend",
                                            .description = "a backend this build left out",
                                            .missing_message = "this build has no missing_test_backend",
                                            .missing_fix = "rebuild with it"};
  value_or_throw(detail::register_backend(missing));
  EXPECT_FALSE(list_backends().back().available);
  auto b = make_backend("missing_test_backend");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind(), ErrorKind::Unsupported);
  EXPECT_EQ(b.error().message(), "this build has no missing_test_backend");
  EXPECT_EQ(b.error().fix(), "rebuild with it");
}

}  // namespace
}  // namespace mk::test
