#!/usr/bin/env python3
"""A live-session producer loop: stream NumPy batches into a running megakernel, keep a
bounded window of tickets in flight, harvest their results as they finish.

    /usr/bin/python3 examples/python/live_producer.py [--backend auto|cpu|cuda] [--batches 200]
"""
import argparse
import collections

import numpy as np

import megakernel as mk


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--window", type=int, default=4, help="tickets in flight at once")
    args = parser.parse_args()

    kernel = mk.Megakernel.bootstrap(backend=args.backend)
    counters = 64
    # Rows are {opcode, tenant, args...}: every item adds 1 to counter (i % 64).
    batch = np.zeros((args.batch_size, 4), dtype=np.uint32)
    batch[:, 0] = mk.OP_ATOMIC_ADD
    batch[:, 2] = np.arange(args.batch_size) % counters
    batch[:, 3] = 1

    in_flight = collections.deque()
    faults = 0
    with mk.LiveSession.start(kernel, slot_count=args.batch_size * args.window, observable_count=counters) as live:
        for _ in range(args.batches):
            if len(in_flight) == args.window:  # bounded window: wait for the oldest first
                oldest = in_flight.popleft()
                live.wait(oldest, timeout=10.0) or exit("a batch did not finish in 10 s")
                faults += oldest.fault_count
            in_flight.append(live.submit_wait(batch, timeout=10.0))  # blocks only while the ring is full
        for ticket in in_flight:
            live.wait(ticket, timeout=10.0)
            faults += ticket.fault_count
        live.drain(timeout=10.0)
        totals = mk.read_observables(live.read_control())
        stats = live.stats()
    expected = args.batches * args.batch_size // counters
    print(f"{kernel.backend_name}: {stats.submitted} items, {faults} faults, counter 0 = {totals[0]} (expected {expected})")


if __name__ == "__main__":
    main()
