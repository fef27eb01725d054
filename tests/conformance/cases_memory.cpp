// Conformance cases for the memory opcodes: NOP, STORE_U32, ATOMIC_ADD, LOAD_U32,
// COMPARE_SWAP and MEMCPY (window checks, overlap, concurrency on one word).
#include <numeric>

#include "cases.h"

namespace mk::conformance {

std::vector<Case> memory_cases() {
  using namespace abi;
  std::vector<Case> cases;

  cases.push_back(Case("nop_returns_zero").item(0, OP_NOP, 0, {}).done(0, 0));

  cases.push_back(Case("nop_ignores_args").item(3, OP_NOP, 0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}).done(3, 0));

  cases.push_back(Case("store_u32_writes_word").item(0, OP_STORE_U32, 0, {3, 7}).done(0, 0).obs(3, 7));

  cases.push_back(Case("store_u32_last_word_of_region")
                      .item(0, OP_STORE_U32, 0, {1023, 0xCAFEF00D})
                      .done(0, 0)
                      .obs(1023, 0xCAFEF00D));

  cases.push_back(Case("store_u32_out_of_window")
                      .init(1020, {1, 2, 3, 4})
                      .item(0, OP_STORE_U32, 0, {1024, 9})
                      .item(1, OP_STORE_U32, 0, {0xFFFFFFFF, 9})
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .fault(1, FAULT_OUT_OF_BOUNDS));

  cases.push_back(
      Case("atomic_add_returns_previous").init(5, {10}).item(0, OP_ATOMIC_ADD, 0, {5, 3}).done(0, 10).obs(5, 13));

  cases.push_back(Case("atomic_add_wraps_modulo_2_32")
                      .init(6, {0xFFFFFFFF})
                      .item(0, OP_ATOMIC_ADD, 0, {6, 2})
                      .done(0, 0xFFFFFFFF)
                      .obs(6, 1));

  cases.push_back(Case("atomic_add_out_of_window").item(0, OP_ATOMIC_ADD, 0, {5000, 1}).fault(0, FAULT_OUT_OF_BOUNDS));

  {
    // Every slot of a full ring adds 1 to one word: the sum is exact and the previous
    // values seen are exactly 0..255 in some order.
    Case c("atomic_add_256_slots_one_word_full_ring");
    c.whole_ring();
    std::vector<u32> slots(256), values(256);
    std::iota(slots.begin(), slots.end(), 0u);
    std::iota(values.begin(), values.end(), 0u);
    for (u32 s = 0; s < 256; ++s) c.item(s, OP_ATOMIC_ADD, 0, {0, 1}).done_any(s);
    c.obs(0, 256).check(result_multiset(slots, values));
    cases.push_back(c);
  }

  {
    // Many slots add different deltas to four shared words, interleaved with disjoint
    // stores: sums are order-independent.
    Case c("atomic_add_concurrent_mixed_deltas");
    c.geometry(512, 128);
    u32 sums[4] = {0, 0, 0, 0};
    for (u32 s = 0; s < 512; ++s) {
      if (s % 3 == 2) {
        c.item(s, OP_STORE_U32, 0, {100 + s, s * 7}).done(s, 0).obs(100 + s, s * 7);
        continue;
      }
      const u32 word = s % 4, delta = s * 2654435761u;
      sums[word] += delta;
      c.item(s, OP_ATOMIC_ADD, 0, {word, delta}).done_any(s);
    }
    c.obs_range(0, {sums[0], sums[1], sums[2], sums[3]});
    cases.push_back(c);
  }

  {
    Case c("store_u32_disjoint_words_full_ring");
    c.geometry(1024, 256).observables(2048);
    for (u32 s = 0; s < 1024; ++s)
      c.item(s, OP_STORE_U32, 0, {2047 - s, s ^ 0x5A5A5A5A}).done(s, 0).obs(2047 - s, s ^ 0x5A5A5A5A);
    cases.push_back(c);
  }

  cases.push_back(Case("load_u32_reads_word").init(7, {0xDEADBEEF}).item(0, OP_LOAD_U32, 0, {7}).done(0, 0xDEADBEEF));

  cases.push_back(Case("load_u32_out_of_window")
                      .item(0, OP_LOAD_U32, 0, {1024})
                      .item(1, OP_LOAD_U32, 0, {0x80000000})
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .fault(1, FAULT_OUT_OF_BOUNDS));

  {
    // Loads of words no slot writes can run concurrently with anything.
    Case c("load_u32_many_slots");
    for (u32 s = 0; s < 200; ++s) c.init(s, {s * s + 1}).item(s, OP_LOAD_U32, 0, {s}).done(s, s * s + 1);
    cases.push_back(c);
  }

  cases.push_back(
      Case("compare_swap_success").init(9, {5}).item(0, OP_COMPARE_SWAP, 0, {9, 5, 6}).done(0, 5).obs(9, 6));

