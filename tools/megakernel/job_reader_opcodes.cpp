// Job reader: custom opcodes (id, name, IR body) and opcode name/id resolution.
#include <set>
#include <span>
#include <string>

#include "job_reader_detail.h"
#include "mk/abi.h"
#include "mk/protocol.h"

#if __has_include("mk/ir_json.h")
#include "mk/ir_json.h"
#define MK_CLI_HAVE_IR_JSON 1
#else
#define MK_CLI_HAVE_IR_JSON 0
#endif

namespace mk::cli::detail {
namespace {

// IR errors arrive as "opcodes[2].body[3].value: what"; keep that path as the location.
[[noreturn]] void fail_ir(const Error& error, const std::string& path) {
  const std::string& text = error.message();
  const auto colon = text.find(": ");
  if (colon != std::string::npos && text.compare(0, path.size(), path) == 0) {
    fail_at(text.substr(0, colon), text.substr(colon + 2), error.fix());
  }
  fail_at(path_key(path, "body"), text, error.fix());
}

// Validation errors read `opcode 4096 "name" body[2].then[0]: what`; turn the node path
// into a job path (opcodes[i].body[2].then[0]).
[[noreturn]] void fail_validation(const Error& error, const std::string& path) {
  const std::string& text = error.message();
  const auto body = text.find(" body");
  const auto colon = body == std::string::npos ? std::string::npos : text.find(": ", body);
  if (text.rfind("opcode ", 0) == 0 && colon != std::string::npos) {
    fail_at(path + "." + text.substr(body + 1, colon - body - 1), text.substr(colon + 2), error.fix());
  }
  fail_at(path_key(path, "body"), text, error.fix());
}

OpcodeHandler handler_at(const Json& entry, const std::string& path, std::uint32_t opcode, const std::string& name) {
#if MK_CLI_HAVE_IR_JSON
  auto handler = ir::handler_from_json(entry, path);
  if (!handler) fail_ir(handler.error(), path);
  handler->opcode = opcode;
  handler->name = name;
  // Body rules (bound variables, loop bounds, fault codes, ...) are job errors too.
  if (auto valid = ir::validate_handlers(std::span<const OpcodeHandler>(&*handler, 1)); !valid) {
    fail_validation(valid.error(), path);
  }
  return std::move(*handler);
#else
  (void)entry;
  (void)opcode;
  (void)name;
  fail_at(path_key(path, "body"),
          "Unsupported: this build of megakernel cannot read custom opcode bodies (no IR JSON reader, mk/ir_json.h)",
          "remove \"opcodes\" from the job or rebuild megakernel with the IR library");
#endif
}

}  // namespace

JobOpcodes job_opcodes(const Job& job) {
  std::vector<CustomOpcode> custom;
  for (const auto& handler : job.opcodes) custom.push_back({handler.opcode, handler.name});
  return JobOpcodes(std::move(custom));
}

std::uint32_t opcode_at(const Json& value, std::string_view path, const JobOpcodes& opcodes) {
  if (value.is_string()) return opcode_named(value.get<std::string>(), path, opcodes);
  return known_opcode_id(opcode_id_at(value, path), path, opcodes);
}

std::uint32_t opcode_id_at(const Json& value, std::string_view path) {
  if (!value.is_number()) {
    fail_at(std::string(path), "expected an opcode name or id, found " + std::string(kind_of(value)),
            "write a name such as \"STORE_U32\" or a numeric opcode id");
  }
  return u32_at(value, path);
}

std::uint32_t opcode_named(const std::string& name, std::string_view path, const JobOpcodes& opcodes) {
  if (auto id = opcodes.find_name(name)) return *id;
  fail_at(std::string(path), "unknown opcode name " + quote_text(name),
          "use one of " + opcodes.known_names() + " (or define it under \"opcodes\")");
}

std::uint32_t known_opcode_id(std::uint32_t id, std::string_view path, const JobOpcodes& opcodes) {
  if (!opcodes.known_id(id)) {
    fail_at(std::string(path), "unknown opcode id " + std::to_string(id) + " (" + hex_u32(id) + ")",
            "use a built-in opcode id or one defined under \"opcodes\"; names are clearer: " + opcodes.known_names());
  }
  return id;
}

void read_opcodes(const Json* opcodes, Job& job) {
  if (!opcodes) return;
  array_at(*opcodes, "opcodes");
  if (opcodes->size() > abi::MAX_CUSTOM_OPCODES) {
    fail_at("opcodes",
            std::to_string(opcodes->size()) + " custom opcodes, at most " + std::to_string(abi::MAX_CUSTOM_OPCODES) +
                " fit the opcode table",
            "merge opcodes or split the job");
  }
  std::set<std::uint32_t> ids;
  std::set<std::string> names;
  for (std::size_t i = 0; i < opcodes->size(); ++i) {
    const std::string path = path_index("opcodes", i);
    const Json& entry = object_at((*opcodes)[i], path, {"opcode", "name", "body"});
    const Json* opcode = member(entry, "opcode");
    const Json* name = member(entry, "name");
    if (!opcode) fail_at(path, "missing \"opcode\"", "add \"opcode\": an id outside the system range, e.g. 4096");
    if (!name) fail_at(path, "missing \"name\"", "add \"name\": the name items use to call it");
    if (!member(entry, "body")) fail_at(path, "missing \"body\"", "add \"body\": the IR statements of the opcode");
    const std::uint32_t id = u32_at(*opcode, path_key(path, "opcode"));
    if (abi::is_system_opcode(id)) {
      fail_at(path_key(path, "opcode"),
              "custom opcode " + std::to_string(id) + " (" + hex_u32(id) +
                  ") is in the system range (<= 7, 0xFFF0..0xFFFF, or high bit set)",
              "pick an id in 8..0xFFEF or 0x10000..0x7FFFFFFF, e.g. 4096");
    }
    if (!ids.insert(id).second) {
      fail_at(path_key(path, "opcode"), "opcode id " + std::to_string(id) + " is defined twice",
              "give each custom opcode a distinct id");
    }
    const std::string text = string_at(*name, path_key(path, "name"));
    if (text.empty()) fail_at(path_key(path, "name"), "empty opcode name", "name the opcode, e.g. \"saxpy_word\"");
    if (find_builtin_opcode(text) || !names.insert(text).second) {
      fail_at(path_key(path, "name"), "opcode name " + quote_text(text) + " is already taken",
              "pick a name that is neither built in nor used by another custom opcode");
    }
    job.opcodes.push_back(handler_at(entry, path, id, text));
  }
}

}  // namespace mk::cli::detail
