// DLPack capsules: one heap record per export holds the tensor, its shape and a reference to the owner.
#include "dlpack.h"

#include <string>

#include <pybind11/stl.h>

namespace mk::py {

namespace {

constexpr const char* LEGACY_NAME = "dltensor";
constexpr const char* VERSIONED_NAME = "dltensor_versioned";

// The export's lifetime: created with the capsule, freed by the consumer's call of the
// deleter (which may come from any thread, without the GIL) or by an unconsumed capsule.
struct DlHolder {
  DlExport what;
  PyObject* owner = nullptr;
  DlManagedTensor legacy{};
  DlManagedTensorVersioned versioned{};
};

void free_holder(DlHolder* holder) {
  // At interpreter exit the owner dies with everything else; taking the GIL then would
  // hang, so the reference is left.
  if (Py_IsInitialized()) {
    const PyGILState_STATE gil = PyGILState_Ensure();
    Py_DECREF(holder->owner);
    PyGILState_Release(gil);
  }
  delete holder;
}

void legacy_deleter(DlManagedTensor* self) { free_holder(static_cast<DlHolder*>(self->manager_ctx)); }
void versioned_deleter(DlManagedTensorVersioned* self) { free_holder(static_cast<DlHolder*>(self->manager_ctx)); }

// A capsule nobody consumed still owns its tensor; a consumed one was renamed
// ("used_dltensor...") and belongs to the consumer.
void capsule_destructor(PyObject* capsule) {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  if (PyCapsule_IsValid(capsule, LEGACY_NAME)) {
    auto* m = static_cast<DlManagedTensor*>(PyCapsule_GetPointer(capsule, LEGACY_NAME));
    m->deleter(m);
  } else if (PyCapsule_IsValid(capsule, VERSIONED_NAME)) {
    auto* m = static_cast<DlManagedTensorVersioned*>(PyCapsule_GetPointer(capsule, VERSIONED_NAME));
    m->deleter(m);
  }
  PyErr_Restore(type, value, traceback);
}

DlTensor tensor_of(DlExport& what) {
  return DlTensor{what.data,  what.device,       static_cast<std::int32_t>(what.shape.size()),
                  what.dtype, what.shape.data(), what.strides.empty() ? nullptr : what.strides.data(),
                  0};
}

// (major, minor) of a max_version argument; major 0 when None.
std::uint32_t major_of(pyb::handle max_version) {
  if (max_version.is_none()) return 0;
  if (!pyb::isinstance<pyb::tuple>(max_version) || pyb::len(max_version) != 2)
    throw pyb::type_error("argument 'max_version' must be a (major, minor) tuple or None");
  return pyb::reinterpret_borrow<pyb::tuple>(max_version)[0].cast<std::uint32_t>();
}

}  // namespace

DlExport dl_host_u32(const void* data, std::size_t count, std::int64_t stride, bool read_only) {
  static std::uint32_t empty = 0;  // consumers may refuse a null data pointer even for no elements
  DlExport what;
  what.data = data != nullptr ? const_cast<void*>(data) : &empty;
  what.shape = {static_cast<std::int64_t>(count)};
  what.strides = {stride};
  what.read_only = read_only;
  return what;
}

pyb::capsule dlpack_capsule(DlExport what, pyb::object owner, pyb::handle max_version) {
  const bool versioned = major_of(max_version) >= 1;
  if (!versioned && what.read_only) what.read_only = false;  // legacy tensors have no flag (see dlpack.h)
  auto* holder = new DlHolder{std::move(what), owner.release().ptr()};
  PyObject* capsule = nullptr;
  if (versioned) {
    holder->versioned = DlManagedTensorVersioned{
        {1, 0}, holder, versioned_deleter, holder->what.read_only ? DL_FLAG_READ_ONLY : 0, tensor_of(holder->what)};
    capsule = PyCapsule_New(&holder->versioned, VERSIONED_NAME, capsule_destructor);
  } else {
    holder->legacy = DlManagedTensor{tensor_of(holder->what), holder, legacy_deleter};
    capsule = PyCapsule_New(&holder->legacy, LEGACY_NAME, capsule_destructor);
  }
  if (capsule == nullptr) {
    free_holder(holder);
    throw pyb::error_already_set();
  }
  return pyb::reinterpret_steal<pyb::capsule>(capsule);
}

pyb::handle dlpack_arguments(pyb::handle stream, pyb::handle max_version, pyb::handle dl_device, pyb::handle copy,
                             DlDevice device) {
  // Host memory takes no stream. Device memory is complete when exported (resident
  // dispatches return after the device finished), so any stream may use it at once.
  if (device.device_type == DL_CPU && !stream.is_none())
    throw pyb::buffer_error("argument 'stream' must be None for host memory, got " +
                            pyb::str(stream).cast<std::string>());
  if (!copy.is_none() && copy.cast<bool>())
    throw pyb::buffer_error("argument 'copy': this export is zero-copy only; copy the consumer's array instead");
  if (!dl_device.is_none()) {
    const auto wanted = dl_device.cast<std::pair<std::int32_t, std::int32_t>>();
    if (wanted.first != device.device_type || wanted.second != device.device_id)
      throw pyb::buffer_error("argument 'dl_device' (" + std::to_string(wanted.first) + ", " +
                              std::to_string(wanted.second) + ") is not where this memory lives (" +
                              std::to_string(device.device_type) + ", " + std::to_string(device.device_id) + ")");
  }
  major_of(max_version);  // checks its form
  return max_version;
}

}  // namespace mk::py
