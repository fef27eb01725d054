// The conformance suite: every case on every backend (one ctest entry each), checked
// against its own expectations and, off the oracle, word for word against the
// CPU-deterministic run. See harness.h for which words are order-dependent and why.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "cases.h"
#include "compact.h"

namespace mk::conformance {

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> all;
    for (auto family : {memory_cases, dfa_cases, control_cases, printf_cases, packed_cases, io_cases, tenant_cases})
      for (Case& c : family()) all.push_back(std::move(c));
    return all;
  }();
  return cases;
}

namespace {

struct Param {
  std::size_t index = 0;
  std::size_t backend = 0;  // index into backend_variants()
};

void PrintTo(const Param& p, std::ostream* os) {
  *os << all_cases()[p.index].name << " on " << backend_variants()[p.backend].label;
}

std::vector<Param> all_params() {
  std::vector<Param> params;
  for (std::size_t i = 0; i < all_cases().size(); ++i)
    for (std::size_t b = 0; b < backend_variants().size(); ++b) params.push_back(Param{i, b});
  return params;
}

void report(const Errors& errors, const std::string& where) {
  for (const std::string& e : errors) ADD_FAILURE() << where << ": " << e;
}

class Conformance : public ::testing::TestWithParam<Param> {
 protected:
  const BackendVariant& variant() const { return backend_variants()[GetParam().backend]; }
};

// The case on the CPU-deterministic oracle (failures reported).
std::optional<RunOutput> run_oracle(const Case& c) {
  std::string unused;
  bool no_skip = false;
  Errors errors;
  auto oracle = run_case(c, make_backend_for(oracle_variant(), unused, no_skip), errors);
  report(errors, "oracle");
  return oracle;
}

// The same case as one compact batch (dispatch_batch), against the slot-path oracle.
TEST_P(Conformance, CompactBatch) {
  const Case& c = all_cases()[GetParam().index];
  std::string why;
  if (!compact_eligible(c, why)) GTEST_SKIP() << "not a compact-batch case: " << why;
  bool skip = false;
  auto backend = make_backend_for(variant(), why, skip);
  if (!backend && skip) GTEST_SKIP() << why;
  ASSERT_TRUE(backend) << why;
  auto oracle = run_oracle(c);
  ASSERT_TRUE(oracle.has_value());
  Errors diffs;
  run_compact_against_oracle(c, backend, *oracle, diffs);
  report(diffs, variant().label + " compact batch");
}

TEST_P(Conformance, Run) {
  const Case& c = all_cases()[GetParam().index];
  Errors definition;
  validate_case(c, definition);
  report(definition, "case definition");
  ASSERT_TRUE(definition.empty());

  std::string why;
  bool skip = false;
  auto backend = make_backend_for(variant(), why, skip);
  if (!backend && skip) GTEST_SKIP() << why;
  ASSERT_TRUE(backend) << why;

  Errors errors;
  auto run = run_case(c, backend, errors);
  report(errors, variant().label);
  ASSERT_TRUE(run.has_value());

  Errors checks;
  check_case(c, *run, checks);
  report(checks, variant().label);

  if (GetParam().backend != 0) {  // not the oracle
    auto oracle = run_oracle(c);
    ASSERT_TRUE(oracle.has_value());
    Errors diffs;
    compare_with_oracle(c, *oracle, *run, diffs);
    report(diffs, variant().label);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, Conformance, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return all_cases()[info.param.index].name + "__" +
                                  backend_variants()[info.param.backend].label;
                         });

// --- The harness itself: it must be able to fail.

TEST(ConformanceHarness, CaseNamesAreUniqueAndCasesWellFormed) {
  std::set<std::string> names;
  for (const Case& c : all_cases()) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
    Errors e;
    validate_case(c, e);
    EXPECT_TRUE(e.empty()) << c.name << ": " << (e.empty() ? "" : e.front());
  }
  EXPECT_GE(all_cases().size(), 45u);
}

