"""RTL of the binary MVAU under cocotb (Icarus and Verilator): bit-exact with the golden
model under random stalls, and its cycles equal the cost model."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from tests.rtl_harness import run_op_rtl

# (H, W, Cin, Cout, kernel, stride, pad, PE, SIMD): odd sizes, stride 2, 1x1, full unfold
CASES = {
    "3x3_odd_5x5": (5, 5, 4, 6, 3, 1, 1, 3, 12),
    "1x1_full": (4, 4, 16, 8, 1, 1, 0, 8, 16),
    "3x3_s2_7x6": (7, 6, 2, 4, 3, 2, 1, 1, 9),
}


def build_case(name: str, frames: int, seed: int):  # noqa: ANN201
    h, w, cin, cout, k, s, p, pe, simd = CASES[name]
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    mw = k * k * cin
    dt = f"INT{bits_for(-mw, mw)}"
    swg = getCustomOp(helper.make_node("SlidingWindow", ["x"], ["y"], domain=DOMAIN, ifm_dim=[h, w], channels=cin,
                                       kernel=k, stride=s, pad=p, out_shape=[frames, oh, ow, mw], out_dtype="BINARY"))
    mvau = getCustomOp(helper.make_node("BinaryMVAU", ["x", "w"], ["y"], domain=DOMAIN, MW=mw, MH=cout, PE=pe,
                                        SIMD=simd, kernel=k, stride=s, pad=p, ifm_dim=[h, w],
                                        out_shape=[frames, oh, ow, cout], out_dtype=dt))
    rng = np.random.default_rng(seed)
    maps = rng.integers(0, 2, (frames, h, w, cin))
    x = swg.golden(maps) if (k, s, p) != (1, 1, 0) else maps
    weights = rng.integers(0, 2, (cout, mw))
    return mvau, x, weights, mvau.golden(x, weights)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_binary_mvau_rtl_random_stalls(case: str, simulator: str) -> None:
    mvau, x, weights, want = build_case(case, frames=max(2, -(-1000 // (mvau_pixels(case)))), seed=7)
    assert len(x.reshape(-1, x.shape[-1])) >= 1000  # at least 1000 random input vectors
    run_op_rtl(mvau, simulator, [x], weights, want, stall=0.3, seed=11)


def mvau_pixels(case: str) -> int:
    h, w, _, _, k, s, p, _, _ = CASES[case]
    return ((h + 2 * p - k) // s + 1) * ((w + 2 * p - k) // s + 1)


@pytest.mark.parametrize("case", list(CASES))
def test_binary_mvau_rtl_cycles_equal_cost_model(case: str) -> None:
    frames = 3
    mvau, x, weights, want = build_case(case, frames=frames, seed=3)
    stamps = run_op_rtl(mvau, "verilator", [x], weights, want, stall=0.0)["stamps"]
    outs, ins = stamps["out0_V"], stamps["in0_V"]
    per_frame = len(outs) // frames
    frame_ends = [outs[(f + 1) * per_frame - 1] for f in range(frames)]
    ii = {frame_ends[f + 1] - frame_ends[f] for f in range(frames - 1)}
    mvau.set_nodeattr("out_shape", [1, *mvau.out_shape()[1:]])
    assert ii == {mvau.cycles()}
    assert outs[0] - ins[0] == mvau.latency()
