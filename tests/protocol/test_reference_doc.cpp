// docs/reference.md against abi.h: the doc's opcode and fault tables must match the code.
//
// What this catches: a built-in added, renamed, renumbered or given new arguments in
// abi::BUILTIN_OPCODE_TABLE without the reference following (or the reverse: a doc row
// for an opcode that does not exist), and fault codes whose names drifted. The negative
// cases edit a copy of the doc so the checker is shown to fail.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "protocol_test_util.h"

#ifndef MK_REFERENCE_DOC
#error "tests/protocol/CMakeLists.txt defines MK_REFERENCE_DOC as the path of docs/reference.md"
#endif

namespace mk {
namespace {

std::string read_reference() {
  std::ifstream in(MK_REFERENCE_DOC, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

// Cells of a Markdown table row "| a | b |" -> {"a", "b"}.
std::vector<std::string> cells_of(std::string_view line) {
  std::vector<std::string> cells;
  std::string_view rest = line.substr(1);  // after the leading '|'
  while (!rest.empty()) {
    const auto bar = rest.find('|');
    if (bar == std::string_view::npos) break;
    cells.push_back(trim(rest.substr(0, bar)));
    rest.remove_prefix(bar + 1);
  }
  return cells;
}

// The `quoted` words of a cell, in order.
std::vector<std::string> code_spans(const std::string& cell) {
  static const std::regex span("`([^`]*)`");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(cell.begin(), cell.end(), span); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

// Body rows of the first table whose header row starts with `header`.
std::vector<std::vector<std::string>> table_rows(std::string_view doc, std::string_view header) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines{std::string(doc)};
  std::string line;
  bool in_table = false;
  bool past_separator = false;
  while (std::getline(lines, line)) {
    if (!in_table) {
      in_table = line.rfind(header, 0) == 0;
      continue;
    }
    if (line.empty() || line[0] != '|') break;
    if (!past_separator) {
      past_separator = true;  // the |---|---| line
      continue;
    }
    rows.push_back(cells_of(line));
  }
  return rows;
}

std::string joined(const std::vector<std::string>& words, std::string_view separator = ", ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? std::string() : std::string(separator)) + w;
  return out;
}

constexpr std::string_view OPCODE_HEADER = "| id | index | name | arguments";
constexpr std::string_view FAULT_HEADER = "| code | name | raised when |";
constexpr std::size_t OPCODE_COLUMNS = 7;  // id, index, name, arguments, RESULT, faults, steps

// Every way the doc's opcode table disagrees with abi::BUILTIN_OPCODE_TABLE.
std::vector<std::string> opcode_mismatches(std::string_view doc) {
  std::vector<std::string> out;
  const auto rows = table_rows(doc, OPCODE_HEADER);
  if (rows.empty()) out.push_back("no opcode table (a header row starting \"" + std::string(OPCODE_HEADER) + "\")");
  std::set<std::uint32_t> seen;
  for (const auto& cells : rows) {
    if (cells.size() != OPCODE_COLUMNS) {
      out.push_back("row \"" + joined(cells) + "\" has " + std::to_string(cells.size()) + " cells, want " +
                    std::to_string(OPCODE_COLUMNS));
      continue;
    }
    const auto names = code_spans(cells[2]);
    const std::string name = names.size() == 1 ? names[0] : cells[2];
    const auto id = find_builtin_opcode(name);
    if (!id) {
      out.push_back("row " + name + ": not a built-in opcode");
      continue;
    }
    const abi::BuiltinOpcode& row = abi::BUILTIN_OPCODE_TABLE[abi::builtin_index(*id)];
    if (!seen.insert(row.index).second) out.push_back("row " + name + ": listed twice");
    try {
      if (std::stoull(cells[0], nullptr, 0) != row.id)
        out.push_back(name + ": id " + cells[0] + ", abi.h says " + std::to_string(row.id));
      if (std::stoull(cells[1], nullptr, 0) != row.index)
        out.push_back(name + ": index " + cells[1] + ", abi.h says " + std::to_string(row.index));
    } catch (const std::exception&) {
      out.push_back(name + ": id or index is not a number (\"" + cells[0] + "\", \"" + cells[1] + "\")");
    }
    std::vector<std::string> want_args;
    for (std::uint32_t k = 0; k < abi::builtin_arg_count(row.index); ++k) want_args.emplace_back(row.args[k]);
    const auto args = code_spans(cells[3]);
    if (args != want_args) {
      out.push_back(name + ": arguments [" + joined(args) + "], abi.h says [" + joined(want_args) + "]");
    }
    if (cells[4].find(row.result) == std::string::npos) {
      out.push_back(name + ": RESULT \"" + cells[4] + "\" does not say \"" + row.result + "\"");
    }
    for (const auto& fault : code_spans(cells[5])) {
      bool known = false;
      for (std::uint32_t f = 1; f < abi::FAULT_CODE_COUNT; ++f) known = known || fault_name(f) == fault;
      if (!known) out.push_back(name + ": fault " + fault + " is not a fault code");
    }
    const std::string steps = row.single_step ? "one" : "several";
    if (cells[6] != steps) out.push_back(name + ": steps \"" + cells[6] + "\", abi.h says \"" + steps + "\"");
  }
  for (const abi::BuiltinOpcode& row : abi::BUILTIN_OPCODE_TABLE) {
    if (!seen.count(row.index)) out.push_back(std::string(row.name) + ": no row in the opcode table");
  }
  return out;
}

// Every way the doc's fault table disagrees with the fault codes.
std::vector<std::string> fault_mismatches(std::string_view doc) {
  std::vector<std::string> out;
  std::set<std::uint32_t> seen;
  for (const auto& cells : table_rows(doc, FAULT_HEADER)) {
    const auto names = code_spans(cells.size() > 1 ? cells[1] : std::string());
    std::uint32_t code = 0;
    try {
      code = static_cast<std::uint32_t>(std::stoul(cells.empty() ? std::string() : cells[0]));
    } catch (const std::exception&) {
      out.push_back("fault row \"" + joined(cells) + "\": no code");
      continue;
    }
    if (names.size() != 1 || fault_name(code) != names[0]) {
      out.push_back("fault " + std::to_string(code) + ": doc says [" + joined(names) + "], abi.h says " +
                    std::string(fault_name(code)));
    }
    if (!seen.insert(code).second) out.push_back("fault " + std::to_string(code) + ": listed twice");
  }
  for (std::uint32_t f = 1; f < abi::FAULT_CODE_COUNT; ++f) {
    if (!seen.count(f)) out.push_back("fault " + std::string(fault_name(f)) + ": no row in the fault table");
  }
  return out;
}

// The doc with the first occurrence of `from` replaced by `to` (which must exist).
std::string edited(std::string doc, std::string_view from, std::string_view to) {
  const auto at = doc.find(from);
  EXPECT_NE(at, std::string::npos) << "the negative case needs \"" << from << "\" in the doc";
  if (at != std::string::npos) doc.replace(at, from.size(), to);
  return doc;
}

TEST(ReferenceDoc, IsThere) { EXPECT_FALSE(read_reference().empty()) << "cannot read " << MK_REFERENCE_DOC; }

TEST(ReferenceDoc, OpcodeTableMatchesAbi) {
  const auto problems = opcode_mismatches(read_reference());
  EXPECT_TRUE(problems.empty()) << "docs/reference.md section 2 disagrees with abi::BUILTIN_OPCODE_TABLE:\n  "
                                << joined(problems, "\n  ");
}

TEST(ReferenceDoc, FaultTableMatchesAbi) {
  const auto problems = fault_mismatches(read_reference());
  EXPECT_TRUE(problems.empty()) << "docs/reference.md section 3 disagrees with the fault codes:\n  "
                                << joined(problems, "\n  ");
}

TEST(ReferenceDoc, CheckerFailsOnEditedRows) {
  const std::string doc = read_reference();
  // MEMCPY's arguments in the wrong order: the mistake this table exists to prevent.
  EXPECT_FALSE(opcode_mismatches(edited(doc, "`dst`, `src`, `count`", "`src`, `dst`, `count`")).empty());
  // A renumbered id, a wrong index, a dropped argument, a wrong step count.
  EXPECT_FALSE(opcode_mismatches(edited(doc, "| 0xFFFD | 8 |", "| 0xFFFC | 8 |")).empty());
  EXPECT_FALSE(opcode_mismatches(edited(doc, "| 0xFFFE | 9 |", "| 0xFFFE | 10 |")).empty());
  EXPECT_FALSE(opcode_mismatches(edited(doc, "`first_slot`, `count`, `tag`", "`first_slot`, `count`")).empty());
  EXPECT_FALSE(opcode_mismatches(edited(doc, "`BAD_ARGS` | several", "`BAD_ARGS` | one")).empty());
  // A RESULT that says something else, an unknown fault name.
  EXPECT_FALSE(opcode_mismatches(edited(doc, "| bytes delivered |", "| 0 |")).empty());
  EXPECT_FALSE(opcode_mismatches(edited(doc, "`IO_QUEUE_FULL`, `IO_ERROR`", "`QUEUE_FULL`, `IO_ERROR`")).empty());
  // An extra built-in row, a missing one, a duplicated one.
  const std::string nop_row = "| 0x0 | 0 | `NOP` | — | 0 | — | one |\n";
  EXPECT_FALSE(opcode_mismatches(edited(doc, nop_row, nop_row + "| 0xC | 12 | `SLEEP` | — | 0 | — | one |\n")).empty());
  EXPECT_FALSE(opcode_mismatches(edited(doc, nop_row, "")).empty());
  EXPECT_FALSE(opcode_mismatches(edited(doc, nop_row, nop_row + nop_row)).empty());
  // A fault renamed.
  EXPECT_FALSE(fault_mismatches(edited(doc, "| 6 | `IO_ERROR` |", "| 6 | `IO_FAILED` |")).empty());
  // No table at all.
  EXPECT_FALSE(opcode_mismatches("# nothing here\n").empty());
}

// The table's single-step flag against what other paths assume: an op that may need
// several steps cannot be one compact-batch item (an item runs exactly one step).
TEST(OpcodeTable, MultiStepBuiltinsAreRefusedByCompactBatches) {
  for (const abi::BuiltinOpcode& row : abi::BUILTIN_OPCODE_TABLE) {
    if (!row.single_step) {
      EXPECT_TRUE(abi::batch_refuses_opcode(row.id)) << row.name;
    }
  }
}

TEST(OpcodeTable, NamesAndIndicesComeFromTheTable) {
  for (const abi::BuiltinOpcode& row : abi::BUILTIN_OPCODE_TABLE) {
    EXPECT_EQ(builtin_opcode_name(row.id), row.name);
    EXPECT_EQ(find_builtin_opcode(row.name), row.id);
    EXPECT_EQ(abi::builtin_index(row.id), row.index);
    EXPECT_EQ(abi::BUILTIN_OPCODE_IDS[row.index], row.id);
    EXPECT_TRUE(abi::is_system_opcode(row.id)) << row.name;
  }
  // The documented argument words (MEMCPY: destination first).
  EXPECT_EQ(abi::builtin_arg_word(abi::IDX_MEMCPY, "dst"), 0u);
  EXPECT_EQ(abi::builtin_arg_word(abi::IDX_MEMCPY, "src"), 1u);
  EXPECT_EQ(abi::builtin_arg_word(abi::IDX_MEMCPY, "count"), 2u);
  EXPECT_EQ(abi::builtin_arg_word(abi::IDX_MEMCPY, "size"), abi::MAX_ARGS);
  EXPECT_EQ(abi::FENCE_ARG_TAG, 2u);
  EXPECT_EQ(abi::DFA_ARG_BYTES, 4u);
  EXPECT_EQ(abi::LOAD_MISS_ARG_DEST, 4u);
  EXPECT_EQ(abi::PACKED_ARG_WORDS, 3u);
}

// builtin_index and is_system_opcode as they were spelled before the table, by hand.
std::uint32_t hand_builtin_index(std::uint32_t opcode) {
  if (opcode <= 7) return opcode;
  switch (opcode) {
    case 0xFFFDu:
      return 8;
    case 0xFFFEu:
      return 9;
    case 0x80000001u:
      return 10;
    case 0xFFFFFFFFu:
      return 11;
    default:
      return abi::NO_OPCODE_INDEX;
  }
}
bool hand_is_system_opcode(std::uint32_t opcode) {
  return (opcode & 0x80000000u) != 0 || (opcode >= 0xFFF0u && opcode <= 0xFFFFu) || opcode <= 7;
}

TEST(OpcodeTable, LookupsMatchTheHandWrittenForms) {
  auto check = [](std::uint32_t id) {
    EXPECT_EQ(abi::builtin_index(id), hand_builtin_index(id)) << id;
    EXPECT_EQ(abi::is_system_opcode(id), hand_is_system_opcode(id)) << id;
  };
  for (std::uint32_t id = 0; id < 0x20000u; ++id) check(id);
  for (std::uint32_t id = 0x7FFFFF00u; id != 0x80000100u; ++id) check(id);
  for (std::uint32_t id = 0xFFFFFF00u; id != 0; ++id) check(id);
}

// is_system_opcode's edges: unchanged by deriving its dense range from the table.
TEST(OpcodeTable, SystemRangeEdges) {
  for (std::uint32_t id : {0u, 7u, 0xFFF0u, 0xFFFFu, 0x80000000u, 0xFFFFFFFFu}) {
    EXPECT_TRUE(abi::is_system_opcode(id)) << id;
  }
  for (std::uint32_t id : {8u, 255u, 0xFFEFu, 0x10000u, 0x7FFFFFFFu}) {
    EXPECT_FALSE(abi::is_system_opcode(id)) << id;
    EXPECT_EQ(abi::builtin_index(id), abi::NO_OPCODE_INDEX) << id;
  }
}

}  // namespace
}  // namespace mk
