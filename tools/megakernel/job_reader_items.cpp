// Job reader: work items (single op, packed slot, batch fence) placed in slots 0, 1, 2, ...
// Read one at a time as the parser streams them, into compact records (ItemStage).
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "job_reader_detail.h"
#include "mk/abi.h"
#include "mk/protocol.h"

namespace mk::cli::detail {
namespace {

// A staged record whose opcode word is an index into ItemStage::m_names.
constexpr std::uint8_t MARK_NAMED = 1;
// In a staged packed record's words: the inner op's opcode word is a name index.
constexpr std::uint32_t PACKED_OP_NAMED = 1;
// A staged packed record: [op count] then per op [opcode][named | args << 1][args...],
// at most 1 + 4 * 2 + 9 words, and never fewer than the MAX_ARGS words it is
// rewritten into once the names are known.
constexpr std::size_t STAGED_PACKED_WORDS = 1 + 2 * abi::PACKED_MAX_OPS + abi::PACKED_MAX_WORDS;

struct Words {
  std::array<std::uint32_t, STAGED_PACKED_WORDS> word{};
  std::uint32_t count = 0;
  std::span<const std::uint32_t> span() const { return {word.data(), count}; }
};

// An item's opcode as written: an id (built-in names resolve at once: a custom opcode
// may not take a built-in name), or while staging the index of another name.
struct OpcodeRef {
  std::uint32_t value = 0;
  bool named = false;
};

Words args_at(const Json* args, const std::string& path, std::uint32_t max_args, std::string_view fix) {
  Words out;
  if (!args) return out;
  array_at(*args, path);
  if (args->size() > max_args) {
    fail_at(path, std::to_string(args->size()) + " arguments, at most " + std::to_string(max_args) + " fit",
            std::string(fix));
  }
  for (std::size_t k = 0; k < args->size(); ++k) {
    const Json& arg = (*args)[k];
    // The common case without building the argument's path.
    out.word[k] = arg.is_number_unsigned() && arg.get<std::uint64_t>() <= 0xFFFFFFFFu
                      ? static_cast<std::uint32_t>(arg.get<std::uint64_t>())
                      : u32_at(arg, path_index(path, k));
  }
  out.count = static_cast<std::uint32_t>(args->size());
  return out;
}

// With tables: opcode_at. While staging: the checks that need no table; a name that is
// not built in is interned. More distinct names than a job can define means one of
// them is unknown: the item is refused (an empty JobFailure) for the full check.
OpcodeRef opcode_ref_at(const Json& value, std::string_view path, const ItemTables* tables,
                        std::vector<std::string>& names) {
  if (tables) return {opcode_at(value, path, tables->opcodes), false};
  if (!value.is_string()) return {opcode_id_at(value, path), false};
  const auto& name = value.get_ref<const std::string&>();
  if (auto builtin = find_builtin_opcode(name)) return {*builtin, false};
  const auto seen = std::find(names.begin(), names.end(), name);
  if (seen != names.end()) return {static_cast<std::uint32_t>(seen - names.begin()), true};
  if (names.size() == abi::MAX_CUSTOM_OPCODES) throw JobFailure(JobError{});
  names.push_back(name);
  return {static_cast<std::uint32_t>(names.size() - 1), true};
}

void check_item_tenant(std::uint32_t tenant, const std::string& path, const Job& job) {
  if (tenant >= job.tenants.size()) {
    fail_at(path,
            "tenant " + std::to_string(tenant) + " is out of range: the job has " + std::to_string(job.tenants.size()) +
                " tenant(s), ids 0.." + std::to_string(job.tenants.size() - 1),
            "use a listed tenant id or add the tenant under \"tenants\"");
  }
}

void check_packable(std::uint32_t opcode, const std::string& path, const JobOpcodes& opcodes) {
  if (opcode > 0xFFu) {
    fail_at(path, opcodes.name_of(opcode) + " cannot be packed: inner opcode ids are u8",
            "publish it as its own item with \"op\"");
  }
}

Words packed_words(const Json& packed, const std::string& path, const ItemTables* tables,
                   std::vector<std::string>& names) {
  array_at(packed, path);
  if (packed.empty() || packed.size() > abi::PACKED_MAX_OPS) {
    fail_at(path,
            std::to_string(packed.size()) + " inner ops, a packed slot holds 1.." + std::to_string(abi::PACKED_MAX_OPS),
            "split the ops over several packed items");
  }
  Words out;
  out.word[0] = static_cast<std::uint32_t>(packed.size());
  std::uint32_t at = 1;
  std::size_t words = 0;
  for (std::size_t k = 0; k < packed.size(); ++k) {
    const std::string op_path = path_index(path, k);
    const Json& inner = object_at(packed[k], op_path, {"op", "args"});
    const Json* op = member(inner, "op");
    if (!op) fail_at(op_path, "missing \"op\"", "add \"op\": an opcode name or id below 256");
    const OpcodeRef ref = opcode_ref_at(*op, path_key(op_path, "op"), tables, names);
    if (tables) check_packable(ref.value, path_key(op_path, "op"), tables->opcodes);
    const Words args = args_at(member(inner, "args"), path_key(op_path, "args"), abi::PACKED_MAX_WORDS,
                               "a packed slot holds at most 9 argument words in all; split it");
    words += args.count;
    if (words > abi::PACKED_MAX_WORDS) {
      fail_at(path_key(op_path, "args"),
              "the inner ops use " + std::to_string(words) + " argument words, a packed slot holds at most " +
                  std::to_string(abi::PACKED_MAX_WORDS),
              "split the ops over several packed items");
    }
    out.word[at++] = ref.value;
    out.word[at++] = (ref.named ? PACKED_OP_NAMED : 0u) | (args.count << 1);
    std::copy_n(args.word.begin(), args.count, out.word.begin() + at);
    at += args.count;
  }
  out.count = std::max<std::uint32_t>(at, abi::MAX_ARGS);
  return out;
}

// Item `index` into `out`, every check in the order a reader of the whole document
// makes them; without tables the checks that need them are left to ItemStage::finish.
void read_item(const Json& value, std::size_t index, std::uint32_t& fence_start, const ItemTables* tables,
               std::vector<std::string>& names, JobItems& out) {
  const std::string path = path_index("items", index);
  const Json& entry = object_at(value, path, {"tenant", "op", "args", "packed", "fence"});
  const Json* op = member(entry, "op");
  const Json* packed = member(entry, "packed");
  const Json* fence_json = member(entry, "fence");
  const int forms = int{op != nullptr} + int{packed != nullptr} + int{fence_json != nullptr};
  if (forms != 1) {
    fail_at(path,
            forms == 0 ? "an item needs one of \"op\", \"packed\" or \"fence\""
                       : "an item has exactly one of \"op\", \"packed\" or \"fence\"",
            "write {\"op\": \"STORE_U32\", \"args\": [3, 7]}, {\"packed\": [...]} or {\"fence\": {\"tag\": 1}}");
  }
  const Json* args = member(entry, "args");
  if (args && !op) {
    fail_at(path_key(path, "args"), "\"args\" belongs to an \"op\" item",
            "move the arguments into the packed ops, or drop them for a fence");
  }
  std::uint32_t tenant = 0;
  if (const Json* t = member(entry, "tenant")) {
    tenant = u32_at(*t, path_key(path, "tenant"));
    if (tables) check_item_tenant(tenant, path_key(path, "tenant"), tables->job);
  }
  const auto slot = static_cast<std::uint32_t>(index);
  if (op) {
    const OpcodeRef ref = opcode_ref_at(*op, path_key(path, "op"), tables, names);
    // At most MAX_ARGS words: WorkItem::make takes them all.
    const Words words = args_at(args, path_key(path, "args"), abi::MAX_ARGS,
                                "a slot holds at most 12 argument words; split the work into several items");
    out.push(JobItemKind::Op, ref.value, tenant, words.span(), ref.named ? MARK_NAMED : 0);
  } else if (packed) {
    const Words words = packed_words(*packed, path_key(path, "packed"), tables, names);
    out.push(JobItemKind::Packed, abi::OP_PACKED_SLOT, tenant, words.span());
  } else {
    const std::string fence_path = path_key(path, "fence");
    const Json& fence = object_at(*fence_json, fence_path, {"tag"});
    const Json* tag = member(fence, "tag");
    if (!tag)
      fail_at(fence_path, "missing \"tag\"", "add \"tag\": the u32 LAST_FENCE_TAG takes when the fence completes");
    const std::uint32_t words[3] = {fence_start, slot - fence_start, u32_at(*tag, path_key(fence_path, "tag"))};
    out.push(JobItemKind::Fence, abi::OP_BATCH_FENCE, tenant, words);
    fence_start = slot + 1;
  }
}

// The table checks staging left for one record, in read_item's order; names resolved
// in place and a packed record encoded.
class RecordResolver {
 public:
  RecordResolver(const ItemTables& tables, const std::vector<std::string>& names) : m_tables(tables), m_names(names) {
    // Each name once, not once per item.
    for (const auto& name : names) m_named.push_back(tables.opcodes.find_name(name));
  }

