// Bad input and hostile conditions: a missing worker binary, no GPU, shared memory
// exhausted, bad options, and a worker that writes garbage into the channel (killed,
// never trusted). Each is one clear mk::Error{kind, message, fix}.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "isolate_test_util.h"

namespace mk::isolate_test {
namespace {

void expect_clear(const Error& e, ErrorKind kind, const std::string& says) {
  EXPECT_EQ(e.kind(), kind) << e.what();
  EXPECT_NE(e.message().find(says), std::string::npos) << "\"" << says << "\" missing from: " << e.what();
  EXPECT_FALSE(e.fix().empty()) << e.what();
  std::printf("%s\n  fix: %s\n", e.what(), e.fix().c_str());
}

TEST(IsolatedBadInput, MissingWorkerBinaryNamesThePathAndTheFix) {
  IsolationOptions o;
  o.worker_path = "/nonexistent/mk-worker";
  auto backend = make_backend("cpu", isolated(o));
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::InvalidArgument, "/nonexistent/mk-worker");
  EXPECT_NE(backend.error().fix().find("mk-worker"), std::string::npos);
}

TEST(IsolatedBadInput, WorkerPathFromTheEnvironmentIsChecked) {
  BackendOptions options = isolated();
  options.isolate.worker_path.clear();
  setenv("MK_WORKER_PATH", "/nonexistent/env-worker", 1);
  auto backend = make_backend("cpu", options);
  unsetenv("MK_WORKER_PATH");
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::InvalidArgument, "MK_WORKER_PATH");
}

TEST(IsolatedBadInput, ExecutableThatIsNoProgramIsUnsupported) {
  const std::string path = ::testing::TempDir() + "mk_not_a_program";
  {
    std::ofstream f(path);
    f << "\x7f garbage, not an ELF file and no #! line";
  }
  ASSERT_EQ(chmod(path.c_str(), 0755), 0);
  IsolationOptions o;
  o.worker_path = path;
  auto backend = make_backend("cpu", isolated(o));
  std::remove(path.c_str());
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::Unsupported, path);
}

TEST(IsolatedBadInput, WorkerThatIsNotAWorkerIsReported) {
  IsolationOptions o;
  o.worker_path = "/bin/true";  // exits 0 at once, never says hello
  auto backend = make_backend("cpu", isolated(o));
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::Backend, "exited with status");
}

// The caller's process must not load the CUDA driver at all in isolated mode, and no
// GPU must be an Unsupported error with a fix, not a crash.
TEST(IsolatedBadInput, NoGpuIsUnsupportedAndTheCallerNeverLoadsCuda) {
  auto cuda_loaded = [] {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line))
      if (line.find("libcuda.so") != std::string::npos) return true;
    return false;
  };
  ASSERT_FALSE(cuda_loaded()) << "this test must run before anything here touches CUDA";
  auto backend = make_backend("cuda", isolated());
  EXPECT_FALSE(cuda_loaded()) << "the isolated path initialised CUDA in the caller's process";
  if (backend) {
    std::printf("a GPU is visible to the worker: %s\n", (*backend)->devices()[0].name.c_str());
    EXPECT_EQ((*backend)->name(), "cuda");
    return;
  }
  expect_clear(backend.error(), ErrorKind::Unsupported, "could not start the cuda backend");
}

TEST(IsolatedBadInput, SharedMemoryExhaustedIsAnErrorAndSmallWorkStillRuns) {
  IsolationOptions o;
  o.max_shared_bytes = 2 << 20;
  auto backend = isolated_cpu(o);
  ASSERT_TRUE(backend);
  auto mk = value_or_throw(Megakernel::bootstrap(backend));
  LiveOptions big;
  big.slot_count = 1 << 16;  // 4 MiB of ring alone
  auto session = LiveSession::start(mk, big);
  ASSERT_FALSE(session);
  expect_clear(session.error(), ErrorKind::Backend, "shared memory exhausted");
  EXPECT_NE(session.error().message().find("live session"), std::string::npos);
  auto wide = value_or_throw(Megakernel::bootstrap_sharded(backend, 1 << 16, 256));
  auto control = encode_control(false, 1, 16);
  auto ring = encode_empty_ring(1 << 16);
  auto refused = wide.dispatch(ConstByteSpan(control), ConstByteSpan(ring));
  ASSERT_FALSE(refused);
  expect_clear(refused.error(), ErrorKind::Backend, "shared memory exhausted");
  EXPECT_TRUE(dispatch_is_correct(mk));
  LiveOptions small;
  small.slot_count = 256;
  EXPECT_TRUE(LiveSession::start(mk, small));
}

