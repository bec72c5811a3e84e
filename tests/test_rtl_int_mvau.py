"""RTL and HLS of the integer MVAU (IntMVAU): bit-exact with the golden model under random
stalls on Icarus and Verilator, cycles and latency equal the cost model, C-simulation
bit-exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import assert_hls_rate, verify_op_rtl

# name -> (pixel dims, node attributes)
CASES = {
    # first conv: 3x3x3 windows of UINT8 pixels, raw accumulators, a 3x5 output map
    "conv_acc_u8": ((3, 5), dict(MW=27, MH=6, PE=3, SIMD=9, in_bits=8, in_signed=0, w_bits=8, mode="acc",
                                 out_dtype="INT24")),
    # classifier-like vector: bias, rounding off d = 6 bits, saturation to 12 bits
    "vec_requant_d6": ((), dict(MW=20, MH=10, PE=5, SIMD=4, in_bits=8, w_bits=8, mode="requant", acc_frac=9,
                                out_frac=3, out_bits=12, out_dtype="INT12")),
    # odd sizes, 4-bit weights, d = -2 (exact left shift), out_bits narrower than the stream
    "vec_requant_dneg_odd": ((), dict(MW=7, MH=3, PE=1, SIMD=7, in_bits=8, w_bits=4, mode="requant", acc_frac=2,
                                      out_frac=4, out_bits=14, out_dtype="INT16")),
}


def make_op(case: str, frames: int):  # noqa: ANN201
    dims, attrs = CASES[case]
    inputs = ["x", "w", "b"] if attrs["mode"] == "requant" else ["x", "w"]
    return getCustomOp(helper.make_node("IntMVAU", inputs, ["y"], domain=DOMAIN, out_shape=[frames, *dims, attrs["MH"]],
                                        **attrs))


def build(case: str):  # noqa: ANN201
    """build(frames, seed) for verify_op_rtl: weights and biases from a fixed seed, the
    input codes from `seed`."""
    dims, attrs = CASES[case]
    mh, mw, ib, wb = attrs["MH"], attrs["MW"], attrs["in_bits"], attrs["w_bits"]
    prng = np.random.default_rng(1234)
    w = prng.integers(-(1 << (wb - 1)), 1 << (wb - 1), (mh, mw))
    w[0, 0] = -(1 << (wb - 1))  # the extreme code
    params: np.ndarray | tuple = w
    if attrs["mode"] == "requant":
        # biases on the output grid, reaching past the saturation bound on both sides
        lim = 1 << attrs["out_bits"]
        params = (w, prng.integers(-lim, lim, mh))

    def _build(frames: int, seed: int):  # noqa: ANN202
        op = make_op(case, frames)
        rng = np.random.default_rng(seed)
        lo, hi = (-(1 << (ib - 1)), 1 << (ib - 1)) if attrs.get("in_signed", 1) else (0, 1 << ib)
        x = rng.integers(lo, hi, (frames, *dims, mw))
        x.reshape(-1, mw)[0] = lo  # the extreme product (-128 * -128, or 255 * -128)
        want = op.golden(x, *(params if isinstance(params, tuple) else (params,)))
        return op, [x], params, want

    return _build


def stall_frames(case: str) -> int:
    """Frames holding at least 1000 random input words."""
    op = make_op(case, 1)
    return -(-1000 // (op.pixels() * op.get_nodeattr("MW") // op.get_nodeattr("SIMD")))


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_int_mvau_rtl(case: str, simulator: str) -> None:
    frames = stall_frames(case)
    op, (x,), _, want = build(case)(frames, 0)
    assert len(op.in_words(x)) >= 1000
    if op.get_nodeattr("mode") == "requant":  # saturation and in-range values both occur
        lim = 1 << (op.get_nodeattr("out_bits") - 1)
        assert (np.abs(want) >= lim - 1).any() and (np.abs(want) < lim // 2).any()
    verify_op_rtl(build(case), simulator, frames)


@pytest.mark.parametrize("case", list(CASES))
def test_int_mvau_csim(case: str, tmp_path: Path) -> None:
    frames = 6
    op, (x,), params, want = build(case)(frames, 5)
    got, trips = csim(op, "int_mvau", op.in_words(x), frames, tmp_path, params, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)
