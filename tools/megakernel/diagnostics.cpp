// One-line error messages for the CLI: job errors (exit 2), usage errors (exit 2), runtime errors (exit 1).
#include "commands.h"

namespace mk::cli {
namespace {

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

void print_job_error(std::ostream& err, const JobError& error) {
  err << "megakernel: invalid job: " << error.line() << '\n';
}

void print_usage_error(std::ostream& err, const std::string& message, const std::string& fix) {
  err << one_line("megakernel: usage: " + message + "; fix: " + fix) << '\n';
}

void print_runtime_error(std::ostream& err, const Error& error) {
  err << one_line("megakernel: " + std::string(to_string(error.kind())) + ": " + error.message() +
                  (error.fix().empty() ? std::string() : "; fix: " + error.fix()))
      << '\n';
}

}  // namespace mk::cli
