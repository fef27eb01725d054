# LiveSession: NumPy batches -> Tickets, wait without the GIL, context-manager shutdown, many Python producers.
import threading

import numpy as np
import pytest

import megakernel as mk


def start(kernel, **options):
    options.setdefault("slot_count", 1024)
    options.setdefault("lanes", 2)
    options.setdefault("observable_count", 64)
    return mk.LiveSession.start(kernel, **options)


def add_rows(n, address=0):
    return np.array([[mk.OP_ATOMIC_ADD, 0, address, 1]] * n, dtype=np.uint32)


def test_submit_wait_results(kernel):
    with start(kernel) as live:
        ticket = live.submit(add_rows(100))
        assert len(ticket) == 100
        assert live.wait(ticket, 10.0) is True
        assert ticket.ready and ticket.fault_count == 0
        assert np.array_equal(np.sort(ticket.results), np.arange(100))  # previous values: a permutation
        assert np.all(ticket.statuses == mk.STATUS_DONE)
        live.drain(10.0)
        control = live.read_control()
        assert mk.read_observable(control, 0) == 100
        assert live.stats().submitted == 100


def test_work_items_and_faults(kernel):
    with start(kernel) as live:
        ticket = live.submit([mk.WorkItem(mk.OP_STORE_U32, 0, [1, 5]), mk.WorkItem(mk.OP_LOAD_U32, 0, [1000])])
        assert live.wait(ticket)
        assert list(ticket.statuses) == [mk.STATUS_DONE, mk.STATUS_FAULT]
        assert ticket.results[1] == mk.FAULT_OUT_OF_BOUNDS


def test_results_outlive_the_session(kernel):
    with start(kernel) as live:
        ticket = live.submit(add_rows(3, address=2))
        assert live.wait(ticket)
    results = ticket.results
    del ticket
    assert sorted(results) == [0, 1, 2]


def test_batch_larger_than_ring_is_refused(kernel):
    with start(kernel, slot_count=64) as live:
        with pytest.raises(mk.Error):
            live.submit(add_rows(65))


def test_submit_after_shutdown_fails(kernel):
    live = start(kernel)
    live.shutdown()
    with pytest.raises(mk.InvalidArgument, match="shut down"):
        live.submit(add_rows(1))


def test_bad_batch_argument(kernel):
    with start(kernel) as live:
        with pytest.raises(TypeError, match="'batch'"):
            live.submit("ATOMIC_ADD")
        with pytest.raises(TypeError, match="'batch' must have dtype uint32"):
            live.submit(np.zeros((1, 4), dtype=np.float32))


def test_many_python_producers(kernel):
    # What this catches: submit/wait called from several Python threads at once (the GIL is
    # released inside) losing or duplicating items, or a per-thread scratch shared by accident.
    producers, batches, size = 4, 25, 16
    errors = []

    def produce(address):
        try:
            for _ in range(batches):
                ticket = live.submit_wait(add_rows(size, address), 10.0)
                assert live.wait(ticket, 10.0)
        except Exception as error:  # reported below; an assert in a thread would be lost
            errors.append(error)

    with start(kernel) as live:
        threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        live.drain(10.0)
        observables = mk.read_observables(live.read_control())
    assert errors == []
    assert list(observables[:producers]) == [batches * size] * producers


def test_structured_work_items_are_submitted_in_place(kernel):
    items = np.zeros(50, dtype=mk.WORK_ITEM_DTYPE)
    items["opcode"] = mk.OP_ATOMIC_ADD
    items["args"][:, 0] = 5
    items["args"][:, 1] = 2
    items["arg_count"] = 2
    with start(kernel) as live:
        ticket = live.submit(items)
        assert live.wait(ticket, 10.0)
        live.drain(10.0)
        assert mk.read_observable(live.read_control(), 5) == 100
        assert np.array_equal(np.sort(ticket.results), np.arange(0, 100, 2))


def test_structured_dtype_checks(kernel):
    with start(kernel) as live:
        other = np.zeros(2, dtype=[("opcode", "<u4"), ("tenant", "<u4")])
        with pytest.raises(TypeError, match="WORK_ITEM_DTYPE"):
            live.submit(other)
        with pytest.raises(ValueError, match="1-D"):
            live.submit(np.zeros((2, 2), dtype=mk.WORK_ITEM_DTYPE))
        with pytest.raises(ValueError, match="C-contiguous"):
            live.submit(np.zeros(4, dtype=mk.WORK_ITEM_DTYPE)[::2])
        bad = np.zeros(1, dtype=mk.WORK_ITEM_DTYPE)
        bad["arg_count"] = mk.MAX_ARGS + 1
        with pytest.raises(mk.InvalidArgument, match="arg_count"):
            live.submit(bad)


def test_batch_over_the_tenant_quota_never_fits(kernel):
    with start(kernel, max_in_flight_per_tenant=1) as live:
        with pytest.raises(mk.InvalidArgument, match="quota") as info:
            live.submit(np.array([[mk.OP_NOP, 0], [mk.OP_NOP, 0]], dtype=np.uint32))
        assert "max_in_flight_per_tenant" in info.value.fix


def test_wait_times_out_and_releases_the_gil(kernel):
    # What this catches: wait() holding the GIL while it blocks. The waiter thread blocks on a
    # ticket of a stalled session; only this (main) thread can resume the lanes, which it
    # cannot do if the waiter kept the GIL, so the test would hang (ctest's timeout fails it).
    with start(kernel, watchdog_timeout=60.0) as live:
        mk._megakernel._live_test_inject_stall(live, True)
        ticket = live.submit(add_rows(4))
        assert live.wait(ticket, 0.0) is False  # timed out; the ticket stays valid
        assert not ticket.ready and len(ticket.results) == 0
        finished, started = [], threading.Event()

        def wait_forever():
            started.set()  # the waiter goes straight on into wait(), still holding the GIL
            finished.append(live.wait(ticket, None))

        waiter = threading.Thread(target=wait_forever)
        waiter.start()
        started.wait()  # this thread runs again only once the waiter let go of the GIL
        mk._megakernel._live_test_inject_stall(live, False)
        waiter.join()
        assert finished == [True] and ticket.ready


