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
        std::vector<WorkItem> scratch;
        const auto view = work_items_from(batch, "batch", scratch);
        const std::vector<WorkItem> items(view.begin(), view.end());
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
          submit_ns.push_back(
              static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count()));
        }
        return submit_ns;
      },
      pyb::arg("session"), pyb::arg("batch"), pyb::arg("samples"),
      "Nanoseconds of LiveSession::submit per sample (the batch converted once, wait untimed).");
  m.def(
      "_bench_native_round_trip",
      [](LiveSession& session, pyb::handle batch, std::uint32_t samples) {
        std::vector<WorkItem> scratch;
        const auto view = work_items_from(batch, "batch", scratch);
        const std::vector<WorkItem> items(view.begin(), view.end());
        std::vector<std::uint64_t> round_trip_ns;
        round_trip_ns.reserve(samples);
        pyb::gil_scoped_release release;
        for (std::uint32_t i = 0; i < samples; ++i) {
          const auto start = std::chrono::steady_clock::now();
          auto ticket = session.submit(items);
          const bool done = ticket && session.wait(*ticket, std::chrono::seconds(10)).value_or(false);
          const auto stop = std::chrono::steady_clock::now();
          if (!done) {
            pyb::gil_scoped_acquire acquire;
            throw pyb::value_error("native submit/wait failed");
          }
          round_trip_ns.push_back(
              static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count()));
        }
        return round_trip_ns;
      },
      pyb::arg("session"), pyb::arg("batch"), pyb::arg("samples"), "Nanoseconds of submit + wait per sample.");
}

}  // namespace mk::py
