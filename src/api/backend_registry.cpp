// make_backend and the backend listing over the registry (the built-in table plus test entries).
#include "api/backend_registry.h"

#include <mutex>
#include <string>

#include "isolate/supervised_backend.h"

namespace mk {
namespace detail {
namespace {

// Entries tests register; the built-in table never changes, so only these need the lock.
struct Registered {
  std::mutex mutex;
  std::vector<const BackendEntry*> entries;
};
Registered& registered() {
  static Registered r;
  return r;
}

std::string choices() {
  std::string out = "auto";
  for (const BackendEntry* entry : registered_backends()) out += ", " + std::string(entry->name);
  return out;
}

}  // namespace

std::vector<const BackendEntry*> registered_backends() {
  std::vector<const BackendEntry*> all(builtin_backends().begin(), builtin_backends().end());
  Registered& r = registered();
  const std::lock_guard lock(r.mutex);
  all.insert(all.end(), r.entries.begin(), r.entries.end());
  return all;
}

const BackendEntry* find_backend(std::string_view name) {
  for (const BackendEntry* entry : registered_backends())
    if (entry->name == name) return entry;
  return nullptr;
}

Status register_backend(const BackendEntry& entry) {
  if (entry.name.empty() || entry.name == "auto" || find_backend(entry.name) != nullptr)
    return fail(ErrorKind::InvalidArgument, "cannot register a backend named \"" + std::string(entry.name) + "\"",
                "pick a name that is not empty, not \"auto\" and not one of: " + choices());
  Registered& r = registered();
  const std::lock_guard lock(r.mutex);
  r.entries.push_back(&entry);
  return {};
}

}  // namespace detail

namespace {

Error unknown_backend(std::string_view name) {
  return Error(ErrorKind::InvalidArgument, "unknown backend \"" + std::string(name) + "\"",
               "use one of: " + detail::choices());
}

bool usable(const detail::BackendEntry& entry) noexcept {
  return entry.create != nullptr && entry.available != nullptr && entry.available();
}

// The available entry with the highest auto_rank (the first of equals), or null.
const detail::BackendEntry* auto_entry() {
  const detail::BackendEntry* best = nullptr;
  for (const detail::BackendEntry* entry : detail::registered_backends())
    if (entry->auto_rank >= 0 && (best == nullptr || entry->auto_rank > best->auto_rank) && usable(*entry))
      best = entry;
  return best;
}

}  // namespace

bool cuda_available() noexcept {
  const detail::BackendEntry* cuda = detail::find_backend("cuda");
  return cuda != nullptr && usable(*cuda);
}

std::vector<BackendInfo> list_backends() {
  std::vector<BackendInfo> out;
  for (const detail::BackendEntry* entry : detail::registered_backends())
    out.push_back(BackendInfo{std::string(entry->name), std::string(entry->description), usable(*entry)});
  return out;
}

std::vector<std::string> backend_names() {
  std::vector<std::string> out;
  for (const detail::BackendEntry* entry : detail::registered_backends()) out.emplace_back(entry->name);
  return out;
}

std::string auto_backend_name() {
  const detail::BackendEntry* entry = auto_entry();
  return entry != nullptr ? std::string(entry->name) : std::string();
}

Result<std::shared_ptr<Backend>> make_backend(std::string_view name) { return make_backend(name, BackendOptions{}); }

Result<std::shared_ptr<Backend>> make_backend(std::string_view name, const BackendOptions& options) {
  if (name != "auto" && detail::find_backend(name) == nullptr) return cuda::std::unexpected(unknown_backend(name));
  // The caller's process never touches a device here (auto_entry() would ask for CUDA
  // devices): the worker decides what "auto" means.
  if (options.isolation == Isolation::Process) return isolate::make_supervised_backend(name, options, backend_names());
  const detail::BackendEntry* entry = name == "auto" ? auto_entry() : detail::find_backend(name);
  if (entry == nullptr)
    return fail(ErrorKind::Unsupported, "no backend is available for \"auto\"",
                "run `megakernel info` to see why each backend is unavailable");
  if (entry->create == nullptr)
    return fail(ErrorKind::Unsupported, std::string(entry->missing_message), std::string(entry->missing_fix));
  return entry->create(options);
}

}  // namespace mk
