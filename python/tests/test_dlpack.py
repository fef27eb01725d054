# DLPack exports: BatchOutput and Ticket results to NumPy without copies, the capsule protocol, resident device buffers.
import ctypes
import gc
import sys

import numpy as np
import pytest

import megakernel as mk

PyCapsule_IsValid = ctypes.pythonapi.PyCapsule_IsValid
PyCapsule_IsValid.restype = ctypes.c_int
PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]


def adds(n, observables=16):
    records = np.empty((n, 2), dtype=np.uint32)
    records[:, 0] = np.arange(n) % observables
    records[:, 1] = 1
    return records


@pytest.fixture
def batch_out(kernel):
    return kernel.dispatch_batch(mk.encode_control(False, 1, 16), adds(100),
                                 mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))


def test_batch_output_to_numpy_without_copy(batch_out):
    assert batch_out.__dlpack_device__() == (1, 0)
    words = np.from_dlpack(batch_out)
    assert words.dtype == np.uint32 and words.shape == (100,)
    assert np.array_equal(words, batch_out.results)
    assert words.__array_interface__["data"][0] == batch_out.results.__array_interface__["data"][0]


def test_export_keeps_the_owner_alive(kernel):
    out = kernel.dispatch_batch(mk.encode_control(False, 1, 16), adds(40), mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))
    expected = out.results.copy()
    words = np.from_dlpack(out)
    del out
    gc.collect()
    assert np.array_equal(words, expected)


def test_an_export_blocks_a_reuse_that_would_move_it(kernel):
    shape = mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2)
    control = mk.encode_control(False, 1, 16)
    out = kernel.dispatch_batch(control, adds(8), shape)
    words = np.from_dlpack(out)
    with pytest.raises(BufferError):
        kernel.dispatch_batch(control, adds(64), shape, out=out)
    del words
    gc.collect()
    assert len(kernel.dispatch_batch(control, adds(64), shape, out=out)) == 64


def test_ticket_results_to_numpy(kernel):
    with mk.LiveSession.start(kernel, slot_count=256, lanes=2, observable_count=16) as live:
        ticket = live.submit(np.array([[mk.OP_ATOMIC_ADD, 0, 3, 2]] * 10, dtype=np.uint32))
        assert live.wait(ticket, 10.0)
        words = np.from_dlpack(ticket)  # strided: one word of each 8-byte ItemResult
        assert np.array_equal(words, ticket.results) and words.strides == (8,)
        assert sorted(words) == list(range(0, 20, 2))
        if kernel.backend_name == "cpu":
            compact = live.submit_batch(adds(50), mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))
            assert live.wait(compact, 10.0)
            assert np.array_equal(np.from_dlpack(compact), compact.results)


def test_capsule_names_and_versions(batch_out):
    legacy = batch_out.__dlpack__()
    assert PyCapsule_IsValid(legacy, b"dltensor") == 1
    versioned = batch_out.__dlpack__(max_version=(1, 0))
    assert PyCapsule_IsValid(versioned, b"dltensor_versioned") == 1
    assert PyCapsule_IsValid(batch_out.__dlpack__(max_version=(0, 8)), b"dltensor") == 1


def test_an_unconsumed_capsule_releases_its_owner(kernel):
    with mk.LiveSession.start(kernel, slot_count=256, lanes=2, observable_count=16) as live:
        ticket = live.submit(np.array([[mk.OP_NOP, 0]], dtype=np.uint32))
        assert live.wait(ticket, 10.0)
        before = sys.getrefcount(ticket)
        capsule = ticket.__dlpack__()
        assert sys.getrefcount(ticket) == before + 1
        del capsule
        assert sys.getrefcount(ticket) == before


def test_dlpack_argument_checks(batch_out):
    with pytest.raises(BufferError, match="'stream'"):
        batch_out.__dlpack__(stream=1)
    with pytest.raises(BufferError, match="'copy'"):
        batch_out.__dlpack__(copy=True)
    with pytest.raises(BufferError, match="'dl_device'"):
        batch_out.__dlpack__(dl_device=(2, 0))
    with pytest.raises(TypeError, match="'max_version'"):
        batch_out.__dlpack__(max_version=1)
    assert PyCapsule_IsValid(batch_out.__dlpack__(dl_device=(1, 0), copy=False), b"dltensor") == 1


def test_resident_handles_are_unsupported_on_the_cpu(kernel):
    if kernel.supports("ResidentHandles"):
        pytest.skip("this backend has resident handles")
    with pytest.raises(mk.Unsupported) as info:
        kernel.create_resident(mk.encode_control(False, 1, 16), mk.encode_empty_ring(kernel.slot_count))
    assert info.value.fix != ""


def test_resident_buffer_exports_cuda_memory(kernel):
    # Needs a GPU: MK_PY_BACKEND=cuda. torch/cupy round trips run only where installed.
    if not kernel.supports("ResidentHandles"):
        pytest.skip("needs a backend with resident handles (CUDA)")
    control = mk.encode_control(False, 1, 16)
    ring = bytearray(mk.encode_empty_ring(kernel.slot_count))
    mk.publish_slot(ring, 0, mk.WorkItem(mk.OP_STORE_U32, 0, [3, 77]))
    handles = kernel.create_resident(control, ring)
    kernel.dispatch_resident(handles)
    buffer = handles.buffer("control")
    assert buffer.kind == "control" and buffer.size_bytes == handles.size_bytes("control")
    assert buffer.__dlpack_device__()[0] == 2  # kDLCUDA
    assert PyCapsule_IsValid(buffer.__dlpack__(stream=None), b"dltensor") == 1
    observable_3 = mk.read_observable(handles.readback().control, 3)
    assert observable_3 == 77
    for name in ("torch", "cupy"):
        module = _try_import(name)
        if module is None:
            continue
        words = module.from_dlpack(buffer)
        assert int(words[656 + 3]) == 77  # CTRL_OBSERVABLES + 3


def _try_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None
