# examples/python/ run here at small sizes, so they cannot rot.
import importlib.util
import os
import pathlib

import pytest

SOURCE = pathlib.Path(os.environ.get("MK_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
EXAMPLES = SOURCE / "examples" / "python"
BACKEND = os.environ.get("MK_PY_BACKEND", "cpu")


def example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_live_producer(capsys):
    args = ["--backend", BACKEND, "--batches", "12", "--batch-size", "128", "--window", "3", "--lanes", "2"]
    assert example("live_producer").main(args) == 0
    assert "0 faults" in capsys.readouterr().out


def test_live_producer_compact(capsys):
    if BACKEND != "cpu":
        pytest.skip("compact live batches are CPU-only for now")
    args = ["--backend", BACKEND, "--batches", "12", "--batch-size", "128", "--window", "3", "--lanes", "2", "--compact"]
    assert example("live_producer").main(args) == 0
    assert "1536 items, 0 faults" in capsys.readouterr().out


def test_float_opcode(capsys):
    assert example("float_opcode").main(["--backend", BACKEND, "--items", "256"]) == 0
    assert "bit-exact vs NumPy: True" in capsys.readouterr().out
