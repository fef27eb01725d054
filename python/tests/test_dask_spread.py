# examples/dask/spread_job.py: a job spread over a two-worker Dask LocalCluster combines to the report of one run.
import importlib.util
import os
import pathlib

import pytest

import megakernel as mk

distributed = pytest.importorskip("distributed", reason="Debian python3-distributed (scripts/setup-deps)")

SOURCE = pathlib.Path(os.environ.get("MK_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))


def load_example():
    spec = importlib.util.spec_from_file_location("spread_job", SOURCE / "examples" / "dask" / "spread_job.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


spread_job = load_example()


def test_split_keeps_each_tenant_on_one_part_and_every_item_once():
    job = spread_job.example_job(tenants=8, items=100)
    parts, indexes = spread_job.split_job(job, 2)
    assert sorted(i for where in indexes for i in where) == list(range(100))
    owner = {}
    for p, part in enumerate(parts):
        for item in part["items"]:
            assert owner.setdefault(item["tenant"], p) == p, "a tenant was split over two parts"
    assert len(set(owner.values())) == 2, "8 tenants all routed to one of 2 parts"


def test_router_is_the_device_sets():
    # The same numbers as tests/multi DeviceSetRouting.HashIsTheDocumentedOne (cpu:0..3).
    keys = [spread_job.member_key("cpu", p) for p in range(4)]
    assert [spread_job.route(t, keys) for t in range(16)] == [1, 2, 1, 3, 0, 1, 2, 3, 1, 2, 1, 1, 0, 3, 1, 2]


def test_fences_are_refused():
    job = {"items": [{"op": "NOP"}, {"fence": {"tag": 1}}]}
    with pytest.raises(ValueError, match="fence"):
        spread_job.split_job(job, 2)


def test_spread_over_two_workers_equals_one_run():
    job = spread_job.example_job(tenants=6, items=120)
    cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        combined = spread_job.spread(job, client, parts=2)
        workers = {w for w in client.run(os.getpid).values()}
    assert len(workers) == 2 and os.getpid() not in workers
    single = mk.run(job, backend="cpu")
    assert spread_job.comparable(combined) == spread_job.comparable(single)
    assert combined["done_count"] == 120 and combined["fault_count"] == 0
    # Word 63 holds every third item's add on top of its initial value.
    assert combined["observables"][63] == sum(1 + i % 5 for i in range(120) if i % 3 == 0)
    assert combined["observables"][60:62] == [1000, 2000]  # initial words no part touched stay as they were
