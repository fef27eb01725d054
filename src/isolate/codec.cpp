// JSON and binary codecs of the isolation channel (codec.h). The worker is not trusted:
// decoders check every field and never throw.
#include "isolate/codec.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "mk/ir_json.h"

namespace mk::isolate {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> parse(std::span<const std::byte> bytes, const char* what) {
  json j = json::parse(reinterpret_cast<const char*>(bytes.data()),
                       reinterpret_cast<const char*>(bytes.data()) + bytes.size(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::Malformed, std::string(what) + " is not a JSON object",
                "the worker and the library must come from the same build");
  return j;
}

template <class T>
bool get_uint(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  const auto v = it->get<std::uint64_t>();
  if (v > std::numeric_limits<T>::max()) return false;
  out = static_cast<T>(v);
  return true;
}

bool get_string(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return false;
  out = printable(it->get<std::string>(), 256);
  return true;
}

}  // namespace

std::string printable(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit));
  for (char c : text.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7F ? '?' : c);
  }
  return out;
}

std::string encode_spec(const PipelineSpec& spec) {
  json j;
  j["slot_count"] = spec.geometry.slot_count;
  j["workgroup_size_x"] = spec.geometry.workgroup_size_x;
  j["worker_groups"] = spec.geometry.worker_groups;
  j["opcode_ids"] = spec.opcode_ids;
  json handlers = json::array();
  for (const OpcodeHandler& h : spec.handlers) handlers.push_back(ir::handler_to_json_value(h));
  j["handlers"] = std::move(handlers);
  j["payload_processor"] = spec.payload_processor ? json(*spec.payload_processor) : json(nullptr);
  return dump(j);
}

Result<PipelineSpec> decode_spec(std::span<const std::byte> bytes) {
  auto j = parse(bytes, "the pipeline spec");
  if (!j) return cuda::std::unexpected(std::move(j.error()));
  PipelineSpec spec;
  auto bad = [](const char* field) {
    return fail(ErrorKind::Malformed, std::string("pipeline spec field \"") + field + "\" is missing or invalid",
                "the worker and the library must come from the same build");
  };
  if (!get_uint(*j, "slot_count", spec.geometry.slot_count)) return bad("slot_count");
  if (!get_uint(*j, "workgroup_size_x", spec.geometry.workgroup_size_x)) return bad("workgroup_size_x");
  if (!get_uint(*j, "worker_groups", spec.geometry.worker_groups)) return bad("worker_groups");
  auto ids = j->find("opcode_ids");
  if (ids == j->end() || !ids->is_array() || ids->size() > abi::MAX_OPCODES) return bad("opcode_ids");
  for (const json& id : *ids) {
    if (!id.is_number_unsigned() || id.get<std::uint64_t>() > 0xFFFFFFFFu) return bad("opcode_ids");
    spec.opcode_ids.push_back(id.get<std::uint32_t>());
  }
  auto handlers = j->find("handlers");
  if (handlers == j->end() || !handlers->is_array()) return bad("handlers");
  for (std::size_t i = 0; i < handlers->size(); ++i) {
    auto h = ir::handler_from_json((*handlers)[i], "handlers[" + std::to_string(i) + "]");
    if (!h) return cuda::std::unexpected(std::move(h.error()));
    spec.handlers.push_back(std::move(*h));
  }
  auto processor = j->find("payload_processor");
  if (processor == j->end()) return bad("payload_processor");
  if (!processor->is_null()) {
    if (!processor->is_number_unsigned() || processor->get<std::uint64_t>() > 0xFFFFFFFFu)
      return bad("payload_processor");
    spec.payload_processor = processor->get<std::uint32_t>();
  }
  return spec;
}

std::string encode_hello(const Hello& hello) {
  json j;
  j["backend"] = hello.backend;
  j["features"] = hello.features;
  json devices = json::array();
  for (const DeviceInfo& d : hello.devices)
    devices.push_back({{"name", d.name},
                       {"kind", d.kind},
                       {"compute_units", d.compute_units},
                       {"memory_bytes", d.memory_bytes},
                       {"driver", d.driver},
                       {"arch", d.arch}});
  j["devices"] = std::move(devices);
  return dump(j);
}

Result<Hello> decode_hello(std::span<const std::byte> bytes, std::span<const std::string> backends) {
  auto j = parse(bytes, "the worker's hello");
  if (!j) return cuda::std::unexpected(std::move(j.error()));
  auto bad = [](const char* field) {
    return fail(ErrorKind::Malformed, std::string("the worker's hello has no valid \"") + field + "\"",
                "the worker and the library must come from the same build (check MK_WORKER_PATH)");
  };
  Hello hello;
  if (!get_string(*j, "backend", hello.backend) ||
      std::find(backends.begin(), backends.end(), hello.backend) == backends.end())
    return bad("backend");
  if (!get_uint(*j, "features", hello.features) || hello.features >> std::size(ALL_FEATURES) != 0)
    return bad("features");
  auto devices = j->find("devices");
  if (devices == j->end() || !devices->is_array() || devices->size() > 64) return bad("devices");
  for (const json& d : *devices) {
    if (!d.is_object()) return bad("devices");
    DeviceInfo info;
    if (!get_string(d, "name", info.name) || !get_string(d, "kind", info.kind) ||
        !get_uint(d, "compute_units", info.compute_units) || !get_uint(d, "memory_bytes", info.memory_bytes) ||
        !get_string(d, "driver", info.driver) || !get_string(d, "arch", info.arch))
      return bad("devices");
    hello.devices.push_back(std::move(info));
  }
  return hello;
}

std::size_t encode_error(const Error& error, std::span<std::byte> out) {
  if (out.size() < 12) return 0;
  const std::size_t room = out.size() - 12;
  const auto message = static_cast<std::uint32_t>(std::min(error.message().size(), room));
  const auto fix = static_cast<std::uint32_t>(std::min(error.fix().size(), room - message));
  const auto kind = static_cast<std::uint32_t>(error.kind());
  std::memcpy(out.data(), &kind, 4);
  std::memcpy(out.data() + 4, &message, 4);
  std::memcpy(out.data() + 8, &fix, 4);
  std::memcpy(out.data() + 12, error.message().data(), message);
  std::memcpy(out.data() + 12 + message, error.fix().data(), fix);
  return 12 + std::size_t{message} + fix;
}

Result<Error> decode_error(std::span<const std::byte> bytes) {
  auto bad = [](std::string why) {
    return fail(ErrorKind::Malformed, "the worker's error reply is malformed: " + why,
                "the worker misbehaved; it is killed and replaced");
  };
  if (bytes.size() < 12) return bad(std::to_string(bytes.size()) + " bytes, a header needs 12");
  std::uint32_t kind = 0, message = 0, fix = 0;
  std::memcpy(&kind, bytes.data(), 4);
  std::memcpy(&message, bytes.data() + 4, 4);
  std::memcpy(&fix, bytes.data() + 8, 4);
  if (kind > static_cast<std::uint32_t>(ErrorKind::InvalidArgument)) return bad("kind " + std::to_string(kind));
  if (std::uint64_t{message} + fix > bytes.size() - 12)
    return bad("message and fix lengths " + std::to_string(message) + " + " + std::to_string(fix) + " exceed " +
               std::to_string(bytes.size() - 12) + " bytes");
  const auto* text = reinterpret_cast<const char*>(bytes.data()) + 12;
  return Error(static_cast<ErrorKind>(kind), printable({text, message}, 4096), printable({text + message, fix}, 4096));
}

}  // namespace mk::isolate
