// The opcodes a job may name: built-ins plus the job's custom opcodes, by name or id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mk::cli {

struct CustomOpcode {
  std::uint32_t opcode = 0;
  std::string name;
};

class JobOpcodes {
 public:
  explicit JobOpcodes(std::vector<CustomOpcode> custom = {});

  // Opcode id of a built-in or custom name.
  std::optional<std::uint32_t> find_name(std::string_view name) const;
  // Is this id a built-in or one of the job's custom opcodes?
  bool known_id(std::uint32_t opcode) const;
  // Opcode-table index (built-ins 0..11, custom 12.. in registration order), if known.
  std::optional<std::uint32_t> table_index(std::uint32_t opcode) const;
  // Built-in name, custom name, or "0x0000ABCD".
  std::string name_of(std::uint32_t opcode) const;
  // "NOP, STORE_U32, ..., saxpy" for a fix hint.
  std::string known_names() const;
  const std::vector<CustomOpcode>& custom() const noexcept { return m_custom; }

 private:
  std::vector<CustomOpcode> m_custom;
};

// "0x0000ABCD".
std::string hex_u32(std::uint32_t value);

}  // namespace mk::cli
