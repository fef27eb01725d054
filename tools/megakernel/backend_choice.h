// --backend auto|cpu|cuda [--isolate] -> a Backend, with the Unsupported/Backend error of mk::make_backend.
#pragma once

#include <memory>
#include <string_view>

#include "mk/backend.h"

namespace mk::cli {

// Is this a name --backend accepts?
bool valid_backend_name(std::string_view name);
// isolate: run the backend in a supervised worker process (--isolate, include/mk/isolate.h).
Result<std::shared_ptr<Backend>> open_backend(std::string_view name, bool isolate = false);

}  // namespace mk::cli