  void operator()(std::size_t index, JobItems::Record& record) const {
    if (record.tenant() >= m_tables.job.tenants.size())
      check_item_tenant(record.tenant(), path_key(path_index("items", index), "tenant"), m_tables.job);
    if (record.kind() == JobItemKind::Op) {
      record.set_opcode(resolve({record.opcode(), (record.mark() & MARK_NAMED) != 0}, index, nullptr));
      record.set_mark(0);
    } else if (record.kind() == JobItemKind::Packed) {
      encode_packed(index, record);
    }
  }

 private:
  // `inner`: the packed op's index, or nullptr for the item's own "op".
  std::uint32_t resolve(OpcodeRef ref, std::size_t index, const std::size_t* inner) const {
    if (ref.named) {
      if (const auto& id = m_named[ref.value]) return *id;
      return opcode_named(m_names[ref.value], op_path(index, inner), m_tables.opcodes);  // throws: unknown name
    }
    if (m_tables.opcodes.known_id(ref.value)) return ref.value;
    return known_opcode_id(ref.value, op_path(index, inner), m_tables.opcodes);  // throws: unknown id
  }
  static std::string op_path(std::size_t index, const std::size_t* inner) {
    const std::string item = path_index("items", index);
    return inner ? path_key(path_index(path_key(item, "packed"), *inner), "op") : path_key(item, "op");
  }
  void encode_packed(std::size_t index, JobItems::Record& record) const {
    const std::span<std::uint32_t> words = record.words();
    std::vector<PackedOp> ops(words[0]);
    std::size_t at = 1;
    for (std::size_t k = 0; k < ops.size(); ++k) {
      const OpcodeRef ref{words[at], (words[at + 1] & PACKED_OP_NAMED) != 0};
      const std::uint32_t count = words[at + 1] >> 1;
      ops[k].opcode = resolve(ref, index, &k);
      if (ops[k].opcode > 0xFFu) check_packable(ops[k].opcode, op_path(index, &k), m_tables.opcodes);
      ops[k].args.assign(words.begin() + at + 2, words.begin() + at + 2 + count);
      at += 2 + count;
    }
    auto item = try_make_packed_item(record.tenant(), ops);
    if (!item) fail_at(path_key(path_index("items", index), "packed"), item.error().message(), item.error().fix());
    std::copy_n(item->args.begin(), item->arg_count, words.begin());
    record.set_word_count(item->arg_count);
  }

