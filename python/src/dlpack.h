// The DLPack exchange ABI (DLPack 1.0: legacy DLManagedTensor and DLManagedTensorVersioned)
// and a capsule maker for __dlpack__ exports.
//
// Neither the CUDA toolkit nor the Debian packages this project builds from ship
// dlpack.h, so the few structs of the stable C ABI are declared here, in the field order
// and widths the DLPack specification (https://dmlc.github.io/dlpack/latest/c_api.html,
// v1.0) fixes. Only what an exporter needs is declared; the names carry an `Dl` prefix in
// namespace mk::py so a real dlpack.h included later cannot clash.
#pragma once

#include <cstdint>
#include <vector>

#include <pybind11/pybind11.h>

namespace mk::py {

namespace pyb = pybind11;

// DLDeviceType values used here (the enumerators' numbers are part of the ABI).
enum DlDeviceType : std::int32_t { DL_CPU = 1, DL_CUDA = 2, DL_CUDA_HOST = 3 };
// DLDataTypeCode values.
enum DlTypeCode : std::uint8_t { DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2 };

struct DlDevice {
  std::int32_t device_type;
  std::int32_t device_id;
};

struct DlDataType {
  std::uint8_t code;
  std::uint8_t bits;
  std::uint16_t lanes;
};

struct DlTensor {
  void* data;
  DlDevice device;
  std::int32_t ndim;
  DlDataType dtype;
  std::int64_t* shape;
  std::int64_t* strides;  // in elements; may be null for a compact row-major tensor
  std::uint64_t byte_offset;
};

// Capsule name "dltensor" (renamed "used_dltensor" by the consumer that takes it).
struct DlManagedTensor {
  DlTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DlManagedTensor* self);
};

struct DlPackVersion {
  std::uint32_t major;
  std::uint32_t minor;
};

constexpr std::uint64_t DL_FLAG_READ_ONLY = 1ull << 0;

// Capsule name "dltensor_versioned" (renamed "used_dltensor_versioned").
struct DlManagedTensorVersioned {
  DlPackVersion version;
  void* manager_ctx;
  void (*deleter)(DlManagedTensorVersioned* self);
  std::uint64_t flags;
  DlTensor dl_tensor;
};

// What one export describes: `data` on `device`, elements of `dtype`, `shape` and
// `strides` (elements), kept valid while `owner` lives.
struct DlExport {
  void* data = nullptr;
  DlDevice device{DL_CPU, 0};
  DlDataType dtype{DL_UINT, 32, 1};
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
  bool read_only = false;
};

// A 1-D host export of `count` uint32 words `stride` words apart (an empty one when count is 0).
DlExport dl_host_u32(const void* data, std::size_t count, std::int64_t stride, bool read_only);

// A DLPack capsule of `what` holding a reference to `owner` until the consumer's
// deleter runs (or the capsule dies unconsumed). `max_version`: the consumer's
// (major, minor) or None; (1, x) gets a versioned tensor that carries the read-only
// flag, None or (0, x) the legacy "dltensor" (which cannot say read-only: the consumer
// sees writable memory, so only memory nothing else depends on may be exported so).
pyb::capsule dlpack_capsule(DlExport what, pyb::object owner, pyb::handle max_version);

// Arguments a __dlpack__ takes (stream, max_version, dl_device, copy), checked against
// an export on `device`: BufferError for a copy=True request or another target device,
// as the Python array API standard asks. Returns max_version.
pyb::handle dlpack_arguments(pyb::handle stream, pyb::handle max_version, pyb::handle dl_device, pyb::handle copy,
                             DlDevice device);

// Give `cls` the DLPack protocol: __dlpack_device__ from `device(self)`, __dlpack__ from
// `describe(self)` -> DlExport and `owner(self)` (what the capsule keeps alive).
template <class Class, class Device, class Describe, class Owner>
void def_dlpack(Class& cls, Device device, Describe describe, Owner owner) {
  cls.def(
      "__dlpack_device__",
      [device](pyb::object self) {
        const DlDevice d = device(self);
        return pyb::make_tuple(d.device_type, d.device_id);
      },
      "(device type, device id) of the memory __dlpack__ exports (DLPack: 1 CPU, 2 CUDA).");
  cls.def(
      "__dlpack__",
      [device, describe, owner](pyb::object self, pyb::handle stream, pyb::handle max_version, pyb::handle dl_device,
                                pyb::handle copy) {
        const auto version = dlpack_arguments(stream, max_version, dl_device, copy, device(self));
        return dlpack_capsule(describe(self), owner(self), version);
      },
      pyb::kw_only(), pyb::arg("stream") = pyb::none(), pyb::arg("max_version") = pyb::none(),
      pyb::arg("dl_device") = pyb::none(), pyb::arg("copy") = pyb::none(),
      "A DLPack capsule of this memory (no copy) that keeps this object alive: numpy.from_dlpack, "
      "torch.from_dlpack and cupy.from_dlpack take the object itself.");
}

}  // namespace mk::py
