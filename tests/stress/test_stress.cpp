// Stress test: >= 10^7 random multi-tenant items over thousands of dispatches on the
// CPU backend with 4 worker threads, checked after every dispatch against a
// sequential host model.
//
// What this catches: lost or duplicated completions (two lanes claiming one slot, a
// round ending while slots are still PUBLISHED, a fence retry that drops or repeats a
// slot), non-atomic counter updates (DONE_COUNT, FAULT_COUNT, metrics, tenant
// counters), authorisation / window mistakes that only show on some interleavings, and
// stray writes (every observable is compared after every dispatch).
//
// MK_STRESS_ITEMS sets the total item count (default 10^7; CI's sanitizer job lowers
// it). MK_STRESS_SEED overrides the fixed seed; the seed is printed on any failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "mk/megakernel.h"
#include "stress_model.h"

namespace mk::stress {
namespace {

constexpr std::uint64_t DEFAULT_ITEMS = 10'000'000;
constexpr std::uint64_t DEFAULT_SEED = 0x6D6B5354u;  // "mkST"

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long x = std::strtoull(v, &end, 0);
  if (end == v || *end != '\0') {
    ADD_FAILURE() << name << "=\"" << v << "\" is not a number; using " << fallback;
    return fallback;
  }
  return x;
}

// Compares one dispatch's ring and control against the batch and the model; returns
// the first problems found ("" when everything matches).
std::string verify_dispatch(const Batch& batch, const Model& model, ConstWordSpan ring, ConstWordSpan control,
                            const DispatchStats& stats) {
  std::ostringstream err;
  const u32 n = static_cast<u32>(batch.items.size());
  if (stats.items_done != n) err << "items_done " << stats.items_done << " != " << n << " published; ";
  if (control[abi::CTRL_DONE_COUNT] != static_cast<u32>(model.done))
    err << "DONE_COUNT " << control[abi::CTRL_DONE_COUNT] << " != model " << static_cast<u32>(model.done) << "; ";
  if (control[abi::CTRL_FAULT_COUNT] != static_cast<u32>(model.faults))
    err << "FAULT_COUNT " << control[abi::CTRL_FAULT_COUNT] << " != model " << static_cast<u32>(model.faults) << "; ";
  if (control[abi::CTRL_EPOCH] != model.epoch)
    err << "EPOCH " << control[abi::CTRL_EPOCH] << " != model " << model.epoch << "; ";
  if (control[abi::CTRL_SHUTDOWN] != 0) err << "SHUTDOWN was set; ";
  int reported = 0;
  for (u32 s = 0; s < ring.size() / abi::SLOT_WORDS && reported < 8; ++s) {
    const u32 status = ring[s * abi::SLOT_WORDS + abi::SLOT_STATUS];
    const u32 result = ring[s * abi::SLOT_WORDS + abi::SLOT_RESULT];
    if (s >= n) {
      if (status != abi::STATUS_EMPTY) err << "unpublished slot " << s << " has status " << status << "; ", ++reported;
      continue;
    }
    const SlotExpect& e = batch.expect[s];
    if (status != e.status || (e.check_result && result != e.result)) {
      err << "slot " << s << " (" << describe(batch.items[s]) << "): expected " << status_name(e.status) << " "
          << (e.check_result ? std::to_string(e.result) : "any") << ", got " << status_name(status) << " " << result
          << "; ";
      ++reported;
    }
  }
  // LAST_FAULT_SLOT: order-dependent which one, but it must be a slot that faulted.
  if (batch.faults != 0) {
    const u32 last = control[abi::CTRL_LAST_FAULT_SLOT];
    if (last >= n || batch.expect[last].status != abi::STATUS_FAULT)
      err << "LAST_FAULT_SLOT " << last << " is not a slot that faulted in this dispatch; ";
  }
  const ConstWordSpan obs = control.subspan(abi::CTRL_OBSERVABLES, OBSERVABLES);
  if (!std::equal(obs.begin(), obs.end(), model.observables.begin())) {
    for (u32 i = 0; i < OBSERVABLES; ++i)
      if (obs[i] != model.observables[i]) {
        err << "observable " << i << " is " << obs[i] << ", model has " << model.observables[i] << "; ";
        if (++reported >= 16) break;
      }
  }
  return err.str();
}

// Counters that accumulate over the whole run.
std::string verify_final(const Model& model, ConstWordSpan control) {
  std::ostringstream err;
  for (u32 i = 0; i < abi::MAX_OPCODES; ++i)
    if (control[abi::CTRL_OPCODE_COUNTS + i] != static_cast<u32>(model.metrics[i]))
      err << "OPCODE_COUNTS[" << i << "] " << control[abi::CTRL_OPCODE_COUNTS + i] << " != model " << model.metrics[i]
          << "; ";
  for (u32 t = 0; t < TENANTS; ++t) {
    if (control[abi::tenant_word(t, abi::TENANT_DONE)] != static_cast<u32>(model.tenant_done[t]))
      err << "tenant " << t << " DONE " << control[abi::tenant_word(t, abi::TENANT_DONE)] << " != model "
          << model.tenant_done[t] << "; ";
    if (control[abi::tenant_word(t, abi::TENANT_FAULTS)] != static_cast<u32>(model.tenant_faults[t]))
      err << "tenant " << t << " FAULTS " << control[abi::tenant_word(t, abi::TENANT_FAULTS)] << " != model "
          << model.tenant_faults[t] << "; ";
  }
  for (u32 t = TENANTS; t < abi::MAX_TENANTS; ++t)
    if (control[abi::tenant_word(t, abi::TENANT_DONE)] != 0 || control[abi::tenant_word(t, abi::TENANT_FAULTS)] != 0)
      err << "tenant " << t << " (past TENANT_COUNT) has counters; ";
  if (control[abi::CTRL_LAST_FENCE_TAG] != model.last_fence_tag)
    err << "LAST_FENCE_TAG " << control[abi::CTRL_LAST_FENCE_TAG] << " != model " << model.last_fence_tag << "; ";
  if (control[abi::CTRL_IO_PENDING] != 0) err << "IO_PENDING is " << control[abi::CTRL_IO_PENDING] << "; ";
  std::uint64_t metric_sum = 0, tenant_sum = 0;
  for (auto m : model.metrics) metric_sum += m;
  for (u32 t = 0; t < TENANTS; ++t) tenant_sum += model.tenant_done[t] + model.tenant_faults[t];
  if (metric_sum == 0 || tenant_sum == 0) err << "the model counted nothing: the workload is broken; ";
  return err.str();
}

struct WorkloadRun {
  OutputBuffers buffers;
  Model model;
  Batch last_batch;  // the final dispatch's batch, kept only when asked
  std::uint64_t items = 0;
  std::uint32_t dispatches = 0;
  double seconds = 0;
};

// Runs `total` items in rings of SLOTS; stops at the first dispatch that disagrees
// with the model (a gtest failure names the seed, the dispatch and the slots).
WorkloadRun run_workload(std::shared_ptr<Backend> backend, std::uint64_t total, std::uint64_t seed,
                         bool keep_last_batch) {
  WorkloadRun run;
  auto mk = Megakernel::bootstrap_sharded(std::move(backend), SLOTS, WORKGROUP);
  if (!mk) {
    ADD_FAILURE() << "bootstrap_sharded: " << mk.error().what();
    return run;
  }
  auto control = try_encode_control(false, TENANTS, OBSERVABLES);
  if (!control) {
    ADD_FAILURE() << "encode_control: " << control.error().what();
    return run;
  }
  run.buffers.control = std::move(*control);
  if (auto s = apply_tenants(run.buffers.control); !s) {
    ADD_FAILURE() << "tenant policy: " << s.error().what();
    return run;
  }
  run.buffers.ring = encode_empty_ring(SLOTS);

  Rng rng(seed);
  Batch batch;
  const auto start = std::chrono::steady_clock::now();
  while (run.items < total) {
    const u32 n = static_cast<u32>(std::min<std::uint64_t>(SLOTS, total - run.items));
    generate_batch(rng, n, run.model, batch);
    if (auto s = try_encode_work_items_ring_into(run.buffers.ring, batch.items); !s) {
      ADD_FAILURE() << "seed " << seed << " dispatch " << run.dispatches << ": encode ring: " << s.error().what();
      return run;
    }
    auto stats = mk->dispatch_in_place(run.buffers);
    if (!stats) {
      ADD_FAILURE() << "seed " << seed << " dispatch " << run.dispatches << ": " << stats.error().what();
      return run;
    }
    auto ring = try_as_words(ConstByteSpan(run.buffers.ring), "ring");
    auto ctl = try_as_words(ConstByteSpan(run.buffers.control), "control");
    if (!ring || !ctl) {
      ADD_FAILURE() << "buffers are not word-aligned";
      return run;
    }
    const std::string err = verify_dispatch(batch, run.model, *ring, *ctl, *stats);
    if (!err.empty()) {
      ADD_FAILURE() << "seed " << seed << " (MK_STRESS_SEED=" << seed << " reproduces), dispatch " << run.dispatches
                    << " of " << n << " items: " << err;
      return run;
    }
    if (keep_last_batch) run.last_batch = batch;
    run.items += n;
    ++run.dispatches;
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto ctl = try_as_words(ConstByteSpan(run.buffers.control), "control");
  const std::string err = verify_final(run.model, *ctl);
  if (!err.empty()) ADD_FAILURE() << "seed " << seed << " after " << run.dispatches << " dispatches: " << err;
  return run;
}

TEST(Stress, RandomTenantsAndOpcodesFourThreads) {
  const std::uint64_t total = env_u64("MK_STRESS_ITEMS", DEFAULT_ITEMS);
  const std::uint64_t seed = env_u64("MK_STRESS_SEED", DEFAULT_SEED);
  ASSERT_GT(total, 0u) << "MK_STRESS_ITEMS must be positive";
  auto backend = make_cpu_backend(CpuBackendOptions{.threads = 4, .deterministic = false});
  const WorkloadRun run = run_workload(backend, total, seed, false);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(run.items, total);
  EXPECT_EQ(run.model.done, total);
  std::printf(
      "[ stress   ] seed 0x%llx: %llu items in %u dispatches of up to %u slots, 4 threads, %.2f s "
      "(%.1f M items/s), %llu faults, %u fences\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(run.items), run.dispatches, SLOTS,
      run.seconds, run.seconds > 0 ? run.items / run.seconds / 1e6 : 0.0,
      static_cast<unsigned long long>(run.model.faults), run.model.epoch);
  std::printf("[ stress   ] completed per opcode:");
  for (u32 i = 0; i < abi::BUILTIN_OPCODES; ++i)
    if (run.model.metrics[i] != 0)
      std::printf(" %s=%llu", std::string(builtin_opcode_name(abi::BUILTIN_OPCODE_IDS[i])).c_str(),
                  static_cast<unsigned long long>(run.model.metrics[i]));
  std::printf("\n");
}

// The same seed on the deterministic backend and on 4 threads: every order-independent
// word of the final buffers is equal (HEARTBEAT, LAST_FAULT_SLOT and the RESULTs of
// racing ATOMIC_ADDs are not).
TEST(Stress, ThreadedRunMatchesDeterministicRun) {
  const std::uint64_t seed = env_u64("MK_STRESS_SEED", DEFAULT_SEED) + 1;
  const std::uint64_t total = std::min<std::uint64_t>(env_u64("MK_STRESS_ITEMS", DEFAULT_ITEMS), 40 * SLOTS + 123);
  const WorkloadRun a =
      run_workload(make_cpu_backend(CpuBackendOptions{.threads = 1, .deterministic = true}), total, seed, true);
  const WorkloadRun b =
      run_workload(make_cpu_backend(CpuBackendOptions{.threads = 4, .deterministic = false}), total, seed, true);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(a.buffers.control.size(), b.buffers.control.size());
  auto ca = *try_as_words(ConstByteSpan(a.buffers.control), "control");
  auto cb = *try_as_words(ConstByteSpan(b.buffers.control), "control");
  for (u32 w = 0; w < ca.size(); ++w) {
    if (w == abi::CTRL_HEARTBEAT || w == abi::CTRL_LAST_FAULT_SLOT) continue;
    EXPECT_EQ(ca[w], cb[w]) << "seed " << seed << ": control word " << w;
  }
  auto ra = *try_as_words(ConstByteSpan(a.buffers.ring), "ring");
  auto rb = *try_as_words(ConstByteSpan(b.buffers.ring), "ring");
  const Batch& last = a.last_batch;
  for (u32 w = 0; w < ra.size(); ++w) {
    const u32 slot = w / abi::SLOT_WORDS;
    if (w % abi::SLOT_WORDS == abi::SLOT_RESULT && slot < last.expect.size() && !last.expect[slot].check_result)
      continue;
    EXPECT_EQ(ra[w], rb[w]) << "seed " << seed << ": ring word " << w << " (slot " << slot << ")";
  }
}

// The model itself must be able to fail: a run whose model is perturbed is rejected.
TEST(Stress, VerifierRejectsWrongModel) {
  auto backend = make_cpu_backend(CpuBackendOptions{.threads = 4, .deterministic = false});
  auto mk = Megakernel::bootstrap_sharded(backend, SLOTS, WORKGROUP);
  ASSERT_TRUE(mk.has_value());
  OutputBuffers buf;
  buf.control = encode_control(false, TENANTS, OBSERVABLES);
  ASSERT_TRUE(apply_tenants(buf.control).has_value());
  buf.ring = encode_empty_ring(SLOTS);
  Rng rng(DEFAULT_SEED);
  Model model;
  Batch batch;
  generate_batch(rng, SLOTS, model, batch);
  ASSERT_TRUE(try_encode_work_items_ring_into(buf.ring, batch.items).has_value());
  auto stats = mk->dispatch_in_place(buf);
  ASSERT_TRUE(stats.has_value());
  auto ring = *try_as_words(ConstByteSpan(buf.ring), "ring");
  auto ctl = *try_as_words(ConstByteSpan(buf.control), "control");
  EXPECT_EQ(verify_dispatch(batch, model, ring, ctl, *stats), "");
  EXPECT_EQ(verify_final(model, ctl), "");

  Model wrong_obs = model;
  wrong_obs.observables[SLOT_REGION + 7] ^= 1;
  EXPECT_NE(verify_dispatch(batch, wrong_obs, ring, ctl, *stats), "");
  Model wrong_done = model;
  ++wrong_done.done;
  EXPECT_NE(verify_dispatch(batch, wrong_done, ring, ctl, *stats), "");
  Batch wrong_slot = batch;
  for (auto& e : wrong_slot.expect)
    if (e.check_result) {
      e.result ^= 1;
      break;
    }
  EXPECT_NE(verify_dispatch(wrong_slot, model, ring, ctl, *stats), "");
  Model wrong_metric = model;
  ++wrong_metric.metrics[abi::IDX_PACKED_SLOT];
  EXPECT_NE(verify_final(wrong_metric, ctl), "");
  Model wrong_tenant = model;
  ++wrong_tenant.tenant_faults[5];
  EXPECT_NE(verify_final(wrong_tenant, ctl), "");
}

}  // namespace
}  // namespace mk::stress
