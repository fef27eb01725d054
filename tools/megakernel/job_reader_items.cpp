// Job reader: work items (single op, packed slot, batch fence) placed in slots 0, 1, 2, ...
#include <string>
#include <vector>

#include "job_reader_detail.h"
#include "mk/abi.h"
#include "mk/protocol.h"

namespace mk::cli::detail {
namespace {

std::vector<std::uint32_t> args_at(const Json* args, const std::string& path, std::uint32_t max_args,
                                   std::string_view fix) {
  std::vector<std::uint32_t> out;
  if (!args) return out;
  array_at(*args, path);
  if (args->size() > max_args) {
    fail_at(path, std::to_string(args->size()) + " arguments, at most " + std::to_string(max_args) + " fit",
            std::string(fix));
  }
  for (std::size_t k = 0; k < args->size(); ++k) out.push_back(u32_at((*args)[k], path_index(path, k)));
  return out;
}

WorkItem op_item(const Json& entry, const std::string& path, std::uint32_t tenant, const JobOpcodes& opcodes) {
  const std::uint32_t opcode = opcode_at(*member(entry, "op"), path_key(path, "op"), opcodes);
  const auto args = args_at(member(entry, "args"), path_key(path, "args"), abi::MAX_ARGS,
                            "a slot holds at most 12 argument words; split the work into several items");
  auto item = WorkItem::make(opcode, tenant, args);
  if (!item) fail_at(path_key(path, "args"), item.error().message(), item.error().fix());
  return *item;
}

WorkItem packed_item(const Json& packed, const std::string& path, std::uint32_t tenant, const JobOpcodes& opcodes) {
  array_at(packed, path);
  if (packed.empty() || packed.size() > abi::PACKED_MAX_OPS) {
    fail_at(path,
            std::to_string(packed.size()) + " inner ops, a packed slot holds 1.." + std::to_string(abi::PACKED_MAX_OPS),
            "split the ops over several packed items");
  }
  std::vector<PackedOp> ops;
  std::size_t words = 0;
  for (std::size_t k = 0; k < packed.size(); ++k) {
    const std::string op_path = path_index(path, k);
    const Json& inner = object_at(packed[k], op_path, {"op", "args"});
    const Json* op = member(inner, "op");
    if (!op) fail_at(op_path, "missing \"op\"", "add \"op\": an opcode name or id below 256");
    PackedOp out;
    out.opcode = opcode_at(*op, path_key(op_path, "op"), opcodes);
    if (out.opcode > 0xFFu) {
      fail_at(path_key(op_path, "op"), opcodes.name_of(out.opcode) + " cannot be packed: inner opcode ids are u8",
              "publish it as its own item with \"op\"");
    }
    out.args = args_at(member(inner, "args"), path_key(op_path, "args"), abi::PACKED_MAX_WORDS,
                       "a packed slot holds at most 9 argument words in all; split it");
    words += out.args.size();
    if (words > abi::PACKED_MAX_WORDS) {
      fail_at(path_key(op_path, "args"),
              "the inner ops use " + std::to_string(words) + " argument words, a packed slot holds at most " +
                  std::to_string(abi::PACKED_MAX_WORDS),
              "split the ops over several packed items");
    }
    ops.push_back(std::move(out));
  }
  auto item = try_make_packed_item(tenant, ops);
  if (!item) fail_at(path, item.error().message(), item.error().fix());
  return *item;
}

}  // namespace

void read_items(const Json* items, Job& job, const JobOpcodes& opcodes) {
  if (!items) return;
  array_at(*items, "items");
  if (items->size() > job.slot_count) {
    fail_at("items",
            std::to_string(items->size()) + " items do not fit a ring of " + std::to_string(job.slot_count) +
                " slots (item i goes to slot i)",
            "raise slot_count (a multiple of workgroup_size_x) or split the job");
  }
  std::uint32_t fence_start = 0;  // first slot the next fence covers
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string path = path_index("items", i);
    const Json& entry = object_at((*items)[i], path, {"tenant", "op", "args", "packed", "fence"});
    const int forms = int{member(entry, "op") != nullptr} + int{member(entry, "packed") != nullptr} +
                      int{member(entry, "fence") != nullptr};
    if (forms != 1) {
      fail_at(path,
              forms == 0 ? "an item needs one of \"op\", \"packed\" or \"fence\""
                         : "an item has exactly one of \"op\", \"packed\" or \"fence\"",
              "write {\"op\": \"STORE_U32\", \"args\": [3, 7]}, {\"packed\": [...]} or {\"fence\": {\"tag\": 1}}");
    }
    if (member(entry, "args") && !member(entry, "op")) {
      fail_at(path_key(path, "args"), "\"args\" belongs to an \"op\" item",
              "move the arguments into the packed ops, or drop them for a fence");
    }
    std::uint32_t tenant = 0;
    if (const Json* t = member(entry, "tenant")) {
      tenant = u32_at(*t, path_key(path, "tenant"));
      if (tenant >= job.tenants.size()) {
        fail_at(path_key(path, "tenant"),
                "tenant " + std::to_string(tenant) + " is out of range: the job has " +
                    std::to_string(job.tenants.size()) + " tenant(s), ids 0.." + std::to_string(job.tenants.size() - 1),
                "use a listed tenant id or add the tenant under \"tenants\"");
      }
    }
    const auto slot = static_cast<std::uint32_t>(i);
    JobItem out;
    if (member(entry, "op")) {
      out.kind = JobItemKind::Op;
      out.item = op_item(entry, path, tenant, opcodes);
      out.label = opcodes.name_of(out.item.opcode);
    } else if (const Json* packed = member(entry, "packed")) {
      out.kind = JobItemKind::Packed;
      out.item = packed_item(*packed, path_key(path, "packed"), tenant, opcodes);
      out.label = opcodes.name_of(abi::OP_PACKED_SLOT);
    } else {
      const std::string fence_path = path_key(path, "fence");
      const Json& fence = object_at(*member(entry, "fence"), fence_path, {"tag"});
      const Json* tag = member(fence, "tag");
      if (!tag)
        fail_at(fence_path, "missing \"tag\"", "add \"tag\": the u32 LAST_FENCE_TAG takes when the fence completes");
      const std::uint32_t args[3] = {fence_start, slot - fence_start, u32_at(*tag, path_key(fence_path, "tag"))};
      out.kind = JobItemKind::Fence;
      out.item = *WorkItem::make(abi::OP_BATCH_FENCE, tenant, args);
      out.label = opcodes.name_of(abi::OP_BATCH_FENCE);
      fence_start = slot + 1;
    }
    job.items.push_back(std::move(out));
  }
}

}  // namespace mk::cli::detail
