// Conformance cases for LOAD_MISS and the I/O queue: round trips from byte and file
// sources, zero padding, reads past the end, a queue smaller than the work, and the
// IO_QUEUE_FULL / OUT_OF_BOUNDS paths. Run with dispatch_until_idle.
#include "cases.h"

namespace mk::conformance {
namespace {

// LOAD_MISS args: source, offset_lo, offset_hi, byte_count, dest.
std::vector<u32> miss(u32 source, std::uint64_t offset, u32 bytes, u32 dest) {
  return {source, static_cast<u32>(offset), static_cast<u32>(offset >> 32), bytes, dest};
}

}  // namespace

std::vector<Case> io_cases() {
  using namespace abi;
  std::vector<Case> cases;
  const auto src8 = bytes_of({1, 2, 3, 4, 5, 6, 7, 8});
  const auto big = pattern_bytes(1000, 7);

  cases.push_back(Case("load_miss_bytes_round_trip")
                      .io_queue(4)
                      .source(1, src8)
                      .item(0, OP_LOAD_MISS, 0, miss(1, 0, 8, 10))
                      .done(0, 8)
                      .obs_range(10, {0x04030201, 0x08070605})
                      .io_head(1));

  // 6 bytes land in two words, the second zero-padded; the word after is untouched.
  cases.push_back(Case("load_miss_partial_last_word_zero_padded")
                      .io_queue(1)
                      .source(1, src8)
                      .init(20, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF})
                      .item(0, OP_LOAD_MISS, 0, miss(1, 2, 6, 20))
                      .done(0, 6)
                      .obs_range(20, {0x06050403, 0x00000807, 0xFFFFFFFF}));

  cases.push_back(Case("load_miss_single_byte")
                      .io_queue(1)
                      .source(1, src8)
                      .init(30, {0xAAAAAAAA})
                      .item(0, OP_LOAD_MISS, 0, miss(1, 7, 1, 30))
                      .done(0, 1)
                      .obs(30, 0x00000008));

  cases.push_back(Case("load_miss_file_source")
                      .io_queue(2)
                      .source(3, big, true)
                      .item(0, OP_LOAD_MISS, 0, miss(3, 123, 37, 100))
                      .done(0, 37)
                      .obs_range(100, le_words(big, 123, 37)));

  // Reads ending exactly at the source's end succeed.
  cases.push_back(Case("load_miss_up_to_source_end")
                      .io_queue(2)
                      .source(1, src8)
                      .source(2, big, true)
                      .item(0, OP_LOAD_MISS, 0, miss(1, 4, 4, 0))
                      .item(1, OP_LOAD_MISS, 0, miss(2, 996, 4, 1))
                      .done(0, 4)
                      .done(1, 4)
                      .obs(0, 0x08070605)
                      .obs_range(1, le_words(big, 996, 4)));

  // Reads past the end (bytes and file), at an offset past the end, with offset_hi set,
  // and from an unregistered source: IO_ERROR, destination untouched.
  cases.push_back(Case("load_miss_past_source_end_is_io_error")
                      .io_queue(8)
                      .source(1, src8)
                      .source(2, big, true)
                      .init(0, {0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666})
                      .item(0, OP_LOAD_MISS, 0, miss(1, 4, 5, 0))
                      .item(1, OP_LOAD_MISS, 0, miss(2, 990, 11, 1))
                      .item(2, OP_LOAD_MISS, 0, miss(1, 9, 1, 2))
                      .item(3, OP_LOAD_MISS, 0, miss(1, std::uint64_t{1} << 32, 4, 3))
                      .item(4, OP_LOAD_MISS, 0, miss(9, 0, 4, 4))
                      .fault(0, FAULT_IO_ERROR)
                      .fault(1, FAULT_IO_ERROR)
                      .fault(2, FAULT_IO_ERROR)
                      .fault(3, FAULT_IO_ERROR)
                      .fault(4, FAULT_IO_ERROR)
                      .io_head(5));

  // byte_count 0: DONE 0 without I/O, with or without a queue.
  cases.push_back(
      Case("load_miss_zero_bytes_no_io").io_queue(1).item(0, OP_LOAD_MISS, 0, miss(1, 0, 0, 10)).done(0, 0).io_head(0));
  cases.push_back(Case("load_miss_zero_bytes_without_queue").item(0, OP_LOAD_MISS, 0, miss(1, 0, 0, 10)).done(0, 0));

