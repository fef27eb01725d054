// The bulk path: compact batches through dispatch_batch on every available backend.
//
// What this catches: a compact record expanded wrongly (opcode/tenant/argument words),
// results or faults attributed to the wrong item, counters that differ from the slot
// path's, a batch that is partly run after a validation failure, storage reallocated
// when shapes repeat, and chunk boundaries (CUDA) that drop or repeat items.
#include <algorithm>
#include <numeric>

#include "mk/bulk.h"
#include "test_util.h"

namespace mk::test {
namespace {

std::shared_ptr<Backend> backend_named(const std::string& name) {
  if (name == "cuda" && !cuda_available()) return nullptr;
  return value_or_throw(make_backend(name));
}

class BatchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    m_backend = backend_named(GetParam());
    if (!m_backend) GTEST_SKIP() << "no CUDA device";
  }
  Megakernel megakernel(std::vector<OpcodeHandler> opcodes = {}) {
    return value_or_throw(Megakernel::bootstrap_sharded(m_backend, 256, 64, std::move(opcodes)));
  }
  std::shared_ptr<Backend> m_backend;
};

TEST_P(BatchTest, UniformAtomicAddsGiveEveryPreviousValueOnce) {
  auto mk = megakernel();
  const std::uint32_t n = 300'000;  // several CUDA chunks, not a multiple of a block
  auto builder = value_or_throw(BatchBuilder::make(mk, BatchShape::uniform(abi::OP_ATOMIC_ADD, 0, 2), n));
  for (std::uint32_t i = 0; i < n; ++i) {
    Word* r = builder.append();
    r[0] = i % 2;  // two counters
    r[1] = 1;
  }
  const Bytes control = encode_control(false, 1, 64);
  BatchOutput out;
  auto stats = mk.dispatch_batch(control, builder.view(), out);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(stats->items_done, n);
  ASSERT_EQ(out.size(), n);
  EXPECT_EQ(out.fault_count(), 0u);
  EXPECT_EQ(read_observable(out.control(), 0), n / 2);
  EXPECT_EQ(read_observable(out.control(), 1), n / 2);
  EXPECT_EQ(read_done_count(out.control()), n);
  EXPECT_EQ(value_or_throw(try_read_tenant_counters(out.control(), 0)).done, n);
  // Results of the adds on counter 0 are exactly 0..n/2-1 in some order.
  std::vector<std::uint32_t> seen;
  for (std::uint32_t i = 0; i < n; i += 2) seen.push_back(out.result(i));
  std::sort(seen.begin(), seen.end());
  std::vector<std::uint32_t> want(n / 2);
  std::iota(want.begin(), want.end(), 0u);
  EXPECT_EQ(seen, want);
  auto metrics = value_or_throw(try_read_metrics(out.control()));
  const auto add =
      std::find_if(metrics.begin(), metrics.end(), [](const OpcodeCount& m) { return m.opcode == abi::OP_ATOMIC_ADD; });
  ASSERT_NE(add, metrics.end());
  EXPECT_EQ(add->count, n);
}

