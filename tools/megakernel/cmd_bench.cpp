// `megakernel bench`: correctness check, warm-up, timed samples of every case, table, JSON, plot.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "backend_choice.h"
#include "bench.h"
#include "bench_report.h"
#include "build_info.h"
#include "commands.h"
#include "progress.h"

namespace mk::cli {
namespace {

struct BenchPlan {
  std::uint32_t items;
  std::uint32_t warmup;
  std::uint32_t samples;  // >= 30 so a p99 means something
};
constexpr BenchPlan QUICK_PLAN{2048, 3, 30};
constexpr BenchPlan FULL_PLAN{16384, 10, 100};
constexpr std::uint32_t WINDOW_WORDS = 1024;

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Exit status of a shell command, -1 when it could not run.
int run_shell(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// The first python that can import matplotlib: $MK_PYTHON, python3 on PATH, then the
// system one (a pyenv or venv python3 on PATH often lacks the distribution's matplotlib).
std::string find_plot_python() {
  std::vector<std::string> candidates;
  if (const char* chosen = std::getenv("MK_PYTHON"); chosen && chosen[0] != '\0') candidates.emplace_back(chosen);
  candidates.emplace_back("python3");
  candidates.emplace_back("/usr/bin/python3");
  for (const auto& python : candidates) {
    if (run_shell(shell_quote(python) + " -c 'import matplotlib' >/dev/null 2>&1") == 0) return python;
  }
  return "";
}

Result<std::string> check_plotting() {
  const std::string python = find_plot_python();
  if (python.empty()) {
    return fail(ErrorKind::Unsupported,
                "--plot needs python3 with matplotlib, which is not importable here (tried $MK_PYTHON, python3, "
                "/usr/bin/python3)",
                "install them (scripts/setup-deps installs python3-matplotlib), set MK_PYTHON, or drop --plot");
  }
  if (plot_script_path().empty()) {
    return fail(ErrorKind::Unsupported, "--plot needs scripts/plot_bench.py, which was not found",
                "run from a build of the source tree or install megakernel (share/megakernel/plot_bench.py)");
  }
  return python;
}

Status plot(const std::string& python, const std::string& json_path, const std::string& png_path) {
  const std::string command = shell_quote(python) + " " + shell_quote(plot_script_path()) + " " +
                              shell_quote(json_path) + " " + shell_quote(png_path);
  if (run_shell(command) != 0) {
    return fail(ErrorKind::Backend, "plotting failed: `" + command + "` did not succeed",
                "run that command by hand to see python's error");
  }
  return {};
}

Status write_json_file(const std::string& path, const nlohmann::json& json) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  file.close();
  if (!file) {
    return fail(ErrorKind::InvalidArgument, "cannot write bench JSON to \"" + path + "\"",
                "check that the directory exists and is writable");
  }
  return {};
}

// The first word where two paths disagree, as an error.
Status compare_observables(const BenchResult& reference, const std::vector<std::uint32_t>& expected,
                           const BenchResult& result, const std::vector<std::uint32_t>& got) {
  if (got == expected) return {};
  std::string where = "sizes " + std::to_string(got.size()) + " vs " + std::to_string(expected.size());
  for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
    if (got[i] != expected[i]) {
      where =
          "observable word " + std::to_string(i) + ": " + std::to_string(got[i]) + " vs " + std::to_string(expected[i]);
      break;
    }
  }
  return fail(ErrorKind::Backend,
              "correctness check failed: " + std::string(result.bench_case->name) + " disagrees with " +
                  std::string(reference.bench_case->name) + " at " + where,
              "no timing is reported for a wrong result; rerun with `megakernel run` on a small job to isolate it");
}

Result<BenchRun> run_bench(const BenchArgs& args, std::shared_ptr<Backend> backend) {
  const BenchPlan plan = args.quick ? QUICK_PLAN : FULL_PLAN;
  const BenchWorkload workload = make_bench_workload(plan.items, WINDOW_WORDS);
  BenchRun run;
  run.backend = std::string(backend->name());
  const auto devices = backend->devices();
  run.device = devices.empty() ? run.backend : devices.front().name;
  run.driver =
      (run.backend == "cpu" || devices.empty() || devices.front().driver.empty()) ? "cpu" : devices.front().driver;
  run.quick = args.quick;
  run.items_per_sample = plan.items;
  run.window_words = WINDOW_WORDS;
  run.warmup_samples = plan.warmup;
  run.samples = plan.samples;

  const BenchEnv env{backend, &workload};
  std::vector<std::unique_ptr<BenchPath>> paths;
  for (const BenchCase& bench_case : bench_cases()) {
    BenchResult result;
    result.bench_case = &bench_case;
    auto path = bench_case.make(env);
    if (!path) {
      if (path.error().kind() != ErrorKind::Unsupported) return cuda::std::unexpected<Error>(std::move(path.error()));
      result.skipped = true;
      result.skip_reason = path.error().message();
    }
    paths.push_back(path ? std::move(*path) : nullptr);
    run.results.push_back(std::move(result));
  }

  // Correctness first: one run each, every path against the first (the plain loop).
  std::vector<std::uint32_t> expected;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (!paths[i]) continue;
    auto once = paths[i]->run_sample();
    if (!once) return cuda::std::unexpected<Error>(std::move(once.error()));
    const auto words = paths[i]->observables();
    if (i == 0) {
      expected = words;
    } else {
      MK_TRY(compare_observables(run.results[0], expected, run.results[i], words));
    }
  }

