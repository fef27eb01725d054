# mk::ErrorKind maps to megakernel.Error subclasses with .kind/.message/.fix; bad arguments name themselves.
import numpy as np
import pytest

import megakernel as mk


def test_hierarchy():
    for name in ["QueueFull", "Malformed", "Unsupported", "BackendError", "DeviceLost", "InvalidArgument"]:
        assert issubclass(getattr(mk, name), mk.Error)
    assert issubclass(mk.InvalidArgument, ValueError)
    assert not issubclass(mk.Malformed, ValueError)


def test_invalid_argument_carries_message_and_fix():
    with pytest.raises(mk.InvalidArgument) as info:
        mk.encode_control(False, mk.MAX_TENANTS + 1, 16)
    assert info.value.kind == "InvalidArgument"
    assert "TENANT_COUNT" in info.value.message
    assert info.value.fix != ""
    assert info.value.message in str(info.value)


def test_malformed_control():
    with pytest.raises(mk.Malformed) as info:
        mk.read_done_count(bytes(mk.control_bytes(16)))  # all zero: no magic
    assert info.value.kind == "Malformed"


def test_not_a_buffer_is_a_type_error_naming_the_argument():
    with pytest.raises(TypeError, match="'control'"):
        mk.read_done_count(12)


def test_read_only_buffer_is_a_type_error_naming_the_argument():
    ring = bytes(mk.encode_empty_ring(4))
    with pytest.raises(TypeError, match="'ring' is read-only"):
        mk.publish_slot(ring, 0, mk.WorkItem(mk.OP_NOP))


def test_non_contiguous_buffer_is_a_value_error():
    ring = np.frombuffer(mk.encode_empty_ring(8) * 2, dtype=np.uint8).copy()[::2]
    with pytest.raises(ValueError, match="'ring' must be C-contiguous"):
        mk.publish_slot(ring, 0, mk.WorkItem(mk.OP_NOP))


def test_too_many_args():
    with pytest.raises(mk.InvalidArgument):
        mk.WorkItem(mk.OP_NOP, 0, list(range(mk.MAX_ARGS + 1)))


def test_unknown_backend():
    with pytest.raises(mk.Error):
        mk.Megakernel.bootstrap(backend="tpu")
