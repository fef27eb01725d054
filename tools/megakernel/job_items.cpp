// JobItems (see job_items.h): appending records, walking them, spelling one out.
#include "job_items.h"

#include <algorithm>

#include "mk/abi.h"

namespace mk::cli {
namespace {

constexpr std::uint32_t count_of(std::uint32_t meta) noexcept { return (meta >> 2) & 31u; }
constexpr std::size_t stride_of(std::uint32_t meta) noexcept { return 3 + count_of(meta) + ((meta >> 16) & 31u); }

}  // namespace

void JobItems::push(JobItemKind kind, std::uint32_t opcode, std::uint32_t tenant, std::span<const std::uint32_t> words,
                    std::uint8_t mark) {
  const auto count = static_cast<std::uint32_t>(std::min<std::size_t>(words.size(), MAX_RECORD_WORDS));
  const std::size_t need = 3 + count;
  if (m_blocks.empty() || m_blocks.back().size() + need > BLOCK_WORDS) m_blocks.emplace_back();
  auto& block = m_blocks.back();
  if (block.size() + need > block.capacity()) {
    // Small jobs stay small; a block stops at BLOCK_WORDS, then the next one starts.
    block.reserve(std::min(BLOCK_WORDS, std::max<std::size_t>({block.capacity() * 2, 256, block.size() + need})));
  }
  if (m_count % MARK_EVERY == 0) m_marks.push_back((std::uint64_t{m_blocks.size() - 1} << 32) | block.size());
  block.push_back(static_cast<std::uint32_t>(kind) | (count << 2) | (std::uint32_t{mark} << 8));
  block.push_back(opcode);
  block.push_back(tenant);
  block.insert(block.end(), words.begin(), words.begin() + count);
  ++m_count;
}

void JobItems::set_names(JobOpcodes names) {
  m_names = std::move(names);
  m_labels.clear();
  for (std::uint32_t id : abi::BUILTIN_OPCODE_IDS) {
    const auto index = m_names.table_index(id);
    if (m_labels.size() <= *index) m_labels.resize(*index + 1);
    m_labels[*index] = m_names.name_of(id);
  }
  for (const CustomOpcode& op : m_names.custom()) {
    const auto index = m_names.table_index(op.opcode);
    if (m_labels.size() <= *index) m_labels.resize(*index + 1);
    m_labels[*index] = op.name;
  }
}

std::string_view JobItems::label_of(std::uint32_t opcode) const {
  const auto index = m_names.table_index(opcode);
  return index && *index < m_labels.size() ? std::string_view(m_labels[*index]) : std::string_view();
}

JobItem JobItems::operator[](std::size_t i) const {
  const std::uint64_t mark = m_marks.at(i / MARK_EVERY);
  Iterator it(this, i - i % MARK_EVERY, static_cast<std::size_t>(mark >> 32), static_cast<std::size_t>(mark & ~0u));
  for (std::size_t k = i % MARK_EVERY; k > 0; --k) ++it;
  const JobItemRef ref = *it;
  JobItem out;
  out.kind = ref.kind;
  out.item.opcode = ref.opcode;
  out.item.tenant = ref.tenant;
  out.item.arg_count = static_cast<std::uint32_t>(std::min<std::size_t>(ref.args.size(), abi::MAX_ARGS));
  std::copy_n(ref.args.begin(), out.item.arg_count, out.item.args.begin());
  out.label = m_names.name_of(ref.opcode);
  return out;
}

JobItemRef JobItems::Iterator::operator*() const {
  const std::uint32_t* record = m_items->m_blocks[m_block].data() + m_offset;
  return JobItemRef{static_cast<JobItemKind>(record[0] & 3u), record[1], record[2],
                    std::span<const std::uint32_t>(record + 3, count_of(record[0]))};
}

JobItems::Iterator& JobItems::Iterator::operator++() {
  const auto& block = m_items->m_blocks[m_block];
  m_offset += stride_of(block[m_offset]);
  if (m_offset >= block.size()) {
    ++m_block;
    m_offset = 0;
  }
  ++m_index;
  return *this;
}

void JobItems::Record::set_word_count(std::uint32_t count) noexcept {
  const std::uint32_t now = count_of(*m_meta);
  if (count >= now) return;
  const std::uint32_t slack = ((*m_meta >> 16) & 31u) + (now - count);
  *m_meta = (*m_meta & 0xFF03u) | (count << 2) | (slack << 16);
}

}  // namespace mk::cli
