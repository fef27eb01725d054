// Conformance cases for DFA_STEP: transitions over 1..32 packed bytes, argument checks
// (BAD_ARGS) and window checks on the table and the state word (OUT_OF_BOUNDS).
#include <string>

#include "cases.h"

namespace mk::conformance {
namespace {

// A table counting byte `counted` modulo `states`: next = (state + (byte == counted)) % states.
std::vector<u32> counting_table(u32 states, unsigned char counted) {
  std::vector<u32> table(states * abi::DFA_ALPHABET);
  for (u32 s = 0; s < states; ++s)
    for (u32 b = 0; b < abi::DFA_ALPHABET; ++b)
      table[s * abi::DFA_ALPHABET + b] = (s + (b == counted ? 1 : 0)) % states;
  return table;
}

// DFA_STEP args: table, state_count, state_addr, n_bytes, then the bytes packed LE.
std::vector<u32> dfa_args(u32 table, u32 states, u32 state_addr, const std::string& bytes, u32 n_bytes) {
  std::vector<u32> args{table, states, state_addr, n_bytes, 0, 0, 0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < bytes.size() && i < abi::DFA_MAX_BYTES; ++i)
    args[abi::DFA_ARG_BYTES + i / 4] |= static_cast<u32>(static_cast<unsigned char>(bytes[i])) << (8 * (i % 4));
  return args;
}
std::vector<u32> dfa_args(u32 table, u32 states, u32 state_addr, const std::string& bytes) {
  return dfa_args(table, states, state_addr, bytes, static_cast<u32>(bytes.size()));
}

u32 count_mod(const std::string& bytes, char counted, u32 start, u32 states) {
  u32 s = start;
  for (char ch : bytes) s = (s + (ch == counted ? 1 : 0)) % states;
  return s;
}

}  // namespace

std::vector<Case> dfa_cases() {
  using namespace abi;
  std::vector<Case> cases;
  const auto parity = counting_table(2, 'a');  // 512 words
  const auto mod3 = counting_table(3, 'a');    // 768 words

  cases.push_back(Case("dfa_step_single_byte")
                      .init(0, parity)
                      .init(600, {0})
                      .item(0, OP_DFA_STEP, 0, dfa_args(0, 2, 600, "a"))
                      .done(0, 1)
                      .obs(600, 1));

  {
    const std::string text = "banana, abracadabra, aardvark!!!";  // 32 bytes
    const u32 want = count_mod(text, 'a', 1, 3);
    cases.push_back(Case("dfa_step_32_bytes")
                        .init(0, mod3)
                        .init(800, {1})
                        .item(0, OP_DFA_STEP, 0, dfa_args(0, 3, 800, text))
                        .done(0, want)
                        .obs(800, want));
  }

  {
    // Only the first n_bytes of the packed words are consumed.
    const std::string text = "aaaaaaab";
    cases.push_back(Case("dfa_step_uses_only_n_bytes")
                        .init(0, mod3)
                        .init(800, {0})
                        .item(0, OP_DFA_STEP, 0, dfa_args(0, 3, 800, text, 5))
                        .done(0, 5 % 3)
                        .obs(800, 5 % 3));
  }

  cases.push_back(Case("dfa_step_zero_bytes_keeps_state")
                      .init(0, mod3)
                      .init(800, {2})
                      .item(0, OP_DFA_STEP, 0, dfa_args(0, 3, 800, ""))
                      .done(0, 2));

  {
    // Sixteen automata sharing one table, each with its own state word.
    Case c("dfa_step_many_slots_shared_table");
    c.init(0, mod3);
    for (u32 s = 0; s < 16; ++s) {
      const std::string text(s + 1, 'a');
      const u32 want = count_mod(text, 'a', s % 3, 3);
      c.init(800 + s, {s % 3})
          .item(s * 16, OP_DFA_STEP, 0, dfa_args(0, 3, 800 + s, text))
          .done(s * 16, want)
          .obs(800 + s, want);
    }
    cases.push_back(c);
  }

  cases.push_back(Case("dfa_step_bad_args")
                      .init(0, mod3)
                      .init(800, {0, 3})
                      .item(0, OP_DFA_STEP, 0, dfa_args(0, 0, 800, "a"))              // state_count 0
                      .item(1, OP_DFA_STEP, 0, dfa_args(0, 3, 800, "a", 33))          // n_bytes > 32
                      .item(2, OP_DFA_STEP, 0, dfa_args(0, 3, 801, "a"))              // state 3 >= 3
                      .item(3, OP_DFA_STEP, 0, dfa_args(0, 3, 800, "a", 0xFFFFFFFF))  // n_bytes huge
                      .fault(0, FAULT_BAD_ARGS)
                      .fault(1, FAULT_BAD_ARGS)
                      .fault(2, FAULT_BAD_ARGS)
                      .fault(3, FAULT_BAD_ARGS));

  {
    // A transition to a state >= state_count faults mid-way and writes nothing back.
    auto table = mod3;
    table[1 * DFA_ALPHABET + 'z'] = 7;
    cases.push_back(Case("dfa_step_next_state_out_of_range")
                        .init(0, table)
                        .init(800, {0})
                        .item(0, OP_DFA_STEP, 0, dfa_args(0, 3, 800, "aaz"))        // 0 -a-> 1 -a-> 2 -z-> 2: fine
                        .item(1, OP_DFA_STEP, 0, {0, 3, 801, 2, 'a' | ('z' << 8)})  // 0 -a-> 1 -z-> 7
                        .init(801, {0})
                        .done(0, 2)
                        .obs(800, 2)
                        .fault(1, FAULT_BAD_ARGS));
  }

  cases.push_back(Case("dfa_step_table_out_of_window")
                      .init(600, {0})
                      .item(0, OP_DFA_STEP, 0, dfa_args(600, 2, 600, "a"))         // 600 + 512 > 1024
                      .item(1, OP_DFA_STEP, 0, dfa_args(0, 5, 600, "a"))           // 5 * 256 > 1024
                      .item(2, OP_DFA_STEP, 0, dfa_args(0, 0x01000000, 600, "a"))  // 2^24 * 256 overflows u32
                      .fault(0, FAULT_OUT_OF_BOUNDS)
                      .fault(1, FAULT_OUT_OF_BOUNDS)
                      .fault(2, FAULT_OUT_OF_BOUNDS));

  cases.push_back(Case("dfa_step_state_addr_out_of_window")
                      .init(0, parity)
                      .item(0, OP_DFA_STEP, 0, dfa_args(0, 2, 1024, "a"))
                      .fault(0, FAULT_OUT_OF_BOUNDS));

  return cases;
}

}  // namespace mk::conformance
