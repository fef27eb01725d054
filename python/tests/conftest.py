# Shared fixtures: one CPU-backend Megakernel per module (2 worker threads: CI machines are small).
import pytest

import megakernel as mk


@pytest.fixture(scope="module")
def kernel():
    return mk.Megakernel.bootstrap(backend="cpu", slot_count=256, workgroup_size_x=256, cpu_threads=2)
