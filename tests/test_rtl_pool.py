"""RTL and HLS of AvgPool, 2x2 (stride-2 shortcuts, odd maps drop a row/column) and global
(an exact rounding division by H*W, a reciprocal multiply): bit-exact with the golden model
under random stalls on Icarus and Verilator, cycles and latency equal the cost model,
C-simulation bit-exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.pool import recip_round_div
from bnnforge.quant.fixed_point import np_round_half_even_div
from tests.rtl_harness import assert_hls_rate, simulator_params, verify_op_rtl

# (H, W, C, PE, kernel (0: global), in_bits, out_dtype)
CASES = {
    "2x2_6x6x8_pe4": (6, 6, 8, 4, 2, 16, "INT16"),
    "2x2_7x5x6_pe2_odd": (7, 5, 6, 2, 2, 10, "INT8"),
    "global_7x7x16_pe4": (7, 7, 16, 4, 0, 16, "INT12"),
    "global_3x5x5_pe5": (3, 5, 5, 5, 0, 8, "INT8"),
    "global_3x4x6_pe3_ties": (3, 4, 6, 3, 0, 6, "INT6"),  # even count 12: exact ties, half to even
}


def make_op(case: str, frames: int):  # noqa: ANN201
    h, w, c, pe, k, ib, dt = CASES[case]
    shape = [frames, c] if k == 0 else [frames, h // k, w // k, c]
    return getCustomOp(helper.make_node("AvgPool", ["x"], ["y"], domain=DOMAIN, kernel=k, ifm_dim=[h, w], PE=pe,
                                        in_bits=ib, out_shape=shape, out_dtype=dt))


def build(case: str):  # noqa: ANN201
    """build(frames, seed) for verify_op_rtl: frame 0 all at the top of the range, frame 1
    all at the bottom (the divider's extreme sums), then frames of codes scattered around a
    random level, so averages (and saturated outputs) cover the whole range."""
    h, w, c, _, _, ib, _ = CASES[case]
    lo, hi = -(1 << (ib - 1)), (1 << (ib - 1)) - 1

    def _build(frames: int, seed: int):  # noqa: ANN202
        op = make_op(case, frames)
        rng = np.random.default_rng(seed)
        level = rng.integers(lo, hi + 1, (frames, 1, 1, 1))
        x = np.clip(level + rng.integers(-(hi + 1) // 4, (hi + 1) // 4, (frames, h, w, c)), lo, hi)
        x[0], x[1 % frames] = hi, lo
        return op, [x], None, op.golden(x)

    return _build


@pytest.mark.parametrize("case,simulator", simulator_params(list(CASES), {"2x2_7x5x6_pe2_odd", "global_3x4x6_pe3_ties"}))
def test_avg_pool_rtl(case: str, simulator: str) -> None:
    h, w, c, pe, *_ = CASES[case]
    frames = -(-1000 * pe // (h * w * c))
    op, (x,), _, _ = build(case)(frames, 0)
    assert len(op.in_words(x)) >= 1000
    verify_op_rtl(build(case), simulator, frames)


@pytest.mark.parametrize("case", list(CASES))
def test_avg_pool_csim(case: str, tmp_path: Path) -> None:
    frames = 5
    op, (x,), _, want = build(case)(frames, 5)
    got, trips = csim(op, "avg_pool", op.in_words(x), frames, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)


@pytest.mark.parametrize("in_bits", [3, 5])
def test_reciprocal_division_is_exact_on_every_sum(in_bits: int) -> None:
    """The RTL's divider arithmetic (pool.recip_round_div) on every possible window sum of
    every window size up to 70 codes, ties (even sizes) included."""
    for d in range(1, 71):
        s = np.arange(-d << (in_bits - 1), d * ((1 << (in_bits - 1)) - 1) + 1)
        assert np.array_equal(recip_round_div(s, d, in_bits), np_round_half_even_div(s, d)), d
