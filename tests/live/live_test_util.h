// Helpers shared by the LiveSession tests: the backend fixture, items, bounded waits.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "live/returns_within.h"
#include "core/live_test_hooks.h"  // live_test_inject_stall, LiveTestWire (src/, not installed)
#include "mk/mk.h"

namespace mk::live_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline WorkItem item(std::uint32_t opcode, std::uint32_t tenant, std::initializer_list<std::uint32_t> args = {}) {
  return value_or_throw(WorkItem::make(opcode, tenant, std::span<const std::uint32_t>(args.begin(), args.size())));
}

// Control words for LiveOptions::control from an encoded control buffer.
inline std::vector<std::uint32_t> to_words(const Bytes& bytes) {
  std::vector<std::uint32_t> words(bytes.size() / sizeof(std::uint32_t));
  std::memcpy(words.data(), bytes.data(), words.size() * sizeof(std::uint32_t));
  return words;
}

inline std::uint32_t observable(const std::vector<std::uint32_t>& control, std::uint32_t index) {
  return control.at(std::size_t{abi::CTRL_OBSERVABLES} + index);
}

// What every live suite runs on: each registered backend by name (mk::backend_names()), then
// "cpu_isolated" (the CPU backend in a supervised worker process, src/isolate/: the same
// session code over shared memory).
inline std::vector<std::string> live_backend_params() {
  std::vector<std::string> params = backend_names();
  params.push_back("cpu_isolated");
  return params;
}

// Why a parameter cannot run here (the registry lists it unavailable, e.g. no CUDA device),
// or empty.
inline std::string live_backend_absent(const std::string& name) {
  for (const BackendInfo& info : list_backends())
    if (info.name == name && !info.available) return "the " + name + " backend is not available here";
  return {};
}

// The backend a parameter of live_backend_params() names.
inline Result<std::shared_ptr<Backend>> live_backend(const std::string& name) {
  if (name != "cpu_isolated") return make_backend(name);
  BackendOptions options;
  options.isolation = Isolation::Process;
  const char* env = std::getenv("MK_WORKER_PATH");
  options.isolate.worker_path = env != nullptr ? env : MK_TEST_WORKER_PATH;
  return make_backend("cpu", options);
}

// Parametrized over live_backend_params(); an unavailable backend (CUDA without a device) skips.
class LiveTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (const std::string why = live_backend_absent(GetParam()); !why.empty()) GTEST_SKIP() << why;
#if defined(__SANITIZE_THREAD__)
    // The lanes run in another process: ThreadSanitizer cannot see the release/acquire
    // chain through them (ring -> worker -> completion record) and reports the producer's
    // ticket writes as racing the harvester's reads.
    if (GetParam() == "cpu_isolated")
      GTEST_SKIP() << "ThreadSanitizer cannot follow synchronisation through another process";
#endif
    auto backend = live_backend(GetParam());
    ASSERT_TRUE(backend) << backend.error().what();
    auto handlers = opcodes();
    auto megakernel = handlers.empty() ? Megakernel::bootstrap(*backend)
                                       : Megakernel::bootstrap_with_opcodes(*backend, std::move(handlers));
    ASSERT_TRUE(megakernel) << megakernel.error().what();
    m_megakernel.emplace(std::move(*megakernel));
  }

  // Custom opcodes of the fixture's Megakernel (none by default).
  virtual std::vector<OpcodeHandler> opcodes() const { return {}; }
  const Megakernel& megakernel() const { return *m_megakernel; }
  Result<LiveSession> start(LiveOptions options = {}) const {
    return LiveSession::start(*m_megakernel, std::move(options));
  }

 private:
  std::optional<Megakernel> m_megakernel;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// Control counters are published once per sweep of a lane, so they may trail the
// harvested results by one sweep: re-read until DONE_COUNT reaches `expected` (bounded)
// and return a snapshot taken after that. An error when it never gets there.
inline Result<std::vector<std::uint32_t>> control_at_done_count(const LiveSession& session, std::uint32_t expected,
                                                                std::chrono::nanoseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    auto control = session.read_control();
    if (!control) return control;
    if ((*control)[abi::CTRL_DONE_COUNT] >= expected) return session.read_control();
    if (Clock::now() >= deadline)
      return fail(ErrorKind::Backend,
                  "DONE_COUNT stayed at " + std::to_string((*control)[abi::CTRL_DONE_COUNT]) + ", expected " +
                      std::to_string(expected),
                  "counters were lost");
    std::this_thread::yield();
  }
}

// wait() must report completion (true), not a timeout or an error.
inline ::testing::AssertionResult completes(LiveSession& session, const Ticket& ticket,
                                            std::chrono::nanoseconds limit = 30s) {
  auto r = session.wait(ticket, limit);
  if (!r) return ::testing::AssertionFailure() << "wait failed: " << r.error().what();
  if (!*r) {
    // What the session saw, so a hang on a device can be told apart: lanes that never read
    // the item (positions taken, DONE_COUNT flat), reads rejected, or results not collected.
    const LiveStats s = session.stats();
    return ::testing::AssertionFailure() << "wait timed out on ticket at " << ticket.sequence() << " (positions "
                                         << s.positions << ", submitted " << s.submitted << ", completed "
                                         << s.completed << ", done_count " << s.done_count << ", heartbeat "
                                         << s.heartbeat << ", wire_rejects " << s.wire_rejects << ")";
  }
  if (!ticket.ready()) return ::testing::AssertionFailure() << "wait returned true but the ticket is not ready";
  // A compact ticket keeps its results as RESULT words and a fault bitmap instead.
  const std::size_t results = ticket.compact() ? ticket.batch_results().results.size() : ticket.results().size();
  if (results != ticket.size())
    return ::testing::AssertionFailure() << "ready ticket has " << results << " results for " << ticket.size()
                                         << " items";
  return ::testing::AssertionSuccess();
}

}  // namespace mk::live_test
