// --backend handling shared by run, trace and bench.
#include "backend_choice.h"

#include <exception>
#include <string>

namespace mk::cli {

std::vector<std::string> backend_choices() {
  std::vector<std::string> choices = backend_names();
  choices.insert(choices.begin(), "auto");
  return choices;
}

std::string backend_choices_text() {
  const std::vector<std::string> choices = backend_choices();
  std::string text;
  for (std::size_t i = 0; i < choices.size(); ++i)
    text += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  return text;
}

bool valid_backend_name(std::string_view name) {
  for (const std::string& choice : backend_choices())
    if (choice == name) return true;
  return false;
}

std::string unknown_backend_fix() { return "pass --backend " + backend_choices_text(); }

Result<std::shared_ptr<Backend>> open_backend(std::string_view name, bool isolate) {
  try {
    BackendOptions options;
    options.isolation = isolate ? Isolation::Process : Isolation::InProcess;
    return make_backend(name, options);
  } catch (const Error& e) {
    return cuda::std::unexpected<Error>(e);
  } catch (const std::exception& e) {
    return fail(ErrorKind::Backend, "creating the " + std::string(name) + " backend failed: " + e.what(),
                "run `megakernel info` to see which backends work here, or pass --backend cpu");
  }
}

}  // namespace mk::cli
