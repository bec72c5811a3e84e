"""RTL and HLS of the learnable activations RPReLU and FPReLU (hw/rtl/bnf_prelu.v): bit-exact
with the golden model under random stalls on Icarus and Verilator, cycles and latency equal
the cost model, C-simulation bit-exact; parameters that do not fit are refused clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from bnnforge.quant.errors import BnnforgeError
from tests.rtl_harness import assert_hls_rate, simulator_params, verify_op_rtl

OUT_BITS, FRAC, SLOPE_BITS, SLOPE_FRAC = 16, 8, 8, 6
# shape (without N), PE, in_bits: the residual stream's 16-bit codes, and a wider input
CASES = {"4x4x16_pe4": ((4, 4, 16), 4, 16), "3x5x6_pe2": ((3, 5, 6), 2, 16), "7x1x5_pe1_18bit": ((7, 1, 5), 1, 18)}
OPS = ("RPReLU", "FPReLU")


def make_op(op_type: str, case: str, frames: int):  # noqa: ANN201
    shape, pe, ib = CASES[case]
    n_par = 3 if op_type == "RPReLU" else 2
    return getCustomOp(helper.make_node(
        op_type, ["x", *[f"p{i}" for i in range(n_par)]], ["y"], domain=DOMAIN, PE=pe, in_bits=ib,
        slope_bits=SLOPE_BITS, slope_frac=SLOPE_FRAC, out_shape=[frames, *shape], out_dtype=f"INT{OUT_BITS}",
        out_frac=FRAC))


def params(op_type: str, case: str) -> tuple[np.ndarray, ...]:
    """Fixed-seed parameters: slopes over all 8-bit codes (-2 .. 2), biases up to +-32 on the
    stream grid with the extremes of their range on channel 0."""
    c = CASES[case][0][-1]
    rng = np.random.default_rng(13)
    slope = rng.integers(-(1 << (SLOPE_BITS - 1)), 1 << (SLOPE_BITS - 1), (2, c))
    if op_type == "FPReLU":
        return slope[0], slope[1]
    b1, b2 = rng.integers(-(32 << FRAC), 32 << FRAC, (2, c))
    b1[0], b2[0] = (1 << (OUT_BITS - 1)) - 1, -(1 << (OUT_BITS - 1))
    return b1, slope[0], b2


def build(op_type: str, case: str):  # noqa: ANN201
    """build(frames, seed) for verify_op_rtl: parameters fixed, inputs over the full range."""
    shape, _, ib = CASES[case]
    prm = params(op_type, case)

    def _build(frames: int, seed: int):  # noqa: ANN202
        op = make_op(op_type, case, frames)
        x = np.random.default_rng(seed).integers(-(1 << (ib - 1)), 1 << (ib - 1), (frames, *shape))
        return op, [x], prm, op.golden(x, *prm)

    return _build


@pytest.mark.parametrize("op_type,case,simulator", simulator_params(
    [(op, case) for op in OPS for case in CASES], {"RPReLU-7x1x5_pe1_18bit", "FPReLU-4x4x16_pe4"}))
def test_prelu_rtl(op_type: str, case: str, simulator: str) -> None:
    shape, pe, _ = CASES[case]
    frames = -(-1000 * pe // int(np.prod(shape)))
    op, (x,), _, want = build(op_type, case)(frames, 0)
    assert len(op.in_words(x)) >= 1000
    lim = 1 << (OUT_BITS - 1)
    assert (want == lim - 1).any() and (want == -lim).any() and (np.abs(want) < lim - 1).mean() > 0.1
    verify_op_rtl(build(op_type, case), simulator, frames)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("op_type", OPS)
def test_prelu_csim(op_type: str, case: str, tmp_path: Path) -> None:
    frames = 12
    op, (x,), prm, want = build(op_type, case)(frames, 5)
    got, trips = csim(op, op_type.lower(), op.in_words(x), frames, tmp_path, prm, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)


def test_prelu_refuses_what_does_not_fit() -> None:
    op = make_op("FPReLU", "3x5x6_pe2", 1)
    a_pos, a_neg = params("FPReLU", "3x5x6_pe2")
    a_neg[4] = 200
    with pytest.raises(BnnforgeError, match="a_neg = 200 of channel 4 does not fit signed 8 bits"):
        op.rtl(a_pos, a_neg)
    op = make_op("RPReLU", "3x5x6_pe2", 1)
    b1, a, b2 = params("RPReLU", "3x5x6_pe2")
    b2[3] = 1 << 16
    with pytest.raises(BnnforgeError, match="b2 = 65536 of channel 3 does not fit signed 16 bits"):
        op.rtl(b1, a, b2)