TEST_P(BatchTest, MixedBatchFaultsOnlyTheItemsThatBreakTheirTenantsPolicy) {
  auto mk = megakernel();
  Bytes control = encode_control(false, 2, 64);
  // Tenant 1 may only STORE_U32, inside words [32, 48).
  set_tenant_policy(control, 1, 1ull << abi::IDX_STORE_U32, Window{32, 16});
  auto builder = value_or_throw(BatchBuilder::make(mk, BatchShape::mixed(3)));
  const std::vector<Word> store5{5, 55}, store40{8, 80}, add{1, 1}, cas{2, 0, 9};
  ASSERT_TRUE(builder.add(abi::OP_STORE_U32, 0, store5));                    // 0: DONE, obs[5] = 55
  ASSERT_TRUE(builder.add(abi::OP_STORE_U32, 1, store40));                   // 1: DONE, obs[32 + 8] = 80
  ASSERT_TRUE(builder.add(abi::OP_ATOMIC_ADD, 1, add));                      // 2: UNAUTHORIZED
  ASSERT_TRUE(builder.add(abi::OP_STORE_U32, 1, std::vector<Word>{16, 1}));  // 3: OUT_OF_BOUNDS
  ASSERT_TRUE(builder.add(abi::OP_COMPARE_SWAP, 0, cas));                    // 4: DONE, previous 0, obs[2] = 9
  ASSERT_TRUE(builder.add(abi::OP_LOAD_U32, 0, std::vector<Word>{5}));       // 5: 55 or 0 (races item 0)
  BatchOutput out;
  auto stats = mk.dispatch_batch(control, builder.view(), out);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(out.faults(), (std::vector<BatchFault>{{2, abi::FAULT_UNAUTHORIZED}, {3, abi::FAULT_OUT_OF_BOUNDS}}));
  EXPECT_FALSE(out.faulted(0));
  EXPECT_EQ(out.result(4), 0u);
  EXPECT_EQ(read_observable(out.control(), 5), 55u);
  EXPECT_EQ(read_observable(out.control(), 40), 80u);
  EXPECT_EQ(read_observable(out.control(), 48), 0u);
  EXPECT_EQ(read_observable(out.control(), 2), 9u);
  EXPECT_EQ(read_fault_count(out.control()), 2u);
  // The full slot of an item, on request, rebuilt from the records and the results.
  const SlotView slot2 = value_or_throw(try_batch_item_slot(builder.view(), out, 2));
  EXPECT_EQ(slot2.status, abi::STATUS_FAULT);
  EXPECT_EQ(slot2.opcode, abi::OP_ATOMIC_ADD);
  EXPECT_EQ(slot2.tenant, 1u);
  EXPECT_EQ(slot2.result, abi::FAULT_UNAUTHORIZED);
  EXPECT_EQ(slot2.args[0], 1u);
  EXPECT_EQ(slot2.args[2], 0u);
  EXPECT_FALSE(try_batch_item_slot(builder.view(), out, 6));
  EXPECT_EQ(value_or_throw(try_read_tenant_counters(out.control(), 1)).faults, 2u);
  EXPECT_EQ(value_or_throw(try_read_tenant_counters(out.control(), 1)).done, 1u);
}

TEST_P(BatchTest, CustomOpcodesRunAndRequeueInABatch) {
  using namespace mk::ir;
  // 4096: add arg(1) to word arg(0), requeueing until the item has run arg(2) times
  // (the requeue count lives in word arg(0) + 1).
  OpcodeHandler h{4096, "add_after_requeues",
                  body({let("n", atomic_add(arg(0) + c(1), c(1))), if_(lt(var("n"), arg(2)), body({requeue()})),
                        result(atomic_add(arg(0), arg(1)))})};
  auto mk = megakernel({h});
  auto builder = value_or_throw(BatchBuilder::make(mk, BatchShape::uniform(4096, 0, 3)));
  ASSERT_TRUE(builder.add(std::vector<Word>{0, 7, 3}));    // runs 3 times, then adds
  ASSERT_TRUE(builder.add(std::vector<Word>{10, 1, 70}));  // needs 70 runs: STEP_BUDGET at 65
  BatchOutput out;
  auto stats = mk.dispatch_batch(encode_control(false, 1, 64), builder.view(), out);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_FALSE(out.faulted(0));
  EXPECT_EQ(out.result(0), 0u);
  EXPECT_EQ(read_observable(out.control(), 0), 7u);
  EXPECT_EQ(read_observable(out.control(), 1), 4u);  // three requeued runs, then the add
  EXPECT_EQ(out.faults(), (std::vector<BatchFault>{{1, abi::FAULT_STEP_BUDGET}}));
  EXPECT_EQ(read_observable(out.control(), 11), abi::MAX_REQUEUES + 1);
  EXPECT_EQ(read_observable(out.control(), 10), 0u);
}

TEST_P(BatchTest, PackedSlotsRunInABatch) {
  auto mk = megakernel();
  const std::vector<PackedOp> ops{{abi::OP_STORE_U32, {1, 5}}, {abi::OP_ATOMIC_ADD, {1, 2}}};
  const WorkItem packed = value_or_throw(try_make_packed_item(0, ops));
  auto builder = value_or_throw(BatchBuilder::make(mk, BatchShape::uniform(abi::OP_PACKED_SLOT, 0, abi::MAX_ARGS)));
  ASSERT_TRUE(builder.add(std::span<const Word>(packed.args.data(), packed.args.size())));
  BatchOutput out;
  ASSERT_TRUE(mk.dispatch_batch(encode_control(false, 1, 64), builder.view(), out));
  EXPECT_EQ(out.fault_count(), 0u);
  EXPECT_EQ(out.result(0), 5u);  // the last inner op's previous value
  EXPECT_EQ(read_observable(out.control(), 1), 7u);
}