  ProgressBar progress;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (!paths[i]) continue;
    const std::string label(run.results[i].bench_case->name);
    const std::uint32_t total = plan.warmup + plan.samples;
    for (std::uint32_t s = 0; s < total; ++s) {
      auto ns = paths[i]->run_sample();
      if (!ns) {
        progress.finish();
        return cuda::std::unexpected<Error>(std::move(ns.error()));
      }
      if (s >= plan.warmup) run.results[i].ns_per_item.push_back(static_cast<double>(*ns) / plan.items);
      progress.update(label, s + 1, total);
    }
    run.results[i].summary = summarize(run.results[i].ns_per_item);
  }
  progress.finish();

  for (auto& result : run.results) {
    if (result.skipped || result.bench_case->baseline.empty()) continue;
    for (const auto& base : run.results) {
      if (base.bench_case->name == result.bench_case->baseline && !base.skipped && base.summary.median > 0) {
        result.ratio = result.summary.median / base.summary.median;
      }
    }
  }
  return run;
}

}  // namespace

int cmd_bench(const BenchArgs& args, std::ostream& out, std::ostream& err) {
  if (!valid_backend_name(args.backend)) {
    print_usage_error(err, "unknown backend \"" + args.backend + "\"", unknown_backend_fix());
    return EXIT_USAGE;
  }
  try {
    std::string python;
    if (!args.plot_file.empty()) {
      auto found = check_plotting();
      if (!found) {
        print_runtime_error(err, found.error());
        return EXIT_RUNTIME;
      }
      python = *found;
    }
    auto backend = open_backend(args.backend);
    if (!backend) {
      print_runtime_error(err, backend.error());
      return EXIT_RUNTIME;
    }
    auto run = run_bench(args, *backend);
    if (!run) {
      print_runtime_error(err, run.error());
      return EXIT_RUNTIME;
    }
    print_bench_table(out, *run);
    const auto json = bench_json(*run);
    std::string json_path = args.json_file;
    bool temporary = false;
    if (json_path.empty() && !args.plot_file.empty()) {
      json_path = (std::filesystem::temp_directory_path() / ("megakernel-bench-" + std::to_string(getpid()) + ".json"))
                      .string();
      temporary = true;
    }
    if (!json_path.empty()) {
      if (auto ok = write_json_file(json_path, json); !ok) {
        print_runtime_error(err, ok.error());
        return EXIT_RUNTIME;
      }
      if (!temporary) out << "wrote " << json_path << '\n';
    }
    if (!args.plot_file.empty()) {
      auto ok = plot(python, json_path, args.plot_file);
      if (temporary) std::filesystem::remove(json_path);
      if (!ok) {
        print_runtime_error(err, ok.error());
        return EXIT_RUNTIME;
      }
      out << "wrote " << args.plot_file << '\n';
    }
    return EXIT_OK;
  } catch (const Error& e) {
    print_runtime_error(err, e);
  } catch (const std::exception& e) {
    print_runtime_error(err, Error(ErrorKind::Backend, std::string("bench failed: ") + e.what(),
                                   "rerun with --quick; report it if it persists"));
  }
  return EXIT_RUNTIME;
}

}  // namespace mk::cli
