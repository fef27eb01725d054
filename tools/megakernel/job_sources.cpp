// A job's io_sources opened beneath the I/O root, with errors that name the entry and the fix.
#include "job_sources.h"

#include "job_limits.h"

#include "json_fields.h"

namespace mk::cli {
namespace {

JobError source_error(const Job& job, std::size_t index, std::string message, std::string fix) {
  return JobError{job.shown, detail::path_key(detail::path_index("io_sources", index), "file"), "", std::move(message),
                  std::move(fix)};
}

}  // namespace

std::filesystem::path io_root_of(const Job& job, const IoPolicy& policy) {
  if (policy.io_root) return *policy.io_root;
  return job.dir.empty() ? std::filesystem::path(".") : job.dir;
}

JobResult<IoSources> open_job_io_sources(const Job& job, const IoPolicy& policy) {
  const std::filesystem::path root = io_root_of(job, policy);
  IoSources sources;
  bool any_file = false;
  for (const auto& source : job.io_sources) any_file = any_file || source.file.has_value();
  if (any_file && !policy.allow_any_path) {
    auto confined = IoSources::confined(root);
    if (!confined) {
      return cuda::std::unexpected(
          JobError{job.shown, "", "", confined.error().message(), "pass --io-root DIR with an existing directory"});
    }
    sources = std::move(*confined);
  }
  const std::string escape_fix = "keep the file inside the I/O root \"" + root.string() +
                                 "\" and name it relative to it, pass --io-root DIR to choose another root, or "
                                 "--allow-any-path if you trust this job";
  for (std::size_t i = 0; i < job.io_sources.size(); ++i) {
    const JobIoSource& source = job.io_sources[i];
    if (!source.file) {
      if (auto added = sources.add_bytes(source.id, source.bytes); !added)
        return cuda::std::unexpected(source_error(job, i, added.error().message(), added.error().fix()));
      continue;
    }
    const std::filesystem::path name(*source.file);
    const std::string shown = detail::quote_text(*source.file);
    if (!policy.allow_any_path) {
      // Said here in the CLI's words; IoSources refuses the same names on its own.
      if (name.is_absolute()) {
        return cuda::std::unexpected(source_error(
            job, i, "I/O source file " + shown + " is an absolute path, outside the I/O root", escape_fix));
      }
      for (const auto& part : name) {
        if (part == "..")
          return cuda::std::unexpected(
              source_error(job, i, "I/O source file " + shown + " has a \"..\" component, which may leave the I/O root",
                           escape_fix));
      }
    }
    const std::filesystem::path opened = policy.allow_any_path && name.is_relative() ? root / name : name;
    if (auto added = sources.add_file(source.id, opened); !added) {
      const std::string& message = added.error().message();
      const bool escape = message.find("symbolic link") != std::string::npos;
      return cuda::std::unexpected(source_error(job, i, message, escape ? escape_fix : added.error().fix()));
    }
  }
  return sources;
}

JobResult<IoSources> admit_job(const Job& job, std::uint64_t max_memory, bool json_report, const IoPolicy& policy) {
  if (auto memory = check_job_memory(job, max_memory, json_report); !memory) {
    JobError error = std::move(memory.error());
    error.file = job.shown;
    return cuda::std::unexpected(std::move(error));
  }
  return open_job_io_sources(job, policy);
}

}  // namespace mk::cli
