// Shared helpers of the Python bindings: buffer arguments, zero-copy NumPy views, errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "mk/batch.h"
#include "mk/error.h"
#include "mk/megakernel.h"
#include "mk/protocol.h"

namespace mk::py {

namespace pyb = pybind11;

// A dispatch's buffers and stats (Python's OutputBuffers); NumPy views of them keep this
// object alive.
struct PyOutput {
  OutputBuffers buffers;
  DispatchStats stats;
};

// A borrowed C-contiguous buffer argument (bytes, bytearray, memoryview, NumPy array),
// released on destruction. TypeError / ValueError name the argument when it is not a
// buffer, not contiguous, or read-only where `writable` was asked for.
class BufferArg {
 public:
  BufferArg(pyb::handle object, const char* name, bool writable);
  BufferArg(const BufferArg&) = delete;
  BufferArg& operator=(const BufferArg&) = delete;
  ~BufferArg();

  ConstByteSpan bytes() const noexcept { return {static_cast<const std::byte*>(m_view.buf), size()}; }
  ByteSpan writable_bytes() const noexcept { return {static_cast<std::byte*>(m_view.buf), size()}; }
  std::size_t size() const noexcept { return static_cast<std::size_t>(m_view.len); }

 private:
  Py_buffer m_view{};
};

// A read-only byte buffer whose words are 4-byte aligned: the caller's memory when it
// already is, else an aligned copy (bytes slices and odd NumPy views).
class AlignedInput {
 public:
  AlignedInput(pyb::handle object, const char* name);
  ConstByteSpan bytes() const noexcept { return m_bytes; }

 private:
  BufferArg m_arg;
  std::vector<std::uint32_t> m_copy;
  ConstByteSpan m_bytes;
};

// The four buffers of a dispatch (control, ring, optional debug log and I/O queue), each
// an AlignedInput; None leaves a buffer empty.
class DispatchArgs {
 public:
  DispatchArgs(pyb::handle control, pyb::handle ring, pyb::handle debug_log, pyb::handle io_queue)
      : m_control(control, "control"), m_ring(ring, "ring") {
    if (!debug_log.is_none()) m_log.emplace(debug_log, "debug_log");
    if (!io_queue.is_none()) m_io.emplace(io_queue, "io_queue");
  }
  DispatchInput input() const noexcept {
    return DispatchInput{m_control.bytes(), m_ring.bytes(), m_log ? m_log->bytes() : ConstByteSpan{},
                         m_io ? m_io->bytes() : ConstByteSpan{}};
  }

 private:
  AlignedInput m_control, m_ring;
  std::optional<AlignedInput> m_log, m_io;
};

// A 2-D C-contiguous native uint32 array, or TypeError/ValueError naming `name`.
// `columns_min`/`columns_max` bound shape[1].
pyb::array_t<std::uint32_t> require_u32_matrix(pyb::handle object, const char* name, pyb::ssize_t columns_min,
                                               pyb::ssize_t columns_max);

// A compact batch over a record array argument: C-contiguous numpy.uint32 of shape
// (n, shape.stride) with n <= BATCH_MAX_ITEMS, read in place (the view borrows `rows`).
// TypeError/ValueError name `name`.
struct RecordsArg {
  pyb::array_t<std::uint32_t> rows;
  BatchView view;
};
RecordsArg records_arg(pyb::handle records, const BatchShape& shape, const char* name);

// Work items of a batch argument: a 1-D WORK_ITEM_DTYPE array is used in place (no
// copy: its records have WorkItem's layout); rows of {opcode, tenant, args...} (2-D
// uint32) and sequences of WorkItem are converted into `scratch`. The span borrows the
// argument or `scratch`.
std::span<const WorkItem> work_items_from(pyb::handle object, const char* name, std::vector<WorkItem>& scratch);
// The NumPy structured dtype laid out exactly as mk::WorkItem.
pyb::dtype work_item_dtype();

// A NumPy view of `count` uint32 words at `data` (`stride` bytes apart), kept alive by
// `owner`. The view is read-only unless `writable`.
pyb::array u32_view(const void* data, std::size_t count, pyb::ssize_t stride, pyb::handle owner, bool writable);
// A NumPy uint8 view of `size` bytes at `data`, kept alive by `owner`.
pyb::array u8_view(const void* data, std::size_t size, pyb::handle owner, bool writable);
// A NumPy uint32 array that takes ownership of `words` (no copy).
pyb::array u32_array(std::vector<std::uint32_t>&& words);

// Raise the Python exception of `error` (megakernel.Error's subclass for its kind).
[[noreturn]] void throw_error(const Error& error);

template <class T>
T unwrap(Result<T>&& result) {
  if (!result) throw_error(result.error());
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// JSON text of a Python value: a str is taken as JSON already, anything else json.dumps.
std::string json_text(pyb::handle value);

// Seconds (float, or None for "forever") as nanoseconds.
std::chrono::nanoseconds seconds_arg(pyb::handle timeout);

void bind_errors(pyb::module_& m);
void bind_protocol(pyb::module_& m);
void bind_megakernel(pyb::module_& m);
void bind_batch(pyb::module_& m);
void bind_live(pyb::module_& m);
void bind_resident(pyb::module_& m);
void bind_job(pyb::module_& m);
void bind_bench(pyb::module_& m);
void bind_test_hooks(pyb::module_& m);

}  // namespace mk::py
