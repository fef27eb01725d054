// IoSources::confined (the library's I/O root policy) and the whole-dispatch bounds
// (mk::dispatch_until_idle with DispatchLimits): what a confined registry refuses, and
// that a deadline or sweep budget ends a runaway dispatch with the state at the stop.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace mk::test {
namespace {

namespace fs = std::filesystem;

struct TempTree {
  fs::path root;
  TempTree() {
    root = fs::temp_directory_path() / ("mk_io_root_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "jail" / "sub");
    write(root / "jail" / "sub" / "in.bin", "INSIDE");
    write(root / "secret.bin", "SECRET");
  }
  ~TempTree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
  fs::path jail() const { return root / "jail"; }
};

std::string message_of(const Status& s) { return s ? std::string() : s.error().message(); }

std::uint32_t read_shutdown(const Bytes& control) {
  std::uint32_t v = 0;
  std::memcpy(&v, control.data() + abi::CTRL_SHUTDOWN * abi::WORD_BYTES, 4);
  return v;
}

TEST(IoSourcesConfined, ReadsNamesBeneathTheRoot) {
  TempTree t;
  auto s = value_or_throw(IoSources::confined(t.jail()));
  ASSERT_TRUE(s.root().has_value());
  ASSERT_TRUE(s.add_file(1, "sub/in.bin"));
  ASSERT_TRUE(s.add_file(2, "./sub/in.bin"));
  EXPECT_EQ(*s.size(1), 6u);
  std::byte out[2];
  ASSERT_TRUE(s.read(1, 0, out));
  EXPECT_EQ(out[0], std::byte{'I'});
}

TEST(IoSourcesConfined, RefusesAbsoluteDotDotAndNul) {
  TempTree t;
  auto s = value_or_throw(IoSources::confined(t.jail()));
  EXPECT_NE(message_of(s.add_file(1, t.root / "secret.bin")).find("absolute path"), std::string::npos);
  EXPECT_NE(message_of(s.add_file(2, "../secret.bin")).find("\"..\""), std::string::npos);
  EXPECT_NE(message_of(s.add_file(3, "sub/../../secret.bin")).find("\"..\""), std::string::npos);
  EXPECT_NE(message_of(s.add_file(4, std::string("sub/in.bin\0x", 12))).find("NUL or control"), std::string::npos);
  EXPECT_NE(message_of(s.add_file(5, "sub/in\n.bin")).find("NUL or control"), std::string::npos);
  EXPECT_FALSE(s.contains(1) || s.contains(2) || s.contains(3) || s.contains(4) || s.contains(5));
}

TEST(IoSourcesConfined, RefusesSymlinksThatLeaveTheRoot) {
  TempTree t;
  fs::create_symlink(t.root / "secret.bin", t.jail() / "abs_link");
  fs::create_symlink("../secret.bin", t.jail() / "rel_link");
  fs::create_symlink(t.root, t.jail() / "dir_link");
  fs::create_symlink("sub/in.bin", t.jail() / "inside_link");
  auto s = value_or_throw(IoSources::confined(t.jail()));
  for (const char* name : {"abs_link", "rel_link", "dir_link/secret.bin"}) {
    const auto error = message_of(s.add_file(1, name));
    EXPECT_NE(error.find("symbolic link that leaves the I/O root"), std::string::npos) << name << ": " << error;
  }
  EXPECT_TRUE(s.add_file(2, "inside_link"));  // a link that stays inside is an ordinary name
}

TEST(IoSourcesConfined, RefusesNonRegularFilesWithoutBlocking) {
  TempTree t;
  ASSERT_EQ(::mkfifo((t.jail() / "fifo").c_str(), 0600), 0);
  auto s = value_or_throw(IoSources::confined(t.jail()));
  EXPECT_NE(message_of(s.add_file(1, "fifo")).find("a FIFO, not a regular file"), std::string::npos);
  EXPECT_NE(message_of(s.add_file(2, "sub")).find("a directory, not a regular file"), std::string::npos);
  EXPECT_NE(message_of(s.add_file(3, "missing.bin")).find("not found"), std::string::npos);
  // The unconfined registry applies the same file checks.
  IoSources any;
  EXPECT_NE(message_of(any.add_file(4, "/dev/zero")).find("a character device"), std::string::npos);
  EXPECT_NE(message_of(any.add_file(5, t.jail() / "fifo")).find("a FIFO"), std::string::npos);
  EXPECT_TRUE(any.add_file(6, t.root / "secret.bin"));
}

TEST(IoSourcesConfined, RootMustBeADirectory) {
  TempTree t;
  auto file_root = IoSources::confined(t.root / "secret.bin");
  ASSERT_FALSE(file_root);
  EXPECT_EQ(file_root.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_FALSE(IoSources::confined(t.root / "nope"));
}

// A custom op that burns ~30000 steps per run, then requeues (65 runs per item).
Megakernel spin_megakernel(std::uint32_t slots) {
  using namespace ir;
  OpcodeHandler spin{
      4096, "spin",
      body({let("acc", c(0)), for_("i", c(0), c(30000), body({set("acc", var("acc") + var("i"))})), requeue()})};
  return value_or_throw(Megakernel::bootstrap_sharded(make_cpu_backend({.threads = 2}), slots, 64, {spin}));
}

TEST(DispatchLimits, SweepBudgetEndsARunawayDispatchMidRound) {
  auto mk = spin_megakernel(128);
  std::vector<WorkItem> items(128, item(4096, {}));
  OutputBuffers b = make_buffers(128, items);
  DispatchLimits limits;
  limits.max_sweeps = 2;
  auto run = value_or_throw(dispatch_until_idle(mk, b, IoSources{}, limits));
  EXPECT_EQ(run.stop, DispatchStop::SweepBudget);
  EXPECT_GE(run.stats.sweeps, 2u);
  EXPECT_LT(run.stats.sweeps, 65u);           // all 65 runs of each item would need 65 sweeps
  EXPECT_EQ(read_done_count(b.control), 0u);  // every item still has runs left
  EXPECT_EQ(read_shutdown(b.control), 0u);    // the SHUTDOWN the bound used is cleared again
}

TEST(DispatchLimits, PastDeadlineStopsBeforeRunning) {
  auto mk = cpu_megakernel(64, 64);
  OutputBuffers b = make_buffers(64, {item(abi::OP_STORE_U32, {1, 5})});
  DispatchLimits limits;
  limits.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  auto run = value_or_throw(dispatch_until_idle(mk, b, IoSources{}, limits));
  EXPECT_EQ(run.stop, DispatchStop::Deadline);
  EXPECT_EQ(run.stats.rounds, 0u);
  EXPECT_EQ(read_observable(b.control, 1), 0u);
}

TEST(DispatchLimits, DeadlineEndsARunawayDispatch) {
  auto mk = spin_megakernel(256);
  std::vector<WorkItem> items(256, item(4096, {}));
  OutputBuffers b = make_buffers(256, items);
  DispatchLimits limits;
  limits.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  auto run = value_or_throw(dispatch_until_idle(mk, b, IoSources{}, limits));
  EXPECT_EQ(run.stop, DispatchStop::Deadline);
  EXPECT_LT(run.stats.sweeps, 65u);
  EXPECT_EQ(read_shutdown(b.control), 0u);
}

TEST(DispatchLimits, UnreachedLimitsRunToIdle) {
  auto mk = cpu_megakernel(64, 64);
  OutputBuffers b = make_buffers(64, {item(abi::OP_STORE_U32, {1, 5})});
  DispatchLimits limits;
  limits.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  limits.max_sweeps = 1000;
  auto run = value_or_throw(dispatch_until_idle(mk, b, IoSources{}, limits));
  EXPECT_EQ(run.stop, DispatchStop::Idle);
  EXPECT_EQ(read_observable(b.control, 1), 5u);
  EXPECT_EQ(to_string(DispatchStop::SweepBudget), "sweep budget");
}

}  // namespace
}  // namespace mk::test
