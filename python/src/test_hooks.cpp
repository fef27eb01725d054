// Test support for python/tests: freeze a live session's lanes (mk::live_test_inject_stall).
#include "bind.h"
#include "core/live_test_hooks.h"
#include "mk/live.h"

namespace mk::py {

void bind_test_hooks(pyb::module_& m) {
  m.def(
      "_live_test_inject_stall", [](LiveSession& session, bool stalled) { live_test_inject_stall(session, stalled); },
      pyb::arg("session"), pyb::arg("stalled"),
      "Stop (True) or resume (False) the lanes without stopping them, as a hung kernel would.");
}

}  // namespace mk::py
