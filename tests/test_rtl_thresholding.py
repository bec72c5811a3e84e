"""RTL and HLS of the Thresholding op (RSign): bit-exact with the golden model under random
stalls on Icarus and Verilator, cycles equal the cost model, C-simulation bit-exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import assert_hls_rate, run_op_rtl

# (H, W, C, PE, in_bits)
CASES = {"16ch_pe4": (4, 4, 16, 4, 16), "6ch_full": (5, 3, 6, 6, 16), "5ch_pe1_9bit": (3, 7, 5, 1, 9)}


def build(case: str, frames: int, seed: int):  # noqa: ANN201
    h, w, c, pe, ib = CASES[case]
    op = getCustomOp(helper.make_node("Thresholding", ["x", "t"], ["y"], domain=DOMAIN, PE=pe, in_bits=ib,
                                      out_shape=[frames, h, w, c], out_dtype="BINARY"))
    rng = np.random.default_rng(seed)
    lim = 1 << (ib - 1)
    x = rng.integers(-lim, lim, (frames, h, w, c))
    t = rng.integers(-lim - 3, lim + 3, c)  # some thresholds outside the input range
    t[0] = 0
    return op, x, t, op.golden(x, t)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_thresholding_rtl_random_stalls(case: str, simulator: str) -> None:
    h, w, *_ = CASES[case]
    op, x, t, want = build(case, -(-1000 // (h * w)), seed=2)
    run_op_rtl(op, simulator, [x], t, want, stall=0.3, seed=3)


@pytest.mark.parametrize("case", list(CASES))
def test_thresholding_rtl_cycles_equal_cost_model(case: str) -> None:
    frames = 3
    op, x, t, want = build(case, frames, seed=4)
    stamps = run_op_rtl(op, "verilator", [x], t, want, stall=0.0)["stamps"]
    ins, outs = stamps["in0_V"], stamps["out0_V"]
    op.set_nodeattr("out_shape", [1, *op.out_shape()[1:]])
    assert outs[-1] - outs[0] == len(outs) - 1 and len(outs) == frames * op.cycles()
    assert outs[0] - ins[0] == op.latency()


@pytest.mark.parametrize("case", list(CASES))
def test_thresholding_csim(case: str, tmp_path: Path) -> None:
    op, x, t, want = build(case, 20, seed=5)
    got, trips = csim(op, "thresholding", op.in_words(x), 20, tmp_path, t, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)