TEST_P(BatchTest, UserArrayInTheRecordLayoutNeedsNoBuilder) {
  auto mk = megakernel();
  // Pageable memory (a std::vector): the CUDA backend stages it through pinned buffers.
  const std::uint32_t n = 200'001;
  std::vector<Word> records(std::size_t{n} * 2);
  for (std::uint32_t i = 0; i < n; ++i) records[2 * i] = i % 64, records[2 * i + 1] = i;
  const BatchView view{BatchShape::uniform(abi::OP_STORE_U32, 0, 2), n, records};
  BatchOutput out;
  auto stats = mk.dispatch_batch(encode_control(false, 1, 64), view, out);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(stats->items_done, n);
  EXPECT_EQ(out.fault_count(), 0u);
  // Word w got one of the values i with i % 64 == w; every item reported RESULT 0.
  for (std::uint32_t w = 0; w < 64; ++w) EXPECT_EQ(read_observable(out.control(), w) % 64, w);
  EXPECT_TRUE(std::all_of(out.results().begin(), out.results().end(), [](Word r) { return r == 0; }));
}

TEST_P(BatchTest, OutputAndBuilderAreReusedWhenShapesRepeat) {
  auto mk = megakernel();
  auto builder = value_or_throw(BatchBuilder::make(mk, BatchShape::uniform(abi::OP_LOAD_U32, 0, 1), 5000));
  const Bytes control = encode_control(false, 1, 64);
  BatchOutput out;
  const Word* records = nullptr;
  const Word* results = nullptr;
  for (int round = 0; round < 3; ++round) {
    builder.clear();
    for (std::uint32_t i = 0; i < 5000; ++i) *builder.append() = i % 64;
    if (round == 0) records = builder.view().records.data();
    EXPECT_EQ(builder.view().records.data(), records) << "builder storage was reallocated";
    ASSERT_TRUE(mk.dispatch_batch(control, builder.view(), out));
    if (round == 0) results = out.results().data();
    EXPECT_EQ(out.results().data(), results) << "result storage was reallocated";
    EXPECT_EQ(out.size(), 5000u);
  }
}

TEST_P(BatchTest, AMalformedBatchIsRejectedWholeBeforeAnythingRuns) {
  auto mk = megakernel();
  const Bytes control = encode_control(false, 2, 64);
  BatchOutput out;
  ASSERT_TRUE(mk.dispatch_batch(control, BatchView{BatchShape::uniform(abi::OP_NOP, 0, 0), 7, {}}, out));
  ASSERT_EQ(out.size(), 7u);
  auto rejected = [&](const BatchView& v, const std::string& needle) {
    auto r = mk.dispatch_batch(control, v, out);
    ASSERT_FALSE(r) << "accepted: " << needle;
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(r.error().what()).find(needle), std::string::npos) << r.error().what();
    EXPECT_FALSE(r.error().fix().empty());
    EXPECT_EQ(out.size(), 7u) << "a rejected batch touched the previous results";
  };
  std::vector<Word> words(64 * 14, 0);
  rejected(BatchView{BatchShape::uniform(abi::OP_STORE_U32, 0, 13), 1, words}, "arg_count 13");
  rejected(BatchView{BatchShape::uniform(abi::OP_STORE_U32, 0, 2), 33, std::span(words).first(65)}, "record words");
  rejected(BatchView{BatchShape::uniform(abi::OP_BATCH_FENCE, 0, 3), 1, words}, "BATCH_FENCE");
  rejected(BatchView{BatchShape::uniform(abi::OP_STORE_U32, 2, 2), 1, words}, "tenant 2");
  rejected(BatchView{BatchShape::uniform(4096, 0, 2), 1, words}, "not in the megakernel's opcode table");
  // Per-item fields: the first bad item is named.
  std::vector<Word> mixed{abi::OP_NOP, 0, abi::OP_NOP, 1, abi::OP_LOAD_MISS, 0, abi::OP_NOP, 0};
  rejected(BatchView{BatchShape::mixed(0), 4, mixed}, "batch item 2 field OPCODE");
  mixed[4] = abi::OP_NOP, mixed[7] = 9;
  rejected(BatchView{BatchShape::mixed(0), 4, mixed}, "batch item 3 field TENANT");
  mixed[7] = 0, mixed[2] = abi::OP_SHUTDOWN;
  rejected(BatchView{BatchShape::mixed(0), 4, mixed}, "batch item 1 field OPCODE");
}

