# One-shot dispatch, OutputBuffers views, custom opcodes from dicts and the Python IR builder.
import gc

import numpy as np
import pytest

import megakernel as mk
from megakernel import ir


def test_dispatch_store(kernel):
    control = mk.encode_control(False, 1, 16)
    ring = mk.encode_empty_ring(kernel.slot_count)
    mk.publish_slot(ring, 0, mk.WorkItem(mk.OP_STORE_U32, 0, [3, 7]))
    mk.publish_slot(ring, 1, mk.WorkItem(mk.OP_LOAD_U32, 0, [99]))  # outside the 16 observables
    out = kernel.dispatch(control, ring)
    assert mk.read_observable(out.control, 3) == 7
    assert out.observables[3] == 7
    assert mk.read_observable(control, 3) == 0  # the inputs were copied, not run in place
    assert out.statuses[0] == mk.STATUS_DONE
    assert out.statuses[1] == mk.STATUS_FAULT and out.results[1] == mk.FAULT_OUT_OF_BOUNDS
    assert mk.read_done_count(out.control) == 2 and out.stats.items_done == 2


def test_output_views_share_memory_and_keep_the_owner_alive(kernel):
    out = kernel.dispatch(mk.encode_control(False, 1, 16), mk.encode_empty_ring(kernel.slot_count))
    observables = out.observables
    control = out.control
    assert np.shares_memory(observables, control)
    observables[4] = 77
    assert mk.read_observable(control, 4) == 77
    del out
    gc.collect()
    assert observables[4] == 77 and mk.read_observable(control, 4) == 77


def test_results_view_is_read_only(kernel):
    out = kernel.dispatch(mk.encode_control(False, 1, 16), mk.encode_empty_ring(kernel.slot_count))
    with pytest.raises(ValueError):
        out.results[0] = 1


def run_custom(kernel_opcodes, args):
    k = mk.Megakernel.bootstrap(backend="cpu", slot_count=64, workgroup_size_x=64, opcodes=kernel_opcodes,
                                cpu_threads=1)
    ring = mk.encode_empty_ring(64)
    mk.publish_slot(ring, 0, mk.WorkItem(0x1000, 0, args))
    return k, k.dispatch(mk.encode_control(False, 1, 16), ring)


def test_custom_opcode_from_dict():
    opcodes = [{"opcode": 0x1000, "name": "add_store", "body": [
        {"let": "x", "value": {"op": "+", "a": {"arg": 0}, "b": {"arg": 1}}},
        {"store": {"arg": 2}, "value": {"var": "x"}},
        {"result": {"var": "x"}}]}]
    k, out = run_custom(opcodes, [40, 2, 5])
    assert k.opcode_index(0x1000) == mk.FIRST_CUSTOM_INDEX
    assert out.results[0] == 42 and out.observables[5] == 42


def test_custom_opcode_from_ir_builder():
    body = [ir.let("x", ir.arg(0) * 3 + 1), ir.if_(ir.var("x") > 10, [ir.result(ir.var("x"))], [ir.fault()])]
    _, big = run_custom([ir.opcode(0x1000, "tri", body)], [5])
    assert big.statuses[0] == mk.STATUS_DONE and big.results[0] == 16
    _, small = run_custom([ir.opcode(0x1000, "tri", body)], [2])
    assert small.statuses[0] == mk.STATUS_FAULT and small.results[0] == mk.FAULT_USER_FAULT


def test_bad_opcode_json_is_malformed():
    with pytest.raises(mk.Malformed, match="opcodes"):
        mk.Megakernel.bootstrap(backend="cpu", opcodes=[{"opcode": 0x1000, "name": "x", "body": [{"lod": 1}]}])


def test_ir_expression_has_no_truth_value():
    with pytest.raises(TypeError):
        bool(ir.arg(0) == 1)


def test_features(kernel):
    assert kernel.supports("LiveSession") and kernel.supports("CompactBatch")
    with pytest.raises(ValueError, match="feature"):
        kernel.supports("Teleport")


def test_printf_reaches_the_debug_log(kernel):
    ring = mk.encode_empty_ring(kernel.slot_count)
    mk.publish_slot(ring, 4, mk.WorkItem(mk.OP_PRINTF, 0, [9, 41, 42]))
    out = kernel.dispatch(mk.encode_control(False, 1, 16), ring, debug_log=mk.encode_empty_debug_log(8))
    log = mk.read_debug_log(out.debug_log)
    assert log.capacity == 8 and log.claimed == 1 and log.dropped == 0
    record = log.records[0]
    assert (record.fmt_id, record.slot, record.args[:2]) == (9, 4, [41, 42])