TEST(IsolatedBadInput, BadOptionsAreInvalidArgument) {
  IsolationOptions o;
  o.max_faults = 0;
  auto backend = make_backend("cpu", isolated(o));
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::InvalidArgument, "max_faults");
  auto unknown = make_backend("tpu", isolated());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::InvalidArgument);
}

// --- a worker that lies -------------------------------------------------------------------

class FakeWorker : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("MK_FAKE_WORKER_MODE"); }
  Result<std::shared_ptr<Backend>> start(const char* mode, IsolationOptions o = {}) {
    setenv("MK_FAKE_WORKER_MODE", mode, 1);
    o.worker_path = MK_TEST_FAKE_WORKER_PATH;
    return make_backend("cpu", isolated(o));
  }
};

TEST_F(FakeWorker, ExitBeforeHello) {
  auto backend = start("exit-early");
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::Backend, "exited with status 7 before it was ready");
}

TEST_F(FakeWorker, HelloThatIsNotJson) {
  auto backend = start("bad-hello");
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::Backend, "malformed hello");
}

TEST_F(FakeWorker, HelloStateWordOutOfRange) {
  auto backend = start("bad-state");
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::Backend, "state word 0xDEAD");
}

TEST_F(FakeWorker, SilentWorkerTimesOut) {
  IsolationOptions o;
  o.start_timeout = 300ms;
  auto backend = start("silent", o);
  ASSERT_FALSE(backend);
  expect_clear(backend.error(), ErrorKind::Backend, "start_timeout");
}

// What this catches: a reply word used before it was checked (a wrong sequence number
// accepted, an out-of-range status or payload length followed, garbage stats or buffers
// handed to the caller) and a lying worker left running.
TEST_F(FakeWorker, EveryGarbageReplyKillsTheWorkerAndNothingReachesTheCaller) {
  const std::pair<const char*, const char*> modes[] = {
      {"seq", "sequence"},          {"status", "response.status 0x77"}, {"error", "kind 99"},
      {"payload", "payload_bytes"}, {"stats", "device_ns_known = 0x7"}, {"control", "control word 0"},
      {"ring", "STATUS 0x99"}};
  for (const auto& [mode, says] : modes) {
    SCOPED_TRACE(mode);
    auto backend = start(mode);
    ASSERT_TRUE(backend) << backend.error().what();
    auto mk = value_or_throw(Megakernel::bootstrap(*backend));
    const pid_t liar = isolate::test::worker_pid(**backend);
    const std::uint64_t generation = isolate::test::generation(**backend);
    auto control = encode_control(false, 1, 16);
    auto ring = encode_empty_ring(mk.slot_count());
    publish_slot(ring, 0, item(abi::OP_STORE_U32, 0, {3, 7}));
    OutputBuffers buffers{control, ring, {}, {}};
    const OutputBuffers before = buffers;
    auto r = mk.dispatch_in_place(buffers);
    ASSERT_FALSE(r) << mode << ": a lying worker's answer was accepted";
    expect_clear(r.error(), ErrorKind::DeviceLost, says);
    EXPECT_NE(r.error().message().find("killed"), std::string::npos);
    EXPECT_EQ(buffers.control, before.control) << "nothing the worker wrote may reach the caller";
    EXPECT_EQ(buffers.ring, before.ring);
    ASSERT_TRUE(isolate::test::wait_generation(**backend, generation + 1, 60s));
    EXPECT_TRUE(eventually([&] { return ::kill(liar, 0) != 0; })) << "the liar must be gone";
    // Its replacement answers the canary honestly (and would lie again on the next dispatch).
    const RecoveryReport report = mk.recover_after_device_loss();
    EXPECT_EQ(report.decision, RecoveryDecision::Rebuilt) << (report.failure ? report.failure->what() : "");
  }
}

}  // namespace
}  // namespace mk::isolate_test
