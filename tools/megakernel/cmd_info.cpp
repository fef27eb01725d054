// `megakernel info`: version, ABI, backends and devices, limits, JIT cache; never crashes without a GPU.
#include <exception>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "build_info.h"
#include "commands.h"
#include "mk/abi.h"
#include "mk/backend.h"

namespace mk::cli {
namespace {

using Json = nlohmann::json;

constexpr Feature ALL_FEATURES[] = {
    Feature::OneShot,          Feature::IoQueue,    Feature::DebugLog,        Feature::CustomOpcodes,
    Feature::PayloadProcessor, Feature::DeviceTime, Feature::ResidentHandles, Feature::ManyLaunch,
    Feature::LiveSession,      Feature::Trace};

struct ProbedBackend {
  std::string name;
  std::string description;
  bool available = false;
  std::string reason;  // why not available
  std::vector<DeviceInfo> devices;
  std::vector<std::string> features;
};

// One registry entry; an unavailable one says why in make_backend's own words (no device,
// not in this build, ...), which its factory gives without starting a device.
ProbedBackend probe(const mk::BackendInfo& entry) {
  ProbedBackend info;
  info.name = entry.name;
  info.description = entry.description;
  try {
    auto backend = make_backend(entry.name);
    if (!backend) {
      info.reason = backend.error().message();
      return info;
    }
    info.available = true;
    info.devices = (*backend)->devices();
    for (const Feature feature : ALL_FEATURES) {
      if ((*backend)->supports(feature)) info.features.emplace_back(to_string(feature));
    }
  } catch (const std::exception& e) {
    info.available = false;
    info.reason = e.what();
  }
  return info;
}

std::string gib(std::uint64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return out.str();
}

Json limits_json() {
  return {{"max_ring_slots", abi::MAX_RING_SLOTS},         {"max_tenants", abi::MAX_TENANTS},
          {"max_custom_opcodes", abi::MAX_CUSTOM_OPCODES}, {"opcode_table_size", abi::MAX_OPCODES},
          {"max_observables", abi::MAX_OBSERVABLES},       {"max_args_per_item", abi::MAX_ARGS},
          {"max_debug_log_records", abi::MAX_LOG_RECORDS}, {"max_io_requests", abi::MAX_IO_REQUESTS}};
}

Json info_json(const std::vector<ProbedBackend>& backends, const std::string& default_backend) {
  Json list = Json::array();
  for (const auto& backend : backends) {
    Json entry = {{"name", backend.name}, {"description", backend.description}, {"available", backend.available}};
    if (!backend.available) entry["reason"] = backend.reason;
    Json devices = Json::array();
    for (const auto& device : backend.devices) {
      devices.push_back({{"name", device.name},
                         {"kind", device.kind},
                         {"compute_units", device.compute_units},
                         {"memory_bytes", device.memory_bytes},
                         {"driver", device.driver},
                         {"arch", device.arch}});
    }
    entry["devices"] = std::move(devices);
    entry["features"] = backend.features;
    list.push_back(std::move(entry));
  }
  const std::string cache = jit_cache_dir();
  return {{"version", version()},
          {"abi_version", abi::ABI_VERSION},
          {"git_commit", git_commit()},
          {"backends", std::move(list)},
          {"default_backend", default_backend},
          {"gpu", default_backend == "cuda"},
          {"limits", limits_json()},
          {"jit_cache", cache.empty() ? Json(nullptr) : Json(cache)}};
}

void print_info(std::ostream& out, const std::vector<ProbedBackend>& backends, const std::string& default_backend) {
  out << "megakernel " << version() << " (ABI version " << abi::ABI_VERSION << ", commit " << git_commit() << ")\n";
  out << "backends:\n";
  for (const auto& backend : backends) {
    out << "  " << std::left << std::setw(5) << backend.name << std::right;
    if (!backend.available) {
      out << " not available: " << backend.reason << '\n';
      continue;
    }
    out << " available";
    if (!backend.features.empty()) {
      out << " (";
      for (std::size_t i = 0; i < backend.features.size(); ++i) out << (i ? ", " : "") << backend.features[i];
      out << ')';
    }
    out << '\n';
    for (std::size_t i = 0; i < backend.devices.size(); ++i) {
      const auto& device = backend.devices[i];
      out << "        device " << i << ": " << device.name << ", " << device.compute_units
          << (device.kind == "cuda" ? " SMs" : " hardware threads") << ", "
          << (device.memory_bytes == 0 ? std::string("memory unknown") : gib(device.memory_bytes) + " memory")
          << ", driver " << (device.driver.empty() ? "n/a" : device.driver);
      if (!device.arch.empty()) out << ", " << device.arch;
      out << '\n';
    }
  }
  if (default_backend == "cpu") {
    out << "no GPU: jobs run on the cpu backend (--backend auto picks cpu)\n";
  } else {
    out << "default backend (--backend auto): " << default_backend << '\n';
  }
  out << "limits:\n"
      << "  ring slots          " << abi::MAX_RING_SLOTS << '\n'
      << "  tenants             " << abi::MAX_TENANTS << '\n'
      << "  custom opcodes      " << abi::MAX_CUSTOM_OPCODES << " (table of " << abi::MAX_OPCODES << ", "
      << abi::BUILTIN_OPCODES << " built in)\n"
      << "  observables         " << abi::MAX_OBSERVABLES << " words\n"
      << "  args per item       " << abi::MAX_ARGS << '\n'
      << "  debug log records   " << abi::MAX_LOG_RECORDS << '\n'
      << "  I/O requests        " << abi::MAX_IO_REQUESTS << '\n';
  const std::string cache = jit_cache_dir();
  out << "JIT cache: " << (cache.empty() ? "unknown (set XDG_CACHE_HOME or HOME)" : cache) << '\n';
}

}  // namespace

int cmd_info(const InfoArgs& args, std::ostream& out, std::ostream& err) {
  try {
    std::vector<ProbedBackend> backends;
    for (const mk::BackendInfo& entry : list_backends()) backends.push_back(probe(entry));
    const std::string default_backend = auto_backend_name();
    if (args.json) {
      out << info_json(backends, default_backend).dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
    } else {
      print_info(out, backends, default_backend);
    }
    return EXIT_OK;
  } catch (const std::exception& e) {
    err << "megakernel: info failed: " << e.what() << '\n';
    return EXIT_RUNTIME;
  }
}

}  // namespace mk::cli
