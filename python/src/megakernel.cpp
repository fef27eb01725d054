// Megakernel bindings: bootstrap (backend, geometry, custom opcodes), one-shot dispatch, OutputBuffers views.
#include <pybind11/stl.h>

#include "bind.h"
#include "mk/backend.h"
#include "mk/megakernel.h"

namespace mk::py {

namespace {

// The CPU options reach "cpu" and an "auto" that picks the CPU; other backends ignore them.
Result<std::shared_ptr<Backend>> open_backend(const std::string& name, std::uint32_t cpu_threads, bool deterministic) {
  BackendOptions options;
  options.cpu = CpuBackendOptions{cpu_threads, deterministic};
  return make_backend(name, options);
}

// The C++ enumerator names, which Python callers spell: supports("LiveSession").
constexpr std::pair<const char*, Feature> FEATURES[] = {{"OneShot", Feature::OneShot},
                                                        {"IoQueue", Feature::IoQueue},
                                                        {"DebugLog", Feature::DebugLog},
                                                        {"CustomOpcodes", Feature::CustomOpcodes},
                                                        {"PayloadProcessor", Feature::PayloadProcessor},
                                                        {"DeviceTime", Feature::DeviceTime},
                                                        {"ResidentHandles", Feature::ResidentHandles},
                                                        {"ManyLaunch", Feature::ManyLaunch},
                                                        {"LiveSession", Feature::LiveSession},
                                                        {"Trace", Feature::Trace},
                                                        {"CompactBatch", Feature::CompactBatch}};

Feature feature_from(const std::string& name) {
  std::string known;
  for (const auto& [spelling, feature] : FEATURES) {
    if (name == spelling) return feature;
    known += (known.empty() ? "" : ", ") + std::string(spelling);
  }
  throw pyb::value_error("argument 'feature': unknown feature \"" + name + "\"; one of " + known);
}

}  // namespace

void bind_megakernel(pyb::module_& m) {
  pyb::class_<DispatchStats>(m, "DispatchStats", "Host wall time, device time and traffic of one dispatch.")
      .def_readonly("wall_ns", &DispatchStats::wall_ns)
      .def_readonly("device_ns", &DispatchStats::device_ns)
      .def_readonly("device_ns_known", &DispatchStats::device_ns_known)
      .def_readonly("bytes_up", &DispatchStats::bytes_up)
      .def_readonly("bytes_down", &DispatchStats::bytes_down)
      .def_readonly("items_done", &DispatchStats::items_done)
      .def_readonly("sweeps", &DispatchStats::sweeps)
      .def_readonly("rounds", &DispatchStats::rounds);

  pyb::class_<PyOutput>(
      m, "OutputBuffers",
      "A dispatch's ABI buffers. Every property is a NumPy view (no copy) that keeps this object alive.")
      .def_property_readonly("control",
                             [](pyb::object self) {
                               auto& b = self.cast<PyOutput&>().buffers.control;
                               return u8_view(b.data(), b.size(), self, true);
                             })
      .def_property_readonly("ring",
                             [](pyb::object self) {
                               auto& b = self.cast<PyOutput&>().buffers.ring;
                               return u8_view(b.data(), b.size(), self, true);
                             })
      .def_property_readonly("debug_log",
                             [](pyb::object self) {
                               auto& b = self.cast<PyOutput&>().buffers.debug_log;
                               return u8_view(b.data(), b.size(), self, true);
                             })
      .def_property_readonly("io_queue",
                             [](pyb::object self) {
                               auto& b = self.cast<PyOutput&>().buffers.io_queue;
                               return u8_view(b.data(), b.size(), self, true);
                             })
      .def_property_readonly(
          "observables",
          [](pyb::object self) {
            auto& b = self.cast<PyOutput&>().buffers.control;
            const auto header = unwrap(try_validate_control(b));
            return u32_view(b.data() + std::size_t{abi::CTRL_OBSERVABLES} * 4, header.observable_count, 4, self, true);
          },
          "Observable words (numpy.uint32 view of control).")
      .def_property_readonly(
          "results",
          [](pyb::object self) {
            auto& b = self.cast<PyOutput&>().buffers.ring;
            return u32_view(b.data() + abi::SLOT_RESULT * 4, b.size() / abi::SLOT_BYTES, abi::SLOT_BYTES, self, false);
          },
          "RESULT word of every slot (strided numpy.uint32 view of ring).")
      .def_property_readonly(
          "statuses",
          [](pyb::object self) {
            auto& b = self.cast<PyOutput&>().buffers.ring;
            return u32_view(b.data() + abi::SLOT_STATUS * 4, b.size() / abi::SLOT_BYTES, abi::SLOT_BYTES, self, false);
          },
          "STATUS word of every slot (strided numpy.uint32 view of ring).")
      .def_readonly("stats", &PyOutput::stats);

  pyb::class_<Megakernel, std::shared_ptr<Megakernel>>(
      m, "Megakernel", "Geometry, opcode table and compiled pipeline of one backend; runs dispatches.")
      .def_static(
          "bootstrap",
          [](const std::string& backend, std::uint32_t slot_count, std::uint32_t workgroup_size_x, pyb::object opcodes,
             std::uint32_t cpu_threads, bool deterministic) {
            std::vector<OpcodeHandler> handlers;
            if (!opcodes.is_none()) handlers = unwrap(ir::handlers_from_json(json_text(opcodes)));
            Result<Megakernel> made = fail(ErrorKind::Backend, "not run", "");
            {
              pyb::gil_scoped_release release;  // a CUDA bootstrap may JIT-compile for seconds
              auto opened = open_backend(backend, cpu_threads, deterministic);
              if (!opened) {
                made = cuda::std::unexpected<Error>(std::move(opened.error()));
              } else {
                made = Megakernel::bootstrap_sharded(std::move(*opened), slot_count, workgroup_size_x,
                                                     std::move(handlers));
              }
            }
            return std::make_shared<Megakernel>(unwrap(std::move(made)));
          },
          pyb::arg("backend") = "auto", pyb::arg("slot_count") = 256, pyb::arg("workgroup_size_x") = 256,
          pyb::arg("opcodes") = pyb::none(), pyb::arg("cpu_threads") = 0, pyb::arg("deterministic") = false,
          "Open a backend (\"auto\", \"cpu\", \"cuda\") and build its pipeline. `opcodes`: custom opcodes in the "
          "CLI's JSON form, as a list of dicts or a JSON string ([{\"opcode\": N, \"name\": ..., \"body\": [...]}]).")
      .def_property_readonly("backend_name", [](const Megakernel& k) { return std::string(k.backend().name()); })
      .def_property_readonly("slot_count", &Megakernel::slot_count)
      .def_property_readonly("workgroup_size_x", &Megakernel::workgroup_size_x)
      .def_property_readonly("worker_groups", &Megakernel::worker_groups)
      .def_property_readonly("pipeline_id", &Megakernel::pipeline_id)
      .def_property_readonly("opcode_table",
                             [](const Megakernel& k) {
                               return std::vector<std::uint32_t>(k.opcode_table().begin(), k.opcode_table().end());
                             })
      .def(
          "opcode_index",
          [](const Megakernel& k, std::uint32_t opcode) -> std::optional<std::uint32_t> {
            const auto index = k.opcode_index(opcode);
            if (index == abi::NO_OPCODE_INDEX) return std::nullopt;
            return index;
          },
          pyb::arg("opcode"), "Opcode-table index of an opcode id, or None.")
      .def(
          "supports", [](const Megakernel& k, const std::string& f) { return k.backend().supports(feature_from(f)); },
          pyb::arg("feature"), "Does the backend have this Feature (\"LiveSession\", \"CompactBatch\", ...)?")
      .def(
          "dispatch",
          [](const Megakernel& k, pyb::handle control, pyb::handle ring, pyb::handle debug_log, pyb::handle io_queue) {
            const DispatchArgs args(control, ring, debug_log, io_queue);
            const DispatchInput input = args.input();
            auto out = std::make_unique<PyOutput>();
            Result<DispatchStats> stats = fail(ErrorKind::Backend, "not run", "");
            {
              pyb::gil_scoped_release release;
              stats = k.dispatch_input_into(input, out->buffers);
            }
            out->stats = unwrap(std::move(stats));
            return out;
          },
          pyb::arg("control"), pyb::arg("ring"), pyb::arg("debug_log") = pyb::none(),
          pyb::arg("io_queue") = pyb::none(),
          "One-shot dispatch over copies of the buffers; the GIL is released while it runs.");
}

}  // namespace mk::py
