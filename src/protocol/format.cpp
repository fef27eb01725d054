// Message formatting: hex word values and human names for control-buffer words.
#include <cstdio>

#include "detail.h"

namespace mk::detail {

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(value));
  return text;
}

namespace {

std::string_view header_word_name(std::uint32_t word) {
  switch (word) {
    case abi::CTRL_MAGIC:
      return "MAGIC";
    case abi::CTRL_ABI_VERSION:
      return "ABI_VERSION";
    case abi::CTRL_TENANT_COUNT:
      return "TENANT_COUNT";
    case abi::CTRL_OBSERVABLE_COUNT:
      return "OBSERVABLE_COUNT";
    case abi::CTRL_SHUTDOWN:
      return "SHUTDOWN";
    case abi::CTRL_DONE_COUNT:
      return "DONE_COUNT";
    case abi::CTRL_EPOCH:
      return "EPOCH";
    case abi::CTRL_LAST_FENCE_TAG:
      return "LAST_FENCE_TAG";
    case abi::CTRL_FAULT_COUNT:
      return "FAULT_COUNT";
    case abi::CTRL_LAST_FAULT_SLOT:
      return "LAST_FAULT_SLOT";
    case abi::CTRL_HEARTBEAT:
      return "HEARTBEAT";
    case abi::CTRL_IO_PENDING:
      return "IO_PENDING";
    default:
      return "reserved";
  }
}

std::string_view tenant_field_name(std::uint32_t field) {
  switch (field) {
    case abi::TENANT_FLAGS:
      return "FLAGS";
    case abi::TENANT_ALLOW_LO:
      return "ALLOW_LO";
    case abi::TENANT_ALLOW_HI:
      return "ALLOW_HI";
    case abi::TENANT_WINDOW_BASE:
      return "WINDOW_BASE";
    case abi::TENANT_WINDOW_LEN:
      return "WINDOW_LEN";
    case abi::TENANT_DONE:
      return "DONE";
    case abi::TENANT_FAULTS:
      return "FAULTS";
    default:
      return "reserved";
  }
}

}  // namespace

std::string control_word_label(std::uint32_t word) {
  std::string name;
  if (word < abi::CTRL_HEADER_WORDS) {
    name = header_word_name(word);
  } else if (word < abi::CTRL_OPCODE_COUNTS) {
    name = "OPCODE_IDS[" + std::to_string(word - abi::CTRL_OPCODE_IDS) + "]";
  } else if (word < abi::CTRL_TENANTS) {
    name = "OPCODE_COUNTS[" + std::to_string(word - abi::CTRL_OPCODE_COUNTS) + "]";
  } else if (word < abi::CTRL_OBSERVABLES) {
    const std::uint32_t offset = word - abi::CTRL_TENANTS;
    name = "TENANTS[" + std::to_string(offset / abi::TENANT_WORDS) + "]." +
           std::string(tenant_field_name(offset % abi::TENANT_WORDS));
  } else {
    name = "OBSERVABLES[" + std::to_string(word - abi::CTRL_OBSERVABLES) + "]";
  }
  return std::string(CONTROL) + " word " + std::to_string(word) + " (" + name + ")";
}

}  // namespace mk::detail
