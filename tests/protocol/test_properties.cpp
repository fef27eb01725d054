// Property tests over thousands of fixed-seed random inputs: round trips for every
// buffer kind, and batch publishers that either write exactly the batch or nothing.
#include <random>

#include "protocol_test_util.h"

namespace mk {
namespace {

using test::get_word;
using test::set_word;
using test::slot_word;

constexpr int ROUNDS = 3000;

struct Rng {
  std::mt19937 engine{20240531u};
  std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(engine); }
  std::uint32_t word() { return static_cast<std::uint32_t>(engine()); }
  bool chance(std::uint32_t one_in) { return below(one_in) == 0; }
};

WorkItem random_item(Rng& rng, bool allow_bad_args = false) {
  WorkItem item;
  item.opcode = rng.chance(2) ? rng.below(16) : rng.word();
  item.tenant = rng.below(64);
  for (auto& arg : item.args) arg = rng.word();
  item.arg_count = rng.below(13);
  if (allow_bad_args && rng.chance(40)) item.arg_count = 13 + rng.below(100);
  return item;
}

// A ring whose slots hold random words and a random STATUS (mostly reusable).
Bytes random_ring(Rng& rng, std::uint32_t slots, std::uint32_t busy_one_in) {
  Bytes ring(std::size_t{slots} * 64);
  for (std::size_t w = 0; w < ring.size() / 4; ++w) set_word(ring, w, rng.word());
  const std::uint32_t reusable[] = {abi::STATUS_EMPTY, abi::STATUS_DONE, abi::STATUS_FAULT};
  const std::uint32_t busy[] = {abi::STATUS_PUBLISHED,
                                abi::STATUS_CLAIMED,
                                abi::STATUS_WAIT_IO,
                                abi::STATUS_YIELD,
                                abi::STATUS_REQUEUE,
                                8u,
                                0xFFFFFFFFu};
  for (std::uint32_t s = 0; s < slots; ++s) {
    set_word(ring, slot_word(s, 0), rng.chance(busy_one_in) ? busy[rng.below(7)] : reusable[rng.below(3)]);
  }
  return ring;
}

bool slot_matches(const SlotView& view, const WorkItem& item) {
  if (view.status != abi::STATUS_PUBLISHED || view.opcode != item.opcode || view.tenant != item.tenant ||
      view.result != 0) {
    return false;
  }
  for (std::uint32_t a = 0; a < abi::MAX_ARGS; ++a) {
    if (view.args[a] != (a < item.arg_count ? item.args[a] : 0u)) return false;
  }
  return true;
}

bool same_slot(const Bytes& a, const Bytes& b, std::uint32_t slot) {
  return std::memcmp(a.data() + std::size_t{slot} * 64, b.data() + std::size_t{slot} * 64, 64) == 0;
}

TEST(ProtocolProperties, PublishedItemsReadBackEqual) {
  Rng rng;
  for (int round = 0; round < ROUNDS; ++round) {
    const std::uint32_t slots = 1 + rng.below(32);
    Bytes ring = random_ring(rng, slots, 0xFFFFFFFFu);  // all reusable
    const Bytes before = ring;
    const std::uint32_t first = rng.below(slots + 1);
    std::vector<WorkItem> items(rng.below(slots - first + 1));
    for (auto& item : items) item = random_item(rng);
    auto next = try_publish_work_items(ring, first, items);
    ASSERT_TRUE(next.has_value()) << "round " << round << ": " << next.error().what();
    ASSERT_EQ(*next, first + items.size());
    const std::vector<SlotView> views = *try_read_slots(ring);
    for (std::uint32_t s = 0; s < slots; ++s) {
      if (s >= first && s < *next) {
        ASSERT_TRUE(slot_matches(views[s], items[s - first])) << "round " << round << " slot " << s;
      } else {
        ASSERT_TRUE(same_slot(ring, before, s)) << "round " << round << " slot " << s;
      }
    }
  }
}

// Kinds the batch must fail with, judged independently of the codec: ranges and
// arg counts are InvalidArgument, a busy target slot is QueueFull.
std::optional<ErrorKind> expected_failure(const Bytes& ring, std::uint32_t slots, std::uint64_t first,
                                          std::uint64_t count, const std::vector<WorkItem>& items) {
  if (first + count > slots) return ErrorKind::InvalidArgument;
  for (const auto& item : items) {
    if (item.arg_count > abi::MAX_ARGS) return ErrorKind::InvalidArgument;
  }
  for (std::uint64_t s = first; s < first + count; ++s) {
    if (!abi::slot_reusable(get_word(ring, slot_word(static_cast<std::uint32_t>(s), 0)))) return ErrorKind::QueueFull;
  }
  return std::nullopt;
}

TEST(ProtocolProperties, BatchPublishersWriteTheWholeBatchOrNothing) {
  Rng rng;
  int failures = 0;
  for (int round = 0; round < ROUNDS; ++round) {
    const std::uint32_t slots = rng.below(24);
    Bytes ring = random_ring(rng, slots, 12);
    const Bytes before = ring;
    const std::uint32_t first = rng.chance(50) ? rng.word() : rng.below(slots + 2);
    std::vector<WorkItem> items(rng.below(slots + 3));
    for (auto& item : items) item = random_item(rng, true);
    const std::uint32_t kind = rng.below(3);
    const std::uint32_t tag = rng.word();

    Result<std::uint32_t> result = 0u;
    std::optional<ErrorKind> want;
    std::uint32_t written_first = first;
    std::vector<WorkItem> written = items;
    if (kind == 0) {
      want = expected_failure(ring, slots, first, items.size(), items);
      result = try_publish_work_items(ring, first, items);
    } else if (kind == 1) {
      want = expected_failure(ring, slots, first, items.size() + 1, items);
      result = try_batch_publish(ring, first, items, tag, 1);
      WorkItem fence;
      fence.opcode = abi::OP_BATCH_FENCE;
      fence.tenant = 1;
      fence.args[0] = first;
      fence.args[1] = static_cast<std::uint32_t>(items.size());
      fence.args[2] = tag;
      fence.arg_count = 3;
      written.push_back(fence);
    } else {
      written_first = 0;
      want = items.size() > slots ? std::optional(ErrorKind::InvalidArgument)
                                  : expected_failure(ring, slots, 0, items.size(), items);
      if (!want) want = expected_failure(ring, slots, 0, slots, {});
      auto status = try_encode_work_items_ring_into(ring, items);
      result = status ? Result<std::uint32_t>(static_cast<std::uint32_t>(items.size()))
                      : Result<std::uint32_t>(cuda::std::unexpected(status.error()));
    }

    if (want) {
      ++failures;
      ASSERT_FALSE(result.has_value()) << "round " << round;
      ASSERT_EQ(result.error().kind(), *want) << "round " << round << ": " << result.error().what();
      ASSERT_EQ(ring, before) << "round " << round << ": a failed batch wrote bytes";
      continue;
    }
    ASSERT_TRUE(result.has_value()) << "round " << round << ": " << result.error().what();
    const std::vector<SlotView> views = *try_read_slots(ring);
    for (std::uint32_t s = 0; s < slots; ++s) {
      if (s >= written_first && s < written_first + written.size()) {
        ASSERT_TRUE(slot_matches(views[s], written[s - written_first])) << "round " << round << " slot " << s;
      } else if (kind == 2) {
        ASSERT_EQ(views[s].status, abi::STATUS_EMPTY);
        ASSERT_EQ(views[s].opcode, 0u);
      } else {
        ASSERT_TRUE(same_slot(ring, before, s)) << "round " << round << " slot " << s;
      }
    }
  }
  // Both branches must be exercised for the property to mean anything.
  EXPECT_GT(failures, ROUNDS / 10);
  EXPECT_LT(failures, ROUNDS * 9 / 10);
}

TEST(ProtocolProperties, PackedOpsRoundTripThroughTheRing) {
  Rng rng;
  Bytes ring = encode_empty_ring(4);
  for (int round = 0; round < ROUNDS; ++round) {
    std::vector<PackedOp> ops(1 + rng.below(4));
    std::uint32_t budget = rng.below(10);
    for (auto& op : ops) {
      op.opcode = rng.below(256);
      op.args.resize(rng.below(budget + 1));
      budget -= static_cast<std::uint32_t>(op.args.size());
      for (auto& arg : op.args) arg = rng.word();
    }
    const std::uint32_t slot = rng.below(4);
    const std::uint32_t tenant = rng.below(64);
    set_word(ring, slot_word(slot, 0), abi::STATUS_DONE);
    ASSERT_TRUE(try_publish_packed_slot(ring, slot, tenant, ops).has_value()) << "round " << round;
    const SlotView view = *try_read_slot(ring, slot);
    ASSERT_EQ(view.opcode, abi::OP_PACKED_SLOT);
    ASSERT_EQ(view.tenant, tenant);
    auto decoded = try_decode_packed_args(view.args);
    ASSERT_TRUE(decoded.has_value()) << "round " << round << ": " << decoded.error().what();
    ASSERT_EQ(*decoded, ops) << "round " << round;
  }
}

TEST(ProtocolProperties, InvalidPackedOpsAreRefused) {
  Rng rng;
  for (int round = 0; round < ROUNDS; ++round) {
    std::vector<PackedOp> ops(rng.below(7));
    std::size_t words = 0;
    bool big_opcode = false;
    for (auto& op : ops) {
      op.opcode = rng.chance(8) ? 256 + rng.below(100000) : rng.below(256);
      big_opcode |= op.opcode >= 256;
      op.args.resize(rng.below(5));
      words += op.args.size();
    }
    const bool valid = !ops.empty() && ops.size() <= 4 && !big_opcode && words <= 9;
    auto item = try_make_packed_item(0, ops);
    ASSERT_EQ(item.has_value(), valid) << "round " << round;
    if (!valid) {
      ASSERT_EQ(item.error().kind(), ErrorKind::InvalidArgument);
    } else {
      ASSERT_EQ(*try_decode_packed_args(item->args), ops);
    }
  }
}

TEST(ProtocolProperties, ControlPoliciesRoundTrip) {
  Rng rng;
  for (int round = 0; round < ROUNDS; ++round) {
    const std::uint32_t tenants = rng.below(65);
    const std::uint32_t observables = rng.below(300);
    Bytes control = encode_control(rng.chance(2), tenants, observables);
    ASSERT_EQ(try_validate_control(control)->observable_count, observables);
    const std::uint32_t tenant = rng.below(70);
    const std::uint64_t mask = (std::uint64_t{rng.word()} << 32) | rng.word();
    const Window window{rng.below(observables + 5), rng.below(observables + 5)};
    const bool valid = tenant < tenants && std::uint64_t{window.base} + window.len <= observables;
    const Bytes before = control;
    const auto status = try_set_tenant_policy(control, tenant, mask, window);
    ASSERT_EQ(status.has_value(), valid) << "round " << round;
    if (!valid) {
      ASSERT_EQ(status.error().kind(), ErrorKind::InvalidArgument);
      ASSERT_EQ(control, before);
      continue;
    }
    const bool enabled = rng.chance(2);
    const bool admin = rng.chance(2);
    ASSERT_TRUE(try_set_tenant_flags(control, tenant, enabled, admin).has_value());
    const std::uint32_t flags = (enabled ? abi::TENANT_FLAG_ENABLED : 0u) | (admin ? abi::TENANT_FLAG_ADMIN : 0u);
    ASSERT_EQ(*try_read_tenant_counters(control, tenant), (TenantCounters{tenant, flags, mask, window, 0, 0}));
    std::vector<std::uint32_t> values(rng.below(observables + 1));
    for (auto& v : values) v = rng.word();
    const std::uint32_t at = rng.below(observables - static_cast<std::uint32_t>(values.size()) + 1);
    ASSERT_TRUE(try_write_observables(control, at, values).has_value());
    const std::vector<std::uint32_t> read = *try_read_observables(control);
    ASSERT_TRUE(std::equal(values.begin(), values.end(), read.begin() + at)) << "round " << round;
  }
}

TEST(ProtocolProperties, DebugLogStrictAndLenientAgree) {
  Rng rng;
  for (int round = 0; round < ROUNDS; ++round) {
    const std::uint32_t capacity = rng.below(12);
    Bytes log = encode_empty_debug_log(capacity);
    const std::uint32_t cursor = rng.chance(4) ? rng.word() : rng.below(20);
    set_word(log, abi::LOG_CURSOR, cursor);
    std::vector<DebugRecord> committed;
    std::uint32_t partial = 0;
    const std::uint32_t claimed = std::min(cursor, capacity);
    for (std::uint32_t i = 0; i < capacity; ++i) {
      const std::size_t base = 4 + std::size_t{i} * 8;
      DebugRecord record{i, rng.below(0x80000000u), rng.word(), rng.word(), {}};
      for (auto& arg : record.args) arg = rng.word();
      for (std::uint32_t a = 0; a < 5; ++a) set_word(log, base + 3 + a, record.args[a]);
      set_word(log, base + 1, record.tenant);
      set_word(log, base + 2, record.slot);
      const std::uint32_t shape = rng.below(6);  // 0: partial, 1: no commit bit, else committed
      set_word(log, base, shape == 0 ? 0u : shape == 1 ? (record.fmt_id | 1u) : (record.fmt_id | 0x80000000u));
      if (i >= claimed) continue;
      if (shape < 2) {
        ++partial;
      } else {
        committed.push_back(record);
      }
    }
    auto lenient = try_read_debug_log(log, DecodeMode::Lenient);
    ASSERT_TRUE(lenient.has_value()) << "round " << round;
    ASSERT_EQ(lenient->records, committed) << "round " << round;
    ASSERT_EQ(lenient->partial, partial);
    ASSERT_EQ(lenient->claimed, cursor);
    ASSERT_EQ(lenient->dropped, cursor - claimed);
    ASSERT_EQ(lenient->records.size() + lenient->partial + lenient->dropped, cursor);
    auto strict = try_read_debug_log(log, DecodeMode::Strict);
    ASSERT_EQ(strict.has_value(), partial == 0) << "round " << round;
    if (strict) {
      ASSERT_EQ(strict->records, committed);
    } else {
      ASSERT_EQ(strict.error().kind(), ErrorKind::Malformed);
      ASSERT_NE(strict.error().message().find("(COMMIT)"), std::string::npos);
    }
  }
}

TEST(ProtocolProperties, IoQueueRequestsRoundTripAndCompleteOnce) {
  Rng rng;
  for (int round = 0; round < ROUNDS; ++round) {
    const std::uint32_t capacity = rng.below(8);
    Bytes io = encode_empty_io_queue(capacity);
    std::vector<IoRequest> want;
    for (std::uint32_t i = 0; i < capacity; ++i) {
      IoRequest request{i,
                        rng.below(4),
                        rng.word(),
                        rng.word(),
                        (std::uint64_t{rng.word()} << 32) | rng.word(),
                        rng.word(),
                        rng.below(abi::IO_STATUS_POSTING + 1),
                        rng.word()};
      const std::size_t base = 4 + std::size_t{i} * 8;
      set_word(io, base + 0, request.op);
      set_word(io, base + 1, request.source);
      set_word(io, base + 2, request.dest);
      set_word(io, base + 3, static_cast<std::uint32_t>(request.offset));
      set_word(io, base + 4, static_cast<std::uint32_t>(request.offset >> 32));
      set_word(io, base + 5, request.byte_count);
      set_word(io, base + 6, request.status);
      set_word(io, base + 7, request.ring_slot);
      if (request.status != abi::IO_STATUS_EMPTY) want.push_back(request);
    }
    ASSERT_EQ(read_io_requests(io).requests, want) << "round " << round;
    if (capacity == 0) continue;
    const std::uint32_t index = rng.below(capacity + 1);
    const Bytes before = io;
    const std::uint32_t status = index < capacity ? get_word(io, 4 + index * 8 + 6) : 0u;
    const bool valid = index < capacity && (status == abi::IO_STATUS_REQUESTED || status == abi::IO_STATUS_SERVICING);
    const bool ok = rng.chance(2);
    const std::uint32_t asked = index < capacity ? get_word(io, 4 + index * 8 + 5) : 0u;
    const std::uint32_t delivered = asked == 0 ? 0 : rng.below(asked);
    auto done = try_complete_io_request(io, index, ok, delivered);
    ASSERT_EQ(done.has_value(), valid) << "round " << round;
    if (!valid) {
      ASSERT_EQ(io, before);
      continue;
    }
    ASSERT_EQ(get_word(io, 4 + index * 8 + 6), ok ? abi::IO_STATUS_OK : abi::IO_STATUS_ERROR);
    ASSERT_FALSE(try_complete_io_request(io, index, ok, delivered).has_value());  // only once
  }
}

}  // namespace
}  // namespace mk
