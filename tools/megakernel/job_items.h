// A job's items held compactly: a few words per item in large blocks, so a job of
// millions of items costs about the words its items carry, not a DOM or a slot each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "job_opcodes.h"
#include "mk/protocol.h"

namespace mk::cli {

enum class JobItemKind : std::uint8_t { Op, Packed, Fence };

// One item spelt out: its WorkItem and label (tests, traces, the ring path).
struct JobItem {
  JobItemKind kind = JobItemKind::Op;
  WorkItem item;
  std::string label;  // opcode name for output ("STORE_U32", "PACKED_SLOT", "BATCH_FENCE", custom name)
};

// One stored item, borrowed from its JobItems: valid until the next push().
struct JobItemRef {
  JobItemKind kind = JobItemKind::Op;
  std::uint32_t opcode = 0;
  std::uint32_t tenant = 0;
  std::span<const std::uint32_t> args;  // the item's argument words, at most MAX_ARGS once read
};

// Items in order, each a record [meta][opcode][tenant][words...] in blocks of
// BLOCK_WORDS, so growing never copies what is stored (nor holds it twice). meta: bits
// 0-1 kind, 2-6 word count, 8-15 a mark the job reader uses while it resolves names,
// 16-20 words reserved past the count (a record keeps its length when rewritten).
class JobItems {
 public:
  static constexpr std::uint32_t MAX_RECORD_WORDS = 31;             // words after opcode and tenant
  static constexpr std::size_t BLOCK_WORDS = std::size_t{1} << 18;  // 1 MiB

  std::size_t size() const noexcept { return m_count; }
  bool empty() const noexcept { return m_count == 0; }

  // Append a record of `words` (at most MAX_RECORD_WORDS).
  void push(JobItemKind kind, std::uint32_t opcode, std::uint32_t tenant, std::span<const std::uint32_t> words,
            std::uint8_t mark = 0);

  // Item i spelt out; O(MARK_EVERY) from the nearest index mark.
  JobItem operator[](std::size_t i) const;
  JobItem front() const { return (*this)[0]; }

  // The names labels come from (the job's opcode table; set by the reader).
  void set_names(JobOpcodes names);
  const JobOpcodes& names() const noexcept { return m_names; }
  // An item's label without building a string: its opcode's name ("" for an opcode
  // outside the table, which a read job never holds).
  std::string_view label_of(std::uint32_t opcode) const;

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = JobItemRef;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = JobItemRef;

    Iterator() = default;
    JobItemRef operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& other) const noexcept { return m_index == other.m_index; }

   private:
    friend class JobItems;
    Iterator(const JobItems* items, std::size_t index, std::size_t block, std::size_t offset)
        : m_items(items), m_index(index), m_block(block), m_offset(offset) {}
    const JobItems* m_items = nullptr;
    std::size_t m_index = 0;
    std::size_t m_block = 0;
    std::size_t m_offset = 0;
  };
  Iterator begin() const { return Iterator(this, 0, 0, 0); }
  Iterator end() const { return Iterator(this, m_count, 0, 0); }

  // A record open for rewriting (the reader's second pass resolves names in place).
  class Record {
   public:
    JobItemKind kind() const noexcept { return static_cast<JobItemKind>(*m_meta & 3u); }
    std::uint8_t mark() const noexcept { return static_cast<std::uint8_t>(*m_meta >> 8); }
    std::uint32_t opcode() const noexcept { return m_meta[1]; }
    std::uint32_t tenant() const noexcept { return m_meta[2]; }
    std::span<std::uint32_t> words() const noexcept { return {m_meta + 3, (*m_meta >> 2) & 31u}; }
    void set_opcode(std::uint32_t opcode) noexcept { m_meta[1] = opcode; }
    void set_mark(std::uint8_t mark) noexcept { *m_meta = (*m_meta & ~0xFF00u) | (std::uint32_t{mark} << 8); }
    // Shorten the record's words to `count` (the rest stays reserved, unread).
    void set_word_count(std::uint32_t count) noexcept;

   private:
    friend class JobItems;
    std::size_t stride() const noexcept { return 3 + ((*m_meta >> 2) & 31u) + ((*m_meta >> 16) & 31u); }
    explicit Record(std::uint32_t* meta) : m_meta(meta) {}
    std::uint32_t* m_meta;
  };
  // f(index, Record&) for every item in order.
  template <class F>
  void rewrite(F&& f) {
    std::size_t index = 0;
    for (auto& block : m_blocks) {
      for (std::size_t at = 0; at < block.size(); ++index) {
        Record record(block.data() + at);
        at += record.stride();  // taken first: a rewrite keeps the stride
        f(index, record);
      }
    }
  }

 private:
  static constexpr std::size_t MARK_EVERY = 64;  // an index entry per this many items

  std::vector<std::vector<std::uint32_t>> m_blocks;
  std::vector<std::uint64_t> m_marks;  // (block << 32) | offset of items 0, 64, 128, ...
  std::size_t m_count = 0;
  JobOpcodes m_names;
  std::vector<std::string> m_labels;  // by opcode-table index
};

}  // namespace mk::cli
