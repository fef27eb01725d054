// Where the mk-worker executable is: the option, $MK_WORKER_PATH, the install location,
// next to the running executable, the build tree.
#pragma once

#include <string>

#include "mk/error.h"

namespace mk::isolate {

// `configured`: IsolationOptions::worker_path ("" = search). An explicit path (option or
// environment) that is not an executable is InvalidArgument naming it; nothing found
// is Unsupported listing every place looked at.
Result<std::string> find_worker(const std::string& configured);

}  // namespace mk::isolate