TEST(ConformanceHarness, DetectsMissingExpectation) {
  Case c("x");
  c.item(0, abi::OP_NOP, 0, {});
  Errors e;
  validate_case(c, e);
  EXPECT_FALSE(e.empty());
}

const Case& find_case(const std::string& name) {
  for (const Case& c : all_cases())
    if (c.name == name) return c;
  throw std::runtime_error("no case " + name);
}

// A wrong expectation (RESULT, observable, metric, record) is reported.
TEST(ConformanceHarness, DetectsWrongExpectations) {
  auto backend = make_cpu_backend(CpuBackendOptions{.threads = 1, .deterministic = true});
  Case wrong_result = find_case("atomic_add_returns_previous");
  wrong_result.done(0, 11);
  Case wrong_obs = find_case("store_u32_writes_word");
  wrong_obs.obs(3, 8);
  Case stray_write = find_case("store_u32_writes_word");
  stray_write.expect_obs.clear();  // the store to 3 is now unexpected
  Case wrong_metric = find_case("packed_one_op");
  wrong_metric.extra_metrics.clear();
  Case wrong_record = find_case("printf_single_record");
  wrong_record.expect_records->front().args[0] = 2;
  Case wrong_fault = find_case("store_u32_out_of_window");
  wrong_fault.fault(0, abi::FAULT_BAD_ARGS);
  for (const Case* c : {&wrong_result, &wrong_obs, &stray_write, &wrong_metric, &wrong_record, &wrong_fault}) {
    Errors errors;
    auto run = run_case(*c, backend, errors);
    ASSERT_TRUE(run.has_value()) << c->name;
    check_case(*c, *run, errors);
    EXPECT_FALSE(errors.empty()) << c->name << ": a wrong expectation went unnoticed";
  }
}

// A buffer word that differs from the oracle's is reported, unless it is one of the
// documented order-dependent words.
TEST(ConformanceHarness, OracleComparisonFindsDifferences) {
  auto backend = make_cpu_backend(CpuBackendOptions{.threads = 1, .deterministic = true});
  const Case& c = find_case("fence_independent_pair");
  Errors errors;
  auto oracle = run_case(c, backend, errors);
  ASSERT_TRUE(oracle.has_value());
  auto poke = [](Bytes& b, std::size_t word, std::uint32_t value) { std::memcpy(b.data() + word * 4, &value, 4); };

  RunOutput same = *oracle;
  poke(same.output.control, abi::CTRL_HEARTBEAT, 12345);              // order-dependent: ignored
  poke(same.output.control, abi::CTRL_LAST_FENCE_TAG, 2);             // racy in this case: ignored
  poke(same.output.ring, 1 * abi::SLOT_WORDS + abi::SLOT_RESULT, 2);  // racy fence RESULT
  Errors none;
  compare_with_oracle(c, *oracle, same, none);
  EXPECT_TRUE(none.empty()) << none.front();

  for (std::size_t word : {std::size_t{abi::CTRL_EPOCH}, std::size_t{abi::CTRL_OBSERVABLES + 5},
                           std::size_t{abi::tenant_word(0, abi::TENANT_DONE)}, std::size_t{abi::CTRL_OPCODE_COUNTS}}) {
    RunOutput changed = *oracle;
    poke(changed.output.control, word, 0xBADu);
    Errors diffs;
    compare_with_oracle(c, *oracle, changed, diffs);
    EXPECT_FALSE(diffs.empty()) << "control word " << word << " change went unnoticed";
  }
  RunOutput changed = *oracle;
  poke(changed.output.ring, 0 * abi::SLOT_WORDS + abi::SLOT_RESULT, 7);  // NOP's RESULT is not racy
  Errors diffs;
  compare_with_oracle(c, *oracle, changed, diffs);
  EXPECT_FALSE(diffs.empty());
}

}  // namespace
}  // namespace mk::conformance
