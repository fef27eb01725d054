# The compact bulk path: dispatch_batch over NumPy records, BatchOutput views and their lifetime guard.
import gc

import numpy as np
import pytest

import megakernel as mk


def adds(n, observables=16):
    records = np.empty((n, 2), dtype=np.uint32)
    records[:, 0] = np.arange(n) % observables
    records[:, 1] = 1
    return records


def test_uniform_batch(kernel):
    control = mk.encode_control(False, 1, 16)
    out = kernel.dispatch_batch(control, adds(1000), mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))
    assert len(out) == 1000 and out.fault_count == 0
    expected = np.bincount(np.arange(1000) % 16)
    assert np.array_equal(out.observables, expected)
    # Each item saw a distinct previous value of its counter: 0..count-1 per address.
    for address in range(16):
        seen = np.sort(out.results[np.arange(1000) % 16 == address])
        assert np.array_equal(seen, np.arange(expected[address]))


def test_faults_and_views(kernel):
    records = adds(40)
    records[7, 0] = 1000  # past the 16 observables
    out = kernel.dispatch_batch(mk.encode_control(False, 1, 16), records, mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))
    assert out.faults() == [(7, mk.FAULT_OUT_OF_BOUNDS)]
    assert out.faulted(7) and not out.faulted(6)
    assert out.fault_bits[0] == 1 << 7
    results = out.results
    del out
    gc.collect()
    assert results[7] == mk.FAULT_OUT_OF_BOUNDS  # the view kept the BatchOutput alive


def test_mixed_shape(kernel):
    shape = mk.BatchShape.mixed(2)
    assert shape.stride == 4
    records = np.array([[mk.OP_STORE_U32, 0, 1, 11], [mk.OP_STORE_U32, 0, 2, 22]], dtype=np.uint32)
    out = kernel.dispatch_batch(mk.encode_control(False, 1, 16), records, shape)
    assert list(out.observables[1:3]) == [11, 22]


def test_refused_opcode_is_invalid_argument(kernel):
    with pytest.raises(mk.InvalidArgument, match="batch item 1"):
        shape = mk.BatchShape.mixed(0)
        records = np.array([[mk.OP_NOP, 0], [mk.OP_BATCH_FENCE, 0]], dtype=np.uint32)
        kernel.dispatch_batch(mk.encode_control(False, 1, 16), records, shape)


def test_record_array_checks(kernel):
    shape = mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2)
    control = mk.encode_control(False, 1, 16)
    with pytest.raises(TypeError, match="'records' must have dtype uint32"):
        kernel.dispatch_batch(control, adds(4).astype(np.int32), shape)
    with pytest.raises(ValueError, match="'records' must have 2..2 columns"):
        kernel.dispatch_batch(control, np.zeros((4, 3), dtype=np.uint32), shape)
    with pytest.raises(ValueError, match="'records' must be C-contiguous"):
        kernel.dispatch_batch(control, np.asfortranarray(adds(4)), shape)


def test_reused_output_refuses_to_move_under_live_views(kernel):
    shape = mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2)
    control = mk.encode_control(False, 1, 16)
    out = kernel.dispatch_batch(control, adds(8), shape)
    view = out.results
    assert kernel.dispatch_batch(control, adds(8), shape, out=out) is out  # same size: reused in place
    with pytest.raises(BufferError):
        kernel.dispatch_batch(control, adds(64), shape, out=out)  # would reallocate under `view`
    del view
    gc.collect()
    assert len(kernel.dispatch_batch(control, adds(64), shape, out=out)) == 64


def test_batch_records_in_backend_memory(kernel):
    shape = mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2)
    records = kernel.batch_records(shape, 32)
    assert records.shape == (32, 2) and records.dtype == np.uint32
    records[:] = adds(32)
    out = kernel.dispatch_batch(mk.encode_control(False, 1, 16), records, shape)
    assert np.array_equal(out.observables, np.full(16, 2))