  const ItemTables& m_tables;
  const std::vector<std::string>& m_names;
  std::vector<std::optional<std::uint32_t>> m_named;
};

}  // namespace

void ItemStage::add(std::size_t index, Json&& entry) {
  ++m_count;
  if (m_refused) return;  // only counted: the job fails at or before the refused item
  const std::uint32_t fence_start = m_fence_start;
  try {
    read_item(entry, index, m_fence_start, nullptr, m_names, m_items);
  } catch (const JobFailure&) {
    m_refused = std::move(entry);
    m_refused_index = index;
    m_refused_fence_start = fence_start;
  }
}

void ItemStage::finish(Job& job, const JobOpcodes& opcodes) {
  if (m_count > job.slot_count) {
    fail_at("items",
            std::to_string(m_count) + " items do not fit a ring of " + std::to_string(job.slot_count) +
                " slots (item i goes to slot i)",
            "raise slot_count (a multiple of workgroup_size_x) or split the job");
  }
  const ItemTables tables{job, opcodes};
  m_items.rewrite(RecordResolver(tables, m_names));
  if (m_refused) {
    // Every item before it is good: its own first error is the job's.
    JobItems scratch;
    std::vector<std::string> names;
    read_item(*m_refused, m_refused_index, m_refused_fence_start, &tables, names, scratch);
    fail_at(path_index("items", m_refused_index), "the job reader could not read this item",
            "report this with the job file attached");
  }
  m_items.set_names(opcodes);
  job.items = std::move(m_items);
}

void read_items(const Json* items, Job& job, const JobOpcodes& opcodes) {
  if (!items) return;
  array_at(*items, "items");
  ItemStage stage;
  for (std::size_t i = 0; i < items->size(); ++i) stage.add(i, Json((*items)[i]));
  stage.finish(job, opcodes);
}

}  // namespace mk::cli::detail
