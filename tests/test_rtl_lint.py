"""The RTL library modules no op instantiates by itself are clean under Verilator --lint-only
-Wall and elaborate in Icarus; the lint that guards the generator catches a width mismatch
in a stitched top; Yosys meets the popcount's LUT budget.

Every op instance the suite builds and every stitched top is linted with -Wall as part of
its Verilator run (tests/rtl_harness.py calls sim.runner.lint_rtl), so what is linted is
what the generator really emits."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.emit.rtl import FIFO_FILES
from bnnforge.generator.hwops import DOMAIN
from bnnforge.sim.runner import lint_rtl, rtl_sources

CONFIGS = [
    ("bnf_popcount", ("bnf_count6.v", "bnf_popcount.v"), {"N": 1}),
    ("bnf_popcount", ("bnf_count6.v", "bnf_popcount.v"), {"N": 7}),
    ("bnf_popcount", ("bnf_count6.v", "bnf_popcount.v"), {"N": 1024}),
    ("bnf_round_shift", ("bnf_round_shift.v",), {"IN_W": 20, "OUT_W": 8, "SW": 4}),
    ("bnf_round_shift", ("bnf_round_shift.v",), {"IN_W": 8, "OUT_W": 12, "SW": 3}),
    ("bnf_round_shift", ("bnf_round_shift.v",), {"IN_W": 8, "OUT_W": 9, "SW": 3}),
    ("bnf_fifo", FIFO_FILES, {"W": 17, "DEPTH": 5}),
    ("bnf_fifo", FIFO_FILES, {"W": 8, "DEPTH": 1}),
    ("bnf_fifo", FIFO_FILES, {"W": 64, "DEPTH": 1024}),
    ("bnf_fifo", FIFO_FILES, {"W": 72, "DEPTH": 4096, "RAM_STYLE": '"ultra"'}),
]


IDS = [f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)]


@pytest.mark.verilator
@pytest.mark.parametrize("top,files,params", CONFIGS, ids=IDS)
def test_verilator_lint_wall_clean(top: str, files: tuple, params: dict) -> None:
    lint_rtl(top, rtl_sources(*files), {k: str(v) for k, v in params.items()})


@pytest.mark.iverilog
@pytest.mark.parametrize("top,files,params", CONFIGS, ids=IDS)
def test_icarus_elaborates(top: str, files: tuple, params: dict, tmp_path: Path) -> None:
    cmd = ["iverilog", "-g2012", "-o", str(tmp_path / "a.vvp"), "-s", top,
           *[f"-P{top}.{k}={v}" for k, v in params.items()], *map(str, rtl_sources(*files))]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def _chain() -> ModelWrapper:
    """Thresholding (PE 4) -> shift (PE 2): a stitched top with a width converter."""
    thr = helper.make_node("Thresholding", ["x", "t"], ["b"], name="thr", domain=DOMAIN, PE=4, in_bits=12,
                           out_shape=[1, 4, 4, 8], out_dtype="BINARY")
    sh = helper.make_node("LongShortShift", ["b"], ["y"], name="shift", domain=DOMAIN, PE=2, dh=2, dw=2,
                          out_shape=[1, 4, 4, 8], out_dtype="BINARY")
    graph = helper.make_graph([thr, sh], "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 8])])
    model = ModelWrapper(helper.make_model(graph))
    model.set_initializer("t", np.arange(8, dtype=np.float32))
    return model


@pytest.mark.verilator
def test_lint_catches_a_width_mismatch_in_a_stitched_top(tmp_path: Path) -> None:
    from bnnforge.generator.emit.rtl import write_rtl

    top, lib = write_rtl(_chain(), tmp_path, "chain")
    sources = [top, *rtl_sources(*lib)]
    lint_rtl("chain", sources, {})  # what the stitcher writes is clean
    text = top.read_text()
    broken, n = re.subn(r"wire \[7:0\] (s_\w+_TDATA);", r"wire [6:0] \1;", text, count=1)
    assert n == 1
    top.write_text(broken)
    with pytest.raises(AssertionError, match="WIDTH"):
        lint_rtl("chain", sources, {})


@pytest.mark.yosys
def test_yosys_constant_weight_popcount_matches_its_cost_model() -> None:
    """The popcount synthesizes, and mvau.popcount_luts (which the fully unrolled MVAU's
    estimate uses) follows it. Its size against the behavioural loop at N = 64..1024 is
    bench/popcount.py's."""
    from bnnforge.generator.hwops.mvau import popcount_luts
    from bnnforge.generator.synth import synth_xilinx

    res = synth_xilinx("bnf_xnor_popcount", rtl_sources("bnf_count6.v", "bnf_popcount.v", "bnf_xnor_popcount.v"),
                       {"N": 64, "WEIGHTS": "64'h" + "3c96a5f0" * 2}, timeout=900)
    assert abs(popcount_luts(64) - res["lut"]) <= 0.1 * res["lut"], (popcount_luts(64), res)
