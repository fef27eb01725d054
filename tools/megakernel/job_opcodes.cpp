// Opcode name/id resolution for a job: built-ins from the protocol codec, then custom opcodes.
#include "job_opcodes.h"

#include <cstdio>

#include "job.h"
#include "mk/abi.h"
#include "mk/protocol.h"

namespace mk::cli {

std::string hex_u32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(value));
  return text;
}

JobOpcodes::JobOpcodes(std::vector<CustomOpcode> custom) : m_custom(std::move(custom)) {}

std::optional<std::uint32_t> JobOpcodes::find_name(std::string_view name) const {
  if (auto builtin = find_builtin_opcode(name)) return builtin;
  for (const auto& op : m_custom) {
    if (op.name == name) return op.opcode;
  }
  return std::nullopt;
}

bool JobOpcodes::known_id(std::uint32_t opcode) const { return table_index(opcode).has_value(); }

std::optional<std::uint32_t> JobOpcodes::table_index(std::uint32_t opcode) const {
  if (const auto index = abi::builtin_index(opcode); index != abi::NO_OPCODE_INDEX) return index;
  for (std::size_t i = 0; i < m_custom.size(); ++i) {
    if (m_custom[i].opcode == opcode) return static_cast<std::uint32_t>(abi::FIRST_CUSTOM_INDEX + i);
  }
  return std::nullopt;
}

std::string JobOpcodes::name_of(std::uint32_t opcode) const {
  if (abi::builtin_index(opcode) != abi::NO_OPCODE_INDEX) {
    const auto name = builtin_opcode_name(opcode);
    if (!name.empty()) return std::string(name);
  }
  for (const auto& op : m_custom) {
    if (op.opcode == opcode) return op.name;
  }
  return hex_u32(opcode);
}

std::string JobOpcodes::known_names() const {
  std::string out;
  for (const auto id : abi::BUILTIN_OPCODE_IDS) {
    out += (out.empty() ? "" : ", ") + name_of(id);
  }
  for (const auto& op : m_custom) out += ", " + op.name;
  return out;
}

std::string Job::opcode_name(std::uint32_t opcode) const {
  std::vector<CustomOpcode> custom;
  custom.reserve(opcodes.size());
  for (const auto& handler : opcodes) custom.push_back({handler.opcode, handler.name});
  return JobOpcodes(std::move(custom)).name_of(opcode);
}

}  // namespace mk::cli
