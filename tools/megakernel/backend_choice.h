// --backend auto|cpu|cuda -> a Backend, with the Unsupported/Backend error of mk::make_backend.
#pragma once

#include <memory>
#include <string_view>

#include "mk/backend.h"

namespace mk::cli {

// Is this a name --backend accepts?
bool valid_backend_name(std::string_view name);
Result<std::shared_ptr<Backend>> open_backend(std::string_view name);

}  // namespace mk::cli
