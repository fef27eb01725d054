// megakernel.run(job): the CLI's job reader and runner (mk_cli_lib), returning the `run --json` object.
#include <filesystem>
#include <sstream>

#include "backend_choice.h"
#include "bind.h"
#include "job_reader.h"
#include "job_runner.h"
#include "run_report.h"

namespace mk::py {

void bind_job(pyb::module_& m) {
  m.def(
      "run",
      [](pyb::handle job, const std::string& backend, std::uint32_t repeat, pyb::handle base_dir) {
        if (!cli::valid_backend_name(backend))
          throw pyb::value_error("argument 'backend' must be \"auto\", \"cpu\" or \"cuda\", got \"" + backend + "\"");
        if (repeat == 0) throw pyb::value_error("argument 'repeat' must be >= 1");
        const std::string text = json_text(job);
        const std::filesystem::path base = base_dir.is_none()
                                               ? std::filesystem::current_path()
                                               : std::filesystem::path(pyb::str(base_dir).cast<std::string>());
        std::string report;
        {
          pyb::gil_scoped_release release;
          auto parsed = cli::parse_job(text, base, "job");
          if (!parsed) {
            const auto& e = parsed.error();
            pyb::gil_scoped_acquire acquire;
            throw_error(Error(ErrorKind::Malformed, e.where.empty() ? e.message : e.where + ": " + e.message, e.fix));
          }
          auto opened = cli::open_backend(backend);
          Result<cli::RunOutcome> outcome =
              opened ? cli::run_job(*parsed, *opened, repeat) : cuda::std::unexpected<Error>(std::move(opened.error()));
          if (!outcome) {
            pyb::gil_scoped_acquire acquire;
            throw_error(outcome.error());
          }
          std::ostringstream text;
          cli::write_run_report_json(text, *parsed, *outcome);
          report = std::move(text).str();
        }
        return pyb::module_::import("json").attr("loads")(report);
      },
      pyb::arg("job"), pyb::arg("backend") = "auto", pyb::arg("repeat") = 1, pyb::arg("base_dir") = pyb::none(),
      "Run a job (a dict in the job-file schema, or its JSON text) as `megakernel run --json` does and return the same "
      "object. Relative io_sources files resolve against `base_dir` (default: the current directory).");
}

}  // namespace mk::py
