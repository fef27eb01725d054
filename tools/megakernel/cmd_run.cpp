// `megakernel run JOB.json`: read and validate the job, run it, print JSON or a table.
#include <exception>

#include "backend_choice.h"
#include "commands.h"
#include "job_reader.h"
#include "job_runner.h"
#include "run_report.h"

namespace mk::cli {

int cmd_run(const RunArgs& args, std::ostream& out, std::ostream& err) {
  if (!valid_backend_name(args.backend)) {
    print_usage_error(err, "unknown backend \"" + args.backend + "\"", "pass --backend auto, cpu or cuda");
    return EXIT_USAGE;
  }
  if (args.repeat == 0) {
    print_usage_error(err, "--repeat 0 runs nothing", "pass --repeat N with N >= 1");
    return EXIT_USAGE;
  }
  auto job = read_job_file(args.job);
  if (!job) {
    print_job_error(err, job.error());
    return EXIT_USAGE;
  }
  try {
    auto backend = open_backend(args.backend);
    if (!backend) {
      print_runtime_error(err, backend.error());
      return EXIT_RUNTIME;
    }
    auto outcome = run_job(*job, *backend, args.repeat);
    if (!outcome) {
      print_runtime_error(err, outcome.error());
      return EXIT_RUNTIME;
    }
    if (args.json) {
      out << run_report_json(*job, *outcome).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      print_run_table(out, *job, *outcome);
    }
    return EXIT_OK;
  } catch (const Error& e) {
    print_runtime_error(err, e);
  } catch (const std::exception& e) {
    print_runtime_error(err, Error(ErrorKind::Backend, std::string("run failed: ") + e.what(),
                                   "report this with the job file attached"));
  }
  return EXIT_RUNTIME;
}

}  // namespace mk::cli
