"""RTL of the long-short circular shift under cocotb (Icarus and Verilator): bit-exact with
the golden model under random stalls; no stall at full rate, cycles equal the cost model."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import run_op_rtl

# (H, W, C, PE, range): odd and even sizes, short and long range
CASES = {"short_5x7": (5, 7, 8, 2, "short"), "long_8x8": (8, 8, 16, 4, "long"), "long_7x4": (7, 4, 4, 1, "long")}


def build(case: str, frames: int, seed: int):  # noqa: ANN201
    h, w, c, pe, kind = CASES[case]
    dh, dw = (1, 1) if kind == "short" else (h // 2, w // 2)
    op = getCustomOp(helper.make_node("LongShortShift", ["x"], ["y"], domain=DOMAIN, dh=dh, dw=dw, PE=pe,
                                      out_shape=[frames, h, w, c], out_dtype="BINARY"))
    x = np.random.default_rng(seed).integers(0, 2, (frames, h, w, c))
    return op, x, op.golden(x)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_shift_rtl_random_stalls(case: str, simulator: str) -> None:
    h, w, *_ = CASES[case]
    frames = -(-1000 // (h * w))  # at least 1000 random input pixels
    op, x, want = build(case, frames, seed=5)
    run_op_rtl(op, simulator, [x], None, want, stall=0.3, seed=9)


@pytest.mark.parametrize("case", list(CASES))
def test_shift_rtl_full_rate_cycles_equal_cost_model(case: str) -> None:
    frames = 4
    op, x, want = build(case, frames, seed=1)
    stamps = run_op_rtl(op, "verilator", [x], None, want, stall=0.0)["stamps"]
    ins, outs = stamps["in0_V"], stamps["out0_V"]
    per_frame = len(outs) // frames
    op.set_nodeattr("out_shape", [1, *op.out_shape()[1:]])
    # input never waits: one word per cycle across all frames
    assert ins[-1] - ins[0] == len(ins) - 1
    assert outs[-1] - outs[0] == len(outs) - 1
    assert per_frame == op.cycles()
    assert outs[0] - ins[0] == op.latency()
