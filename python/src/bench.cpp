// Native baselines for python/bench: the same LiveSession calls timed in C++, in the same process.
#include <chrono>

#include <pybind11/stl.h>

#include "bind.h"
#include "mk/live.h"

namespace mk::py {

void bind_bench(pyb::module_& m) {
  m.def(
      "_bench_native_submit",
      [](LiveSession& session, pyb::handle batch, std::uint32_t samples) {
        std::vector<WorkItem> items;
        work_items_from(batch, "batch", items);
        std::vector<std::uint64_t> submit_ns;
        submit_ns.reserve(samples);
        pyb::gil_scoped_release release;
        for (std::uint32_t i = 0; i < samples; ++i) {
          const auto start = std::chrono::steady_clock::now();
          auto ticket = session.submit(items);
          const auto stop = std::chrono::steady_clock::now();
          if (!ticket || !session.wait(*ticket, std::chrono::seconds(10)).value_or(false)) {
            pyb::gil_scoped_acquire acquire;
            throw pyb::value_error("native submit/wait failed");
          }
          submit_ns.push_back(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count()));
        }
        return submit_ns;
      },
      pyb::arg("session"), pyb::arg("batch"), pyb::arg("samples"),
      "Nanoseconds of LiveSession::submit per sample (the batch converted once, wait untimed).");
}

}  // namespace mk::py
