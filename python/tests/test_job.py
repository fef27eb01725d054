# megakernel.run(job) returns what `megakernel run --json` prints for the same job.
import json
import os
import pathlib
import subprocess

import pytest

import megakernel as mk

SOURCE = pathlib.Path(os.environ.get("MK_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
HELLO = SOURCE / "examples" / "jobs" / "hello.json"


def without_timing(report):
    return {k: v for k, v in report.items() if k != "timing"}


def test_hello_job():
    report = mk.run(json.loads(HELLO.read_text()), backend="cpu", base_dir=str(HELLO.parent))
    assert report["backend"] == "cpu"
    assert report["observables"][3] == 7 and report["observables"][0] == 105
    assert report["done_count"] == 7 and report["fault_count"] == 1  # tenant 1 loads outside its window
    assert [item["status"] for item in report["items"]] == ["DONE"] * 6 + ["FAULT"]


def test_same_as_cli():
    cli = os.environ.get("MK_CLI")
    if not cli:
        pytest.skip("MK_CLI (the megakernel executable) not set: run through ctest")
    printed = subprocess.run([cli, "run", str(HELLO), "--backend", "cpu", "--json"], check=True,
                             capture_output=True, text=True).stdout
    ours = mk.run(HELLO.read_text(), backend="cpu", base_dir=str(HELLO.parent))
    assert without_timing(ours) == without_timing(json.loads(printed))


def test_invalid_job_is_malformed():
    with pytest.raises(mk.Malformed, match=r"items\[0\]\.op") as info:
        mk.run({"items": [{"op": "NOPE"}]}, backend="cpu")
    assert "STORE_U32" in info.value.fix


def test_bad_backend_name():
    with pytest.raises(ValueError, match="'backend'"):
        mk.run({"items": []}, backend="gpu")
