// Host publisher against a concurrent consumer playing the kernel.
//
// What this catches: publish storing STATUS before the rest of the slot (the consumer
// would acquire PUBLISHED and read stale args), publishing over a slot the consumer
// still owns (QueueFull must hold it off), and data races on slot words (under TSan).
#include <cuda/atomic>
#include <thread>

#include "protocol_test_util.h"

namespace mk {
namespace {

constexpr std::uint32_t SLOTS = 4;
constexpr std::uint32_t ITEMS = 20000;
// A bound on busy-wait rounds so a broken publisher fails instead of hanging.
constexpr std::uint64_t MAX_SPINS = 20'000'000;

using Ref = cuda::atomic_ref<Word, cuda::thread_scope_system>;

WorkItem item_for(std::uint32_t seq) {
  WorkItem item;
  item.opcode = seq;
  item.tenant = seq % 7;
  for (std::uint32_t a = 0; a < abi::MAX_ARGS; ++a) item.args[a] = seq * 13 + a;
  item.arg_count = abi::MAX_ARGS;
  return item;
}

TEST(ProtocolConcurrency, ConsumerAlwaysSeesTheWholePublishedSlot) {
  Bytes ring = encode_empty_ring(SLOTS);
  Word* words = reinterpret_cast<Word*>(ring.data());
  std::uint64_t consumed_sum = 0;
  std::uint32_t consumed = 0;
  std::uint32_t torn = 0;
  bool consumer_gave_up = false;

  std::thread consumer([&] {
    std::uint64_t spins = 0;
    while (consumed < ITEMS) {
      for (std::uint32_t slot = 0; slot < SLOTS; ++slot) {
        Word* s = words + slot * abi::SLOT_WORDS;
        if (Ref(s[abi::SLOT_STATUS]).load(cuda::std::memory_order_acquire) != abi::STATUS_PUBLISHED) continue;
        const WorkItem want = item_for(s[abi::SLOT_OPCODE]);
        bool whole = s[abi::SLOT_TENANT] == want.tenant && s[abi::SLOT_RESULT] == 0;
        for (std::uint32_t a = 0; a < abi::MAX_ARGS; ++a) whole &= s[abi::SLOT_ARGS + a] == want.args[a];
        torn += whole ? 0 : 1;
        consumed_sum += s[abi::SLOT_OPCODE];
        ++consumed;
        s[abi::SLOT_RESULT] = 1;
        Ref(s[abi::SLOT_STATUS]).store(abi::STATUS_DONE, cuda::std::memory_order_release);
      }
      if (++spins > MAX_SPINS) {
        consumer_gave_up = true;
        return;
      }
      std::this_thread::yield();
    }
  });

  std::uint32_t queue_full = 0;
  std::uint64_t spins = 0;
  for (std::uint32_t seq = 0; seq < ITEMS && spins < MAX_SPINS; ++spins) {
    auto status = try_publish_slot(ring, seq % SLOTS, item_for(seq));
    if (status) {
      ++seq;
      continue;
    }
    ASSERT_EQ(status.error().kind(), ErrorKind::QueueFull) << status.error().what();
    ++queue_full;
    std::this_thread::yield();
  }
  consumer.join();

  EXPECT_FALSE(consumer_gave_up);
  EXPECT_EQ(consumed, ITEMS);
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(consumed_sum, std::uint64_t{ITEMS} * (ITEMS - 1) / 2);  // every item exactly once
  EXPECT_EQ(*try_count_done_ring_slots(ring), SLOTS);
  (void)queue_full;  // how often the producer waited depends on scheduling, not on correctness
}

}  // namespace
}  // namespace mk
