# Shared fixtures: one Megakernel per module on $MK_PY_BACKEND (default cpu, 2 worker threads: CI machines are small).
import os

import pytest

import megakernel as mk

BACKEND = os.environ.get("MK_PY_BACKEND", "cpu")


@pytest.fixture(scope="module")
def kernel():
    return mk.Megakernel.bootstrap(backend=BACKEND, slot_count=256, workgroup_size_x=256, cpu_threads=2)
