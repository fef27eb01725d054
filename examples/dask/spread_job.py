"""Spread one megakernel job over a Dask cluster of CPU-backend workers, tenants routed by rendezvous hashing.

The job (the dict `megakernel.run` takes) is split by tenant: every item of a tenant goes
to the part of the worker that tenant's rendezvous weight picks, with the same hash
`mk::DeviceSet` uses for devices (src/multi/rendezvous.h), so a node-level router and the
in-process one agree. Each part runs on a worker with `megakernel.run(part, backend="cpu")`;
the reports are combined into the report one in-process run would give.

Combining is exact when parts do not fight over words: each observable word is changed
by the tenants of one part only, or only by ATOMIC_ADDs (they commute). The combined
observables are the initial words plus every part's change; counts, metrics and tenant
counters are sums; items come back in job order. Item results that depend on the order
of items (an ATOMIC_ADD's previous value) may differ from a single run's, as they may
between two single runs. Fences order one ring and cannot be split: such a job is refused.

    python3 examples/dask/spread_job.py          # PYTHONPATH must reach the megakernel package
"""

import copy
import json
import sys

import megakernel

MASK = (1 << 64) - 1


def mix64(x):
    """splitmix64's finaliser, as src/multi/rendezvous.h."""
    x &= MASK
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    x ^= x >> 31
    return x


def member_key(backend, ordinal):
    """A member's (here: a worker's) routing key from its identity, as mk::detail::member_key."""
    h = 0xCBF29CE484222325
    for c in backend.encode():
        h = ((h ^ c) * 0x100000001B3) & MASK
    return mix64(h ^ mix64(ordinal + 0x9E3779B97F4A7C15))


def route(tenant, keys):
    """Index into `keys` of the member that wins `tenant` (ties go to the lower index)."""
    weights = [mix64(key ^ mix64(tenant + 0x632BE59BD9B4E019)) for key in keys]
    return weights.index(max(weights))


def split_job(job, parts):
    """One job per part (same geometry, tenants and initial words) and each part's item indexes in the job."""
    if any("fence" in item for item in job.get("items", [])):
        raise ValueError("the job has fences: a fence orders one ring, so its items cannot be spread over workers")
    keys = [member_key("cpu", p) for p in range(parts)]
    jobs = [dict(job, items=[]) for _ in range(parts)]
    indexes = [[] for _ in range(parts)]
    for i, item in enumerate(job.get("items", [])):
        p = route(item.get("tenant", 0), keys)
        jobs[p]["items"].append(item)
        indexes[p].append(i)
    return jobs, indexes


def initial_observables(job, count):
    words = [0] * count
    for block in job.get("init", []):
        for k, w in enumerate(block["words"]):
            words[block["at"] + k] = w
    return words


def combine(job, reports, indexes):
    """The report of the whole job from the reports of its parts (see the module docstring)."""
    count = len(reports[0]["observables"])
    base = initial_observables(job, count)
    observables = list(base)
    combined = {"backend": reports[0]["backend"], "done_count": 0, "fault_count": 0, "metrics": {}, "tenants": {}}
    items = [None] * len(job.get("items", []))
    for report, where in zip(reports, indexes):
        for w in range(count):
            observables[w] = (observables[w] + report["observables"][w] - base[w]) & 0xFFFFFFFF
        combined["done_count"] += report["done_count"]
        combined["fault_count"] += report["fault_count"]
        for op, n in report["metrics"].items():
            combined["metrics"][op] = combined["metrics"].get(op, 0) + n
        for tenant in report["tenants"]:
            total = combined["tenants"].setdefault(tenant["id"], {"id": tenant["id"], "done": 0, "faults": 0})
            total["done"] += tenant["done"]
            total["faults"] += tenant["faults"]
        for item, i in zip(report["items"], where):
            items[i] = dict(item, index=i, slot=i)
    combined["observables"] = observables
    combined["tenants"] = [combined["tenants"][t] for t in sorted(combined["tenants"])]
    combined["items"] = items
    return combined


def comparable(report):
    """What a spread run and a single run must agree on (timing and order-dependent results left out)."""
    tenants = report["tenants"]
    if isinstance(tenants, dict):
        tenants = list(tenants.values())
    return {
        "done_count": report["done_count"],
        "fault_count": report["fault_count"],
        "metrics": report["metrics"],
        "observables": report["observables"],
        "tenants": sorted((t["id"], t["done"], t["faults"]) for t in tenants),
        "items": [(item["op"], item["status"]) for item in report["items"]],
    }


def run_part(part):
    """One part on a worker. A plain function, not megakernel.run itself: a pybind11 function
    does not pickle, and this one travels by value (it lives in __main__, or in a module the
    worker never imported), importing megakernel where it runs."""
    import megakernel as mk_on_worker

    return mk_on_worker.run(part, backend="cpu")


def spread(job, client, parts):
    """Run `job` as `parts` parts on the workers of `client`; the combined report."""
    jobs, indexes = split_job(job, parts)
    # Every part runs, even an empty one, so each worker's report has the observables.
    futures = [client.submit(run_part, part, pure=False) for part in jobs]
    return combine(job, client.gather(futures), indexes)


def example_job(tenants=8, items=400):
    """Each tenant adds into its own word and into a shared word 63 (ATOMIC_ADDs commute)."""
    return {
        "slot_count": 512,
        "workgroup_size_x": 64,
        "observables": 64,
        "tenants": [{"id": t, "admin": True} for t in range(tenants)],
        "init": [{"at": 60, "words": [1000, 2000]}],
        "items": [{"tenant": i % tenants, "op": "ATOMIC_ADD", "args": [i % tenants if i % 3 else 63, 1 + i % 5]}
                  for i in range(items)],
    }


def main():
    from distributed import Client, LocalCluster

    job = example_job()
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        combined = spread(job, client, parts=2)
    single = megakernel.run(copy.deepcopy(job), backend="cpu")
    same = comparable(combined) == comparable(single)
    print(json.dumps({"observables": combined["observables"], "done_count": combined["done_count"],
                      "same_as_single_run": same}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