  cases.push_back(Case("compare_swap_failure_leaves_word")
                      .init(9, {5})
                      .item(0, OP_COMPARE_SWAP, 0, {9, 4, 6})
                      .done(0, 5)
                      .obs(9, 5));

  cases.push_back(
      Case("compare_swap_out_of_window").item(0, OP_COMPARE_SWAP, 0, {1024, 0, 1}).fault(0, FAULT_OUT_OF_BOUNDS));

  {
    // 64 slots race to CAS 0 -> own id + 1: exactly one wins; every slot sees either 0
    // (the winner) or the winner's value.
    Case c("compare_swap_race_one_winner");
    for (u32 s = 0; s < 64; ++s) c.item(s * 4, OP_COMPARE_SWAP, 0, {0, 0, s + 1}).done_any(s * 4);
    c.racy_observable(0).check([](const RunOutput& run, Errors& errors) {
      const u32 final_value = run.readback.observables[0];
      u32 winners = 0;
      for (u32 s = 0; s < 64; ++s) {
        const u32 r = run.readback.slots[s * 4].result;
        if (r == 0) {
          ++winners;
          if (final_value != s + 1)
            errors.push_back("slot " + std::to_string(s * 4) + " won the CAS but the word holds " +
                             std::to_string(final_value));
        } else if (r != final_value) {
          errors.push_back("slot " + std::to_string(s * 4) + " lost the CAS but saw " + std::to_string(r) +
                           ", not the winner's " + std::to_string(final_value));
        }
      }
      if (winners != 1) errors.push_back(std::to_string(winners) + " CAS winners, expected exactly 1");
    });
    cases.push_back(c);
  }

  cases.push_back(Case("memcpy_disjoint")
                      .init(100, {1, 2, 3, 4})
                      .item(0, OP_MEMCPY, 0, {200, 100, 4})
                      .done(0, 4)
                      .obs_range(200, {1, 2, 3, 4}));

  // dst > src with overlap: copying forward would smear; memmove semantics required.
  cases.push_back(Case("memcpy_overlap_dst_above_src")
                      .init(100, {1, 2, 3, 4, 5, 6, 7, 8})
                      .item(0, OP_MEMCPY, 0, {102, 100, 6})
                      .done(0, 6)
                      .obs_range(100, {1, 2, 1, 2, 3, 4, 5, 6}));

  // dst < src with overlap.
  cases.push_back(Case("memcpy_overlap_dst_below_src")
                      .init(100, {1, 2, 3, 4, 5, 6, 7, 8})
                      .item(0, OP_MEMCPY, 0, {100, 102, 6})
                      .done(0, 6)
                      .obs_range(100, {3, 4, 5, 6, 7, 8, 7, 8}));

  cases.push_back(Case("memcpy_same_range").init(100, {1, 2, 3}).item(0, OP_MEMCPY, 0, {100, 100, 3}).done(0, 3));

  cases.push_back(Case("memcpy_zero_count").init(100, {1, 2}).item(0, OP_MEMCPY, 0, {100, 101, 0}).done(0, 0));

  // A zero-word range starting exactly at the window's end is inside it (Window::contains
  // with count 0); one starting past the end is not.
  cases.push_back(Case("memcpy_zero_count_window_edges")
                      .item(0, OP_MEMCPY, 0, {1024, 0, 0})
                      .item(1, OP_MEMCPY, 0, {1025, 0, 0})
                      .done(0, 0)
                      .fault(1, FAULT_OUT_OF_BOUNDS));

  cases.push_back(Case("memcpy_whole_region")
                      .observables(64)
                      .init(0, std::vector<u32>(32, 0xAB))
                      .item(0, OP_MEMCPY, 0, {32, 0, 32})
                      .done(0, 32)
                      .obs_range(32, std::vector<u32>(32, 0xAB)));

  // Source or destination range leaving the window faults before anything is written.
  cases.push_back(Case("memcpy_out_of_window")
                      .init(1020, {1, 2, 3, 4})
                      .init(10, {9, 9, 9, 9, 9, 9})
                      .item(0, OP_MEMCPY, 0, {10, 1020, 5})         // src runs past the end
                      .item(1, OP_MEMCPY, 0, {1020, 10, 5})         // dst runs past the end
                      .item(2, OP_MEMCPY, 0, {10, 20, 0xFFFFFFFF})  // count overflows
                      .item(3, OP_MEMCPY, 0, {0xFFFFFFFF, 10, 2})   // dst start far outside
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .fault(1, FAULT_OUT_OF_BOUNDS)
                      .fault(2, FAULT_OUT_OF_BOUNDS)
                      .fault(3, FAULT_OUT_OF_BOUNDS));

  return cases;
}

}  // namespace mk::conformance
