#!/usr/bin/env python3
"""A live-session producer loop: stream NumPy batches into a running megakernel, keep a
bounded window of tickets in flight, harvest their results as they finish.

    /usr/bin/python3 examples/python/live_producer.py [--backend auto|cpu|cuda] [--batches 200] [--compact]

--compact sends each batch as compact records (LiveSession.submit_batch: two words per
item instead of a 16-word slot); the CUDA live path does not take them yet (Unsupported).
"""
import argparse
import collections

import numpy as np

import megakernel as mk


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--window", type=int, default=4, help="tickets in flight at once")
    parser.add_argument("--lanes", type=int, default=0, help="polling lanes (0: the backend's default)")
    parser.add_argument("--compact", action="store_true", help="submit compact records (submit_batch)")
    args = parser.parse_args(argv)

    kernel = mk.Megakernel.bootstrap(backend=args.backend)
    counters = 64
    if args.compact:
        # Records are {address, delta}; the opcode and tenant are the batch's.
        shape = mk.BatchShape.uniform(mk.OP_ATOMIC_ADD, 0, 2)
        records = np.empty((args.batch_size, 2), dtype=np.uint32)
        records[:, 0] = np.arange(args.batch_size) % counters
        records[:, 1] = 1

        def submit(live):
            return live.submit_batch_wait(records, shape, timeout=10.0)
    else:
        # Rows are {opcode, tenant, args...}: every item adds 1 to counter (i % 64).
        batch = np.zeros((args.batch_size, 4), dtype=np.uint32)
        batch[:, 0] = mk.OP_ATOMIC_ADD
        batch[:, 2] = np.arange(args.batch_size) % counters
        batch[:, 3] = 1

        def submit(live):
            return live.submit_wait(batch, timeout=10.0)  # blocks only while the ring is full

    in_flight = collections.deque()
    faults = 0
    with mk.LiveSession.start(kernel, slot_count=args.batch_size * args.window, observable_count=counters,
                              lanes=args.lanes) as live:
        for _ in range(args.batches):
            if len(in_flight) == args.window:  # bounded window: wait for the oldest first
                oldest = in_flight.popleft()
                if not live.wait(oldest, timeout=10.0):
                    raise SystemExit("a batch did not finish in 10 s")
                faults += oldest.fault_count
            in_flight.append(submit(live))
        for ticket in in_flight:
            live.wait(ticket, timeout=10.0)
            faults += ticket.fault_count
        live.drain(timeout=10.0)
        totals = mk.read_observables(live.read_control())
        stats = live.stats()
    expected = np.bincount(np.arange(args.batch_size) % counters, minlength=counters) * args.batches
    print(f"{kernel.backend_name}: {stats.submitted} items, {faults} faults, counter 0 = {totals[0]} "
          f"(expected {expected[0]})")
    return 0 if faults == 0 and np.array_equal(totals[:counters], expected) else 1


if __name__ == "__main__":
    raise SystemExit(main())
