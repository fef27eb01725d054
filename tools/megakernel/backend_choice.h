// --backend auto|<registered backend> [--isolate] -> a Backend, with the Unsupported/Backend error of mk::make_backend.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mk/backend.h"

namespace mk::cli {

// What --backend accepts: "auto" and every registered backend (mk::backend_names()).
std::vector<std::string> backend_choices();
// The same for help and error text: "auto, cpu or cuda".
std::string backend_choices_text();
// Is this a name --backend accepts?
bool valid_backend_name(std::string_view name);
// The usage error for a --backend name the registry does not know.
std::string unknown_backend_fix();
// isolate: run the backend in a supervised worker process (--isolate, include/mk/isolate.h).
Result<std::shared_ptr<Backend>> open_backend(std::string_view name, bool isolate = false);

}  // namespace mk::cli
