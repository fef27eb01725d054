# Protocol functions over bytearray / NumPy buffers, and the zero-copy observable and ring views.
import gc

import numpy as np
import pytest

import megakernel as mk


def test_control_roundtrip():
    control = mk.encode_control(False, 2, 16)
    assert isinstance(control, bytearray)
    assert len(control) == mk.control_bytes(16)
    assert mk.validate_control(control) == (2, 16)
    assert mk.read_done_count(control) == 0
    mk.write_observables(control, 3, [7, 8])
    assert mk.read_observable(control, 4) == 8
    counters = mk.read_tenant_counters(control, 1)
    assert counters.tenant == 1 and counters.window == (0, 16)


def test_read_observables_is_a_view_not_a_copy():
    control = mk.encode_control(False, 1, 8)
    view = mk.read_observables(control)
    assert view.dtype == np.uint32 and view.shape == (8,)
    mk.write_observables(control, 2, [41])
    assert view[2] == 41  # written through the buffer after the view was made
    view[5] = 9  # and the view writes into the buffer
    assert mk.read_observable(control, 5) == 9
    with pytest.raises(BufferError):
        control.extend(b"\0" * 4)  # the view holds an export: no resize under it


def test_view_keeps_the_buffer_alive():
    control = mk.encode_control(False, 1, 8)
    mk.write_observables(control, 0, [123])
    view = mk.read_observables(control)
    del control
    gc.collect()
    assert view[0] == 123


def test_numpy_buffers_work_like_bytearrays():
    ring = np.frombuffer(mk.encode_empty_ring(8), dtype=np.uint8).copy()
    mk.publish_slot(ring, 2, mk.WorkItem(mk.OP_STORE_U32, 0, [1, 2]))
    slot = mk.read_slot(ring, 2)
    assert (slot.status, slot.opcode, slot.args[:2]) == (mk.STATUS_PUBLISHED, mk.OP_STORE_U32, [1, 2])
    assert list(mk.ring_statuses(ring)) == [0, 0, 1, 0, 0, 0, 0, 0]
    with pytest.raises(mk.QueueFull):
        mk.publish_slot(ring, 2, mk.WorkItem(mk.OP_NOP))  # still PUBLISHED


def test_publish_work_items_from_rows_and_items():
    ring = mk.encode_empty_ring(8)
    rows = np.array([[mk.OP_STORE_U32, 0, 1, 5], [mk.OP_STORE_U32, 0, 2, 6]], dtype=np.uint32)
    assert mk.publish_work_items(ring, 0, rows) == 2
    assert mk.publish_work_items(ring, 2, [mk.WorkItem(mk.OP_NOP)]) == 3
    assert [mk.read_slot(ring, i).status for i in range(4)] == [1, 1, 1, 0]
    assert mk.read_slot(ring, 1).args[:2] == [2, 6]


def test_rows_must_be_uint32_2d():
    ring = mk.encode_empty_ring(8)
    with pytest.raises(TypeError, match="'items' must have dtype uint32"):
        mk.publish_work_items(ring, 0, np.zeros((1, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="'items' must be 2-D"):
        mk.publish_work_items(ring, 0, np.zeros(3, dtype=np.uint32))
    with pytest.raises(ValueError, match="columns"):
        mk.publish_work_items(ring, 0, np.zeros((1, 1), dtype=np.uint32))


def test_names():
    assert mk.status_name(mk.STATUS_DONE) == "DONE"
    assert mk.find_builtin_opcode("ATOMIC_ADD") == mk.OP_ATOMIC_ADD
    assert mk.find_builtin_opcode("nope") is None
    assert mk.builtin_opcode_name(mk.OP_STORE_U32) == "STORE_U32"
