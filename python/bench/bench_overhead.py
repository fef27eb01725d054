#!/usr/bin/env python3
"""Python overhead of LiveSession.submit: a 4096-item NumPy batch from Python vs the same
C++ call timed natively in this process (megakernel._megakernel._bench_native_submit), and the
single-item submit+wait round trip. CPU backend by default; medians and p99 in ns.

    PYTHONPATH=build/default/python /usr/bin/python3 python/bench/bench_overhead.py [--json FILE]
"""
import argparse
import json
import platform
import subprocess
import time

import numpy as np

import megakernel as mk


def summary(samples):
    s = np.sort(np.asarray(samples, dtype=np.float64))
    return {"samples": len(s), "median_ns": float(np.median(s)), "p99_ns": float(s[int(0.99 * (len(s) - 1))])}


def python_submit(live, batch, samples):
    times = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        ticket = live.submit(batch)
        times.append(time.perf_counter_ns() - start)
        assert live.wait(ticket, 10.0) and ticket.fault_count == 0
    return times


def round_trip(live, item, samples):
    times = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        ticket = live.submit(item)
        live.wait(ticket, 10.0)
        times.append(time.perf_counter_ns() - start)
        assert ticket.ready
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--items", type=int, default=4096)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    kernel = mk.Megakernel.bootstrap(backend=args.backend)
    batch = np.zeros((args.items, 4), dtype=np.uint32)
    batch[:, 0], batch[:, 2], batch[:, 3] = mk.OP_ATOMIC_ADD, np.arange(args.items) % 1024, 1
    records = np.zeros(args.items, dtype=mk.WORK_ITEM_DTYPE)
    records["opcode"], records["args"][:, 0], records["args"][:, 1], records["arg_count"] = batch[:, 0], batch[:, 2], 1, 2
    single = records[:1].copy()
    with mk.LiveSession.start(kernel, slot_count=2 * args.items, lanes=args.lanes) as live:
        # Correctness first: one batch adds exactly args.items.
        assert live.wait(live.submit(batch), 10.0)
        live.drain(10.0)
        assert int(mk.read_observables(live.read_control()).sum()) == args.items
        python_submit(live, batch, 20), mk._megakernel._bench_native_submit(live, batch, 20)  # warm up
        # Interleave the three so drift (other load on the machine) hits all alike.
        py, rows, native = [], [], []
        for _ in range(10):
            py += python_submit(live, records, args.samples // 10)
            rows += python_submit(live, batch, args.samples // 10)
            native += mk._megakernel._bench_native_submit(live, batch, args.samples // 10)
        rt, rt_native = [], []
        for _ in range(10):
            rt += round_trip(live, single, args.samples // 10)
            rt_native += mk._megakernel._bench_native_round_trip(live, single, args.samples // 10)
    result = {
        "backend": kernel.backend_name, "items_per_batch": args.items, "lanes": args.lanes,
        "python": platform.python_version(), "machine": platform.processor() or platform.machine(),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "submit_python": summary(py), "submit_python_rows": summary(rows), "submit_native": summary(native),
        "single_item_submit_wait_python": summary(rt), "single_item_submit_wait_native": summary(rt_native),
    }
    native_ns = result["submit_native"]["median_ns"]
    result["submit_ratio_python_over_native"] = result["submit_python"]["median_ns"] / native_ns
    result["submit_ratio_rows_over_native"] = result["submit_python_rows"]["median_ns"] / native_ns
    print(f"submit of {args.items} items (median): C++ {native_ns / 1e3:.1f} us; Python WORK_ITEM_DTYPE "
          f"{result['submit_python']['median_ns'] / 1e3:.1f} us (x{result['submit_ratio_python_over_native']:.3f}); "
          f"Python uint32 rows {result['submit_python_rows']['median_ns'] / 1e3:.1f} us "
          f"(x{result['submit_ratio_rows_over_native']:.3f})")
    py_rt, native_rt = result["single_item_submit_wait_python"], result["single_item_submit_wait_native"]
    print(f"single-item submit+wait: Python median {py_rt['median_ns'] / 1e3:.1f} us (p99 {py_rt['p99_ns'] / 1e3:.1f}), "
          f"C++ median {native_rt['median_ns'] / 1e3:.1f} us (p99 {native_rt['p99_ns'] / 1e3:.1f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