# Compact batches (submit_batch): records of a BatchShape instead of WorkItems.
def compact_adds(n, observables=16):
    records = np.empty((n, 2), dtype=np.uint32)
    records[:, 0] = np.arange(n) % observables
    records[:, 1] = 1
    return records


def live_takes_compact(kernel):
    return kernel.backend_name == "cpu"  # the CUDA live path refuses compact batches for now


def test_submit_batch_uniform(kernel):
    if not live_takes_compact(kernel):
        pytest.skip("compact live batches are CPU-only for now")
    shape = mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2)
    with start(kernel) as live:
        ticket = live.submit_batch(compact_adds(1000), shape)
        assert ticket.compact and len(ticket) == 1000
        assert live.wait(ticket, 10.0)
        assert ticket.fault_count == 0
        assert np.all(ticket.statuses == mk.STATUS_DONE)
        assert len(ticket.fault_bits) == (1000 + 31) // 32 and not ticket.fault_bits.any()
        for address in range(16):  # a permutation of previous values per counter
            seen = np.sort(ticket.results[np.arange(1000) % 16 == address])
            assert np.array_equal(seen, np.arange(len(seen)))
        live.drain(10.0)
        observables = mk.read_observables(live.read_control())
        assert np.array_equal(observables[:16], np.bincount(np.arange(1000) % 16))
        assert live.stats().submitted == 1000


def test_submit_batch_mixed_with_a_fault(kernel):
    if not live_takes_compact(kernel):
        pytest.skip("compact live batches are CPU-only for now")
    records = np.array([[mk.OP_STORE_U32, 0, 1, 11], [mk.OP_LOAD_U32, 0, 1000, 0], [mk.OP_STORE_U32, 0, 2, 22]],
                       dtype=np.uint32)
    with start(kernel) as live:
        ticket = live.submit_batch_wait(records, mk.BatchShape.mixed(2), 10.0)
        assert live.wait(ticket, 10.0)
        assert list(ticket.statuses) == [mk.STATUS_DONE, mk.STATUS_FAULT, mk.STATUS_DONE]
        assert ticket.fault_bits[0] == 0b010 and ticket.fault_count == 1
        assert ticket.results[1] == mk.FAULT_OUT_OF_BOUNDS
        live.drain(10.0)
        assert list(mk.read_observables(live.read_control())[1:3]) == [11, 22]
    results = ticket.results
    del ticket
    assert results[1] == mk.FAULT_OUT_OF_BOUNDS  # the view keeps the ticket's words alive


def test_submit_batch_records_are_copied(kernel):
    if not live_takes_compact(kernel):
        pytest.skip("compact live batches are CPU-only for now")
    records = compact_adds(64)
    with start(kernel) as live:
        ticket = live.submit_batch(records, mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))
        records[:] = 0xFFFFFFFF  # reusable as soon as submit_batch returned
        assert live.wait(ticket, 10.0) and ticket.fault_count == 0


def test_submit_batch_argument_checks(kernel):
    shape = mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2)
    with start(kernel) as live:
        with pytest.raises(TypeError, match="'records' must have dtype uint32"):
            live.submit_batch(compact_adds(4).astype(np.int64), shape)
        with pytest.raises(TypeError, match="'records' must be a 2-D numpy.uint32 array"):
            live.submit_batch([[0, 1]], shape)
        with pytest.raises(ValueError, match="'records' must have 2..2 columns"):
            live.submit_batch(np.zeros((4, 4), dtype=np.uint32), shape)
        with pytest.raises(ValueError, match="'records' must be 2-D"):
            live.submit_batch(np.zeros(4, dtype=np.uint32), shape)
        with pytest.raises(ValueError, match="'records' must be C-contiguous"):
            live.submit_batch(np.asfortranarray(compact_adds(4)), shape)


def test_submit_batch_refused_opcode_names_the_item(kernel):
    if not live_takes_compact(kernel):
        pytest.skip("compact live batches are CPU-only for now")
    records = np.array([[mk.OP_NOP, 0], [mk.OP_BATCH_FENCE, 0]], dtype=np.uint32)
    with start(kernel) as live:
        with pytest.raises(mk.InvalidArgument, match="batch item 1") as info:
            live.submit_batch(records, mk.BatchShape.mixed(0))
        assert info.value.fix != ""


def test_submit_batch_without_an_arena_is_refused(kernel):
    if not live_takes_compact(kernel):
        pytest.skip("compact live batches are CPU-only for now")
    with start(kernel, compact_arena_bytes=0) as live:
        with pytest.raises(mk.Error):
            live.submit_batch(compact_adds(4), mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))


def test_cuda_live_refuses_compact_batches_as_unsupported(kernel):
    if live_takes_compact(kernel):
        pytest.skip("this backend's live path takes compact batches")
    with start(kernel) as live:
        with pytest.raises(mk.Unsupported):
            live.submit_batch(compact_adds(4), mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2))


def test_work_item_ticket_has_no_fault_bits(kernel):
    with start(kernel) as live:
        ticket = live.submit(add_rows(3))
        assert live.wait(ticket, 10.0)
        assert not ticket.compact and len(ticket.fault_bits) == 0
