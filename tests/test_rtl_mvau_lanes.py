"""The streamed binary MVAU's lane forms that tests/test_rtl_mvau.py does not reach, bit-exact
under random stalls in Icarus and Verilator: a 1x1 conv without padding or thresholds (every
accumulator starts from one constant, loaded by the flip-flops' set/reset: FIXED_START) whose
weight ROM is deeper than 64 words (block RAM: WROM_BLOCK), and a 1x1 conv with fused
thresholds (one border class: no pixel counters, per-output start table)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from tests.rtl_harness import verify_op_rtl

# (H, W, Cin, Cout, PE, SIMD, thresholds)
CASES = {
    "fixed_start_block_rom": (3, 3, 64, 32, 2, 8, 0),     # 16 x 8 = 128 weight words
    "thresholds_one_class": (3, 2, 24, 12, 3, 6, 1),
}


def build_case(name: str, frames: int, seed: int):  # noqa: ANN201
    h, w, cin, cout, pe, simd, thr = CASES[name]
    dt = "BINARY" if thr else f"INT{bits_for(-cin, cin)}"
    op = getCustomOp(helper.make_node("BinaryMVAU", ["x", "w", "t"] if thr else ["x", "w"], ["y"], domain=DOMAIN,
                                      MW=cin, MH=cout, PE=pe, SIMD=simd, kernel=1, stride=1, pad=0, ifm_dim=[h, w],
                                      thresholds=thr, out_shape=[frames, h, w, cout], out_dtype=dt))
    op.set_folding({"PE": pe, "SIMD": simd})
    prm = np.random.default_rng(99)
    weights = prm.integers(0, 2, (cout, cin))
    params = (weights, prm.integers(-8, 9, cout)) if thr else weights
    x = np.random.default_rng(seed).integers(0, 2, (frames, h, w, cin))
    return op, [x], params, op.golden(x, *(params if thr else (params,)))


def test_forms() -> None:
    op, _, params, _ = build_case("fixed_start_block_rom", 1, 0)
    p = op.rtl(params).parameters
    assert (p["FIXED_START"], p["WROM_BLOCK"], p["START"]) == (1, 1, (-64) % (1 << op.acc_width()))
    op, _, params, _ = build_case("thresholds_one_class", 1, 0)
    p = op.rtl(*params).parameters
    assert (p["FIXED_START"], p["WROM_BLOCK"]) == (0, 0)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_streamed_mvau_rtl(case: str, simulator: str) -> None:
    verify_op_rtl(functools.partial(build_case, case), simulator, stall_frames=12, seed=5)
