// --backend handling shared by run, trace and bench.
#include "backend_choice.h"

#include <exception>
#include <string>

namespace mk::cli {

bool valid_backend_name(std::string_view name) { return name == "auto" || name == "cpu" || name == "cuda"; }

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