  // No I/O queue supplied: IO_QUEUE_FULL. A queue of capacity 0 is the same.
  cases.push_back(
      Case("load_miss_without_queue").item(0, OP_LOAD_MISS, 0, miss(1, 0, 4, 0)).fault(0, FAULT_IO_QUEUE_FULL));
  cases.push_back(Case("load_miss_zero_capacity_queue")
                      .io_queue(0)
                      .source(1, src8)
                      .item(0, OP_LOAD_MISS, 0, miss(1, 0, 4, 0))
                      .fault(0, FAULT_IO_QUEUE_FULL)
                      .io_head(0));

  // The destination range is checked whole (rounded up to words) before posting.
  cases.push_back(Case("load_miss_dest_out_of_window")
                      .io_queue(2)
                      .source(1, src8)
                      .item(0, OP_LOAD_MISS, 0, miss(1, 0, 8, 1023))  // words 1023..1024
                      .item(1, OP_LOAD_MISS, 0, miss(1, 0, 5, 1023))  // 5 bytes: 2 words
                      .item(2, OP_LOAD_MISS, 0, miss(1, 0, 4, 1023))  // 1 word: fits
                      .item(3, OP_LOAD_MISS, 0, miss(1, 0, 0, 5000))  // empty range far outside
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .fault(1, FAULT_OUT_OF_BOUNDS)
                      .done(2, 4)
                      .fault(3, FAULT_OUT_OF_BOUNDS)
                      .obs(1023, 0x04030201)
                      .io_head(1));

  // Window-relative destination: the request carries the absolute index.
  cases.push_back(Case("load_miss_in_tenant_window")
                      .tenants(2)
                      .policy(1, ALL_OPS, Window{512, 256})
                      .io_queue(2)
                      .source(1, src8)
                      .item(0, OP_LOAD_MISS, 1, miss(1, 0, 8, 3))
                      .item(1, OP_LOAD_MISS, 1, miss(1, 0, 8, 255))
                      .done(0, 8)
                      .fault(1, FAULT_OUT_OF_BOUNDS)
                      .obs_range(515, {0x04030201, 0x08070605}));

  cases.push_back(Case("load_miss_unauthorized")
                      .tenants(2)
                      .policy(1, ALL_OPS & ~bit(IDX_LOAD_MISS), Window{0, 1024})
                      .io_queue(2)
                      .source(1, src8)
                      .item(0, OP_LOAD_MISS, 1, miss(1, 0, 4, 0))
                      .fault(0, FAULT_UNAUTHORIZED)
                      .io_head(0));

  {
    // Twelve reads through a queue of three: full-queue slots stay PUBLISHED, the host
    // serves between rounds, everything lands. At most three requests are ever
    // outstanding, so posting takes at least four rounds and finishing one more.
    Case c("load_miss_queue_smaller_than_items");
    c.io_queue(3).source(1, big).source(2, big, true);
    for (u32 k = 0; k < 12; ++k) {
      const u32 slot = k * 8, src = 1 + k % 2, off = k * 50 + 1, n = 13 + k;
      c.item(slot, OP_LOAD_MISS, 0, miss(src, off, n, k * 10)).done(slot, n).obs_range(k * 10, le_words(big, off, n));
    }
    c.io_head(12).min_rounds(5);
    cases.push_back(c);
  }

  {
    // A fence over LOAD_MISS slots waits across dispatch rounds for the I/O to finish.
    Case c("load_miss_covered_by_fence");
    c.io_queue(2).source(1, big);
    for (u32 k = 0; k < 5; ++k)
      c.item(k, OP_LOAD_MISS, 0, miss(1, k * 4, 4, k)).done(k, 4).obs(k, le_words(big, k * 4, 4)[0]);
    c.fence(5, 0, 5, 31).done(5, 1).fence_tag(31).io_head(5);
    cases.push_back(c);
  }

  // OK and ERROR requests mixed with ordinary work in one ring.
  cases.push_back(Case("load_miss_mixed_with_other_work")
                      .tenants(2)
                      .io_queue(2)
                      .source(1, src8)
                      .item(0, OP_LOAD_MISS, 0, miss(1, 0, 4, 50))
                      .item(1, OP_STORE_U32, 1, {51, 9})
                      .item(2, OP_LOAD_MISS, 1, miss(1, 6, 4, 52))
                      .item(3, OP_LOAD_MISS, 0, miss(1, 4, 4, 53))
                      .item(4, OP_ATOMIC_ADD, 0, {54, 2})
                      .done(0, 4)
                      .done(1, 0)
                      .fault(2, FAULT_IO_ERROR)
                      .done(3, 4)
                      .done(4, 0)
                      .obs_range(50, {0x04030201, 9, 0, 0x08070605, 2})
                      .io_head(3));

  return cases;
}

}  // namespace mk::conformance