TEST_P(BatchTest, BulkAppendGrowsAndKeepsEarlierRecords) {
  auto mk = megakernel();
  auto builder = value_or_throw(BatchBuilder::make(mk, BatchShape::uniform(abi::OP_STORE_U32, 0, 2)));
  Word* first = builder.append();
  first[0] = 3, first[1] = 30;
  Word* r = builder.append(5000);  // past the first allocation
  for (std::uint32_t i = 0; i < 5000; ++i) r[2 * i] = 4, r[2 * i + 1] = i;
  ASSERT_EQ(builder.size(), 5001u);
  EXPECT_EQ(builder.view().records[0], 3u);
  EXPECT_EQ(builder.view().records[1], 30u);
  BatchOutput out;
  ASSERT_TRUE(mk.dispatch_batch(encode_control(false, 1, 64), builder.view(), out));
  EXPECT_EQ(read_observable(out.control(), 3), 30u);
  EXPECT_LT(read_observable(out.control(), 4), 5000u);
  EXPECT_EQ(out.fault_count(), 0u);
}

TEST_P(BatchTest, BuilderRejectsWhatItCannotHold) {
  auto mk = megakernel();
  auto bad = BatchBuilder::make(mk, BatchShape::uniform(abi::OP_LOAD_MISS, 0, 5));
  ASSERT_FALSE(bad);
  EXPECT_NE(std::string(bad.error().what()).find("LOAD_MISS"), std::string::npos);
  auto builder = value_or_throw(BatchBuilder::make(mk, BatchShape::uniform(abi::OP_STORE_U32, 0, 2)));
  auto r = builder.add(std::vector<Word>{1, 2, 3});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(builder.size(), 0u);
  ASSERT_TRUE(builder.add(std::vector<Word>{1}));  // the missing word reads as 0
  EXPECT_EQ(builder.view().records[1], 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, BatchTest, ::testing::Values("cpu", "cuda"),
                         [](const auto& info) { return info.param; });

TEST(BatchFormat, SerialisedBatchRoundTripsAndRejectsDamage) {
  const BatchShape shape = BatchShape::mixed(2);
  const std::size_t words = value_or_throw(try_batch_words(shape, 3));
  std::vector<Word> buffer(words);
  ASSERT_TRUE(try_encode_batch_header(buffer, shape, 3));
  for (std::size_t i = abi::BATCH_HEADER_WORDS; i < words; ++i) buffer[i] = static_cast<Word>(i);
  auto view = try_decode_batch(buffer);
  ASSERT_TRUE(view) << view.error().what();
  EXPECT_EQ(view->count, 3u);
  EXPECT_TRUE(view->shape.per_item_opcode && view->shape.per_item_tenant);
  EXPECT_EQ(view->shape.stride(), 4u);
  EXPECT_EQ(view->records.data(), buffer.data() + abi::BATCH_HEADER_WORDS);

  auto damaged = [&](std::size_t word, Word value, const std::string& needle) {
    std::vector<Word> copy = buffer;
    copy[word] = value;
    auto r = try_decode_batch(copy);
    ASSERT_FALSE(r) << needle;
    EXPECT_EQ(r.error().kind(), ErrorKind::Malformed);
    EXPECT_NE(std::string(r.error().what()).find(needle), std::string::npos) << r.error().what();
  };
  damaged(abi::BATCH_MAGIC_WORD, 0, "magic");
  damaged(abi::BATCH_VERSION_WORD, 2, "version");
  damaged(abi::BATCH_FLAGS, 4, "unknown flag");
  damaged(abi::BATCH_ARG_COUNT, 13, "exceeds 12");
  damaged(abi::BATCH_STRIDE, 5, "stride");
  damaged(abi::BATCH_ITEM_COUNT, 4, "truncated");
  damaged(abi::BATCH_ITEM_COUNT, 0xFFFFFFFFu, "BATCH_MAX_ITEMS");
  EXPECT_FALSE(try_decode_batch(std::span(buffer).first(words - 1)));
  EXPECT_FALSE(try_decode_batch(std::span(buffer).first(3)));
}

}  // namespace
}  // namespace mk::test
