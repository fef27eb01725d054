// Resident-handle bindings: device-owned ABI buffers, dispatches over them, and DLPack exports of their device memory.
#include <pybind11/stl.h>

#include "bind.h"
#include "dlpack.h"
#include "mk/resident.h"

namespace mk::py {

namespace {

constexpr std::pair<const char*, BufferKind> KINDS[] = {{"control", BufferKind::Control},
                                                        {"ring", BufferKind::Ring},
                                                        {"debug_log", BufferKind::DebugLog},
                                                        {"io_queue", BufferKind::IoQueue}};

BufferKind kind_from(const std::string& name) {
  for (const auto& [spelling, kind] : KINDS)
    if (name == spelling) return kind;
  throw pyb::value_error("argument 'kind': unknown buffer \"" + name + "\"; one of control, ring, debug_log, io_queue");
}

const char* kind_name(BufferKind kind) {
  for (const auto& [spelling, k] : KINDS)
    if (k == kind) return spelling;
  return "?";
}

// One buffer of a ResidentHandles, exported by DLPack (uint32 words on the CUDA device).
// Holds the handles so the device memory outlives every consumer.
struct PyResidentBuffer {
  pyb::object handles;
  BufferKind kind;
  DeviceRegion region() const { return unwrap(handles.cast<ResidentHandles&>().buffers().device_region(kind)); }
};

}  // namespace

void bind_resident(pyb::module_& m) {
  pyb::class_<PyResidentBuffer> buffer(
      m, "ResidentBuffer",
      "One device-resident ABI buffer as uint32 words, for torch.from_dlpack / cupy.from_dlpack (no copy). "
      "Touch it only between dispatches: resident dispatches are synchronous.");
  buffer.def_property_readonly("kind", [](const PyResidentBuffer& b) { return std::string(kind_name(b.kind)); })
      .def_property_readonly("size_bytes", [](const PyResidentBuffer& b) {
        return b.handles.cast<ResidentHandles&>().size_bytes(b.kind);
      });
  def_dlpack(
      buffer,
      [](pyb::handle self) {
        return DlDevice{DL_CUDA, self.cast<const PyResidentBuffer&>().region().device};
      },
      [](pyb::handle self) {
        const DeviceRegion r = self.cast<const PyResidentBuffer&>().region();
        DlExport what;
        what.data = r.data;
        what.device = DlDevice{DL_CUDA, r.device};
        what.shape = {static_cast<std::int64_t>(r.size_bytes / 4)};
        what.strides = {1};
        return what;
      },
      [](pyb::handle self) { return pyb::reinterpret_borrow<pyb::object>(self); });

  pyb::class_<ResidentHandles>(m, "ResidentHandles",
                               "Device-owned ABI buffers (Feature ResidentHandles: the CUDA backend) that "
                               "Megakernel.dispatch_resident runs over without host copies.")
      .def_property_readonly("slot_count", &ResidentHandles::slot_count)
      .def(
          "size_bytes", [](const ResidentHandles& h, const std::string& kind) { return h.size_bytes(kind_from(kind)); },
          pyb::arg("kind"), "Bytes of one buffer: \"control\", \"ring\", \"debug_log\" or \"io_queue\".")
      .def(
          "upload",
          [](ResidentHandles& h, const std::string& kind, pyb::handle data, std::uint64_t offset) {
            const auto k = kind_from(kind);
            AlignedInput in(data, "data");
            Status status;
            {
              pyb::gil_scoped_release release;
              status = h.upload(k, in.bytes(), offset);
            }
            unwrap(std::move(status));  // raising needs the GIL back
          },
          pyb::arg("kind"), pyb::arg("data"), pyb::arg("offset") = 0,
          "Overwrite part of one buffer (whole words, inside its size).")
      .def(
          "upload_items",
          [](ResidentHandles& h, std::uint32_t first_slot, pyb::handle items) {
            std::vector<WorkItem> scratch;
            const auto span = work_items_from(items, "items", scratch);
            Status status;
            {
              pyb::gil_scoped_release release;
              status = h.upload_items(first_slot, span);
            }
            unwrap(std::move(status));
          },
          pyb::arg("first_slot"), pyb::arg("items"), "Publish work items into ring slots from first_slot on.")
      .def(
          "readback",
          [](ResidentHandles& h) {
            auto out = std::make_unique<PyOutput>();
            Status status;
            {
              pyb::gil_scoped_release release;
              status = h.readback(out->buffers);
            }
            unwrap(std::move(status));
            return out;
          },
          "Copy every buffer back into a new OutputBuffers.")
      .def(
          "buffer",
          [](pyb::object self, const std::string& kind) {
            return PyResidentBuffer{self, kind_from(kind)};
          },
          pyb::arg("kind"), "One buffer as a DLPack exporter (ResidentBuffer); it keeps these handles alive.");

  auto megakernel = pyb::reinterpret_borrow<pyb::class_<Megakernel, std::shared_ptr<Megakernel>>>(m.attr("Megakernel"));
  megakernel.def(
      "create_resident",
      [](const Megakernel& k, pyb::handle control, pyb::handle ring, pyb::handle debug_log, pyb::handle io_queue) {
        const DispatchArgs args(control, ring, debug_log, io_queue);
        const DispatchInput input = args.input();
        Result<ResidentHandles> made = fail(ErrorKind::Backend, "not run", "");
        {
          pyb::gil_scoped_release release;
          made = k.create_resident_handles(input);
        }
        return std::make_unique<ResidentHandles>(unwrap(std::move(made)));
      },
      pyb::arg("control"), pyb::arg("ring"), pyb::arg("debug_log") = pyb::none(), pyb::arg("io_queue") = pyb::none(),
      pyb::keep_alive<0, 1>(),
      "Copy validated buffers to the device once (Unsupported where the backend has no resident handles).");
  megakernel.def(
      "dispatch_resident",
      [](const Megakernel& k, ResidentHandles& handles) {
        Result<DispatchStats> stats = fail(ErrorKind::Backend, "not run", "");
        {
          pyb::gil_scoped_release release;
          stats = k.dispatch_persistent_handles(handles);
        }
        return unwrap(std::move(stats));
      },
      pyb::arg("handles"), "Run the resident ring once (synchronous; the GIL is released).");
}

}  // namespace mk::py
