// Job reader: tenants (ids 0..n-1 once each, admin flag, allowed opcodes, observable window).
#include <string>
#include <vector>

#include "job_reader_detail.h"
#include "mk/abi.h"

namespace mk::cli::detail {
namespace {

std::uint64_t allow_mask_at(const Json& allow, const std::string& path, const JobOpcodes& opcodes) {
  array_at(allow, path);
  std::uint64_t mask = 0;
  for (std::size_t k = 0; k < allow.size(); ++k) {
    const std::string entry = path_index(path, k);
    const std::uint32_t id = opcode_at(allow[k], entry, opcodes);
    mask |= std::uint64_t{1} << *opcodes.table_index(id);  // opcode_at accepts only known ids
  }
  return mask;
}

Window window_at(const Json& window, const std::string& path, std::uint32_t observables) {
  array_at(window, path);
  if (window.size() != 2) {
    fail_at(path, "a window is [base, len], found " + std::to_string(window.size()) + " numbers",
            "write \"window\": [base, len] in observable words");
  }
  const Window out{u32_at(window[0], path_index(path, 0)), u32_at(window[1], path_index(path, 1))};
  const std::uint64_t end = std::uint64_t{out.base} + out.len;
  if (end > observables) {
    fail_at(path,
            "window [" + std::to_string(out.base) + ", " + std::to_string(out.len) + "] ends at word " +
                std::to_string(end) + ", past the observable region of " + std::to_string(observables) + " words",
            "shrink the window so base + len <= " + std::to_string(observables) + " or raise \"observables\"");
  }
  return out;
}

}  // namespace

void read_tenants(const Json* tenants, Job& job, const JobOpcodes& opcodes) {
  const Window whole{0, job.observables};
  if (!tenants) {
    job.tenants.push_back(JobTenant{0, true, ALLOW_EVERY_OPCODE, whole});
    return;
  }
  array_at(*tenants, "tenants");
  const std::size_t count = tenants->size();
  if (count == 0 || count > abi::MAX_TENANTS) {
    fail_at("tenants", std::to_string(count) + " tenants listed, a job needs 1.." + std::to_string(abi::MAX_TENANTS),
            count == 0 ? "omit \"tenants\" for one admin tenant 0, or list at least one"
                       : "merge tenants so at most 64 remain");
  }
  std::vector<JobTenant> by_id(count);
  std::vector<std::size_t> listed_at(count, count);  // entry index per id, count = not yet seen
  for (std::size_t i = 0; i < count; ++i) {
    const std::string path = path_index("tenants", i);
    const Json& entry = object_at((*tenants)[i], path, {"id", "admin", "allow", "window"});
    const Json* id_json = member(entry, "id");
    if (!id_json) fail_at(path, "missing \"id\"", "add \"id\": tenants are numbered 0..n-1");
    const std::uint32_t id = u32_at(*id_json, path_key(path, "id"));
    if (id >= count) {
      fail_at(path_key(path, "id"),
              "tenant id " + std::to_string(id) + " is out of range: " + std::to_string(count) +
                  " tenants are listed, so ids run 0.." + std::to_string(count - 1),
              "number the tenants 0..n-1, each once");
    }
    if (listed_at[id] != count) {
      fail_at(path_key(path, "id"),
              "duplicate tenant id " + std::to_string(id) + " (already used by tenants[" +
                  std::to_string(listed_at[id]) + "])",
              "number the tenants 0..n-1, each once");
    }
    listed_at[id] = i;
    JobTenant tenant{id, false, ALLOW_EVERY_OPCODE, whole};
    if (const Json* admin = member(entry, "admin")) tenant.admin = bool_at(*admin, path_key(path, "admin"));
    if (const Json* allow = member(entry, "allow")) {
      tenant.allowed_opcodes = allow_mask_at(*allow, path_key(path, "allow"), opcodes);
    }
    if (const Json* window = member(entry, "window")) {
      tenant.window = window_at(*window, path_key(path, "window"), job.observables);
    }
    by_id[id] = tenant;
  }
  job.tenants = std::move(by_id);
}

}  // namespace mk::cli::detail
