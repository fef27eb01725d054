// Names of slot statuses, fault codes and built-in opcodes (the latter from abi.h's opcode
// table), for messages, the CLI and tests.
#include "detail.h"

namespace mk {

std::string_view status_name(std::uint32_t status) noexcept {
  switch (status) {
    case abi::STATUS_EMPTY:
      return "EMPTY";
    case abi::STATUS_PUBLISHED:
      return "PUBLISHED";
    case abi::STATUS_CLAIMED:
      return "CLAIMED";
    case abi::STATUS_DONE:
      return "DONE";
    case abi::STATUS_WAIT_IO:
      return "WAIT_IO";
    case abi::STATUS_YIELD:
      return "YIELD";
    case abi::STATUS_REQUEUE:
      return "REQUEUE";
    case abi::STATUS_FAULT:
      return "FAULT";
    default:
      return "UNKNOWN";
  }
}

std::string_view fault_name(std::uint32_t fault) noexcept {
  switch (fault) {
    case abi::FAULT_NONE:
      return "NONE";
    case abi::FAULT_UNKNOWN_OPCODE:
      return "UNKNOWN_OPCODE";
    case abi::FAULT_UNAUTHORIZED:
      return "UNAUTHORIZED";
    case abi::FAULT_OUT_OF_BOUNDS:
      return "OUT_OF_BOUNDS";
    case abi::FAULT_BAD_ARGS:
      return "BAD_ARGS";
    case abi::FAULT_IO_QUEUE_FULL:
      return "IO_QUEUE_FULL";
    case abi::FAULT_IO_ERROR:
      return "IO_ERROR";
    case abi::FAULT_USER_FAULT:
      return "USER_FAULT";
    case abi::FAULT_STEP_BUDGET:
      return "STEP_BUDGET";
    case abi::FAULT_DIVIDE_BY_ZERO:
      return "DIVIDE_BY_ZERO";
    case abi::FAULT_DEVICE_LOST:
      return "DEVICE_LOST";
    default:
      return "UNKNOWN";
  }
}

std::string_view builtin_opcode_name(std::uint32_t opcode) noexcept {
  const std::uint32_t index = abi::builtin_index(opcode);
  return index == abi::NO_OPCODE_INDEX ? std::string_view{} : abi::BUILTIN_OPCODE_TABLE[index].name;
}

std::optional<std::uint32_t> find_builtin_opcode(std::string_view name) noexcept {
  for (const abi::BuiltinOpcode& row : abi::BUILTIN_OPCODE_TABLE) {
    if (row.name == name) return row.id;
  }
  return std::nullopt;
}

std::uint32_t builtin_opcode_from_name(std::string_view name) noexcept {
  return find_builtin_opcode(name).value_or(abi::NO_OPCODE_INDEX);
}

}  // namespace mk
