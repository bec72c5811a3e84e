"""RTL and HLS of the sliding-window generator: bit-exact with the golden model under random
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

# (H, W, C, SIMD, kernel, stride, pad, elem_bits): R = SIMD / gcd(SIMD, C) lanes per word
CASES = {
    "bin_5x7_c8_simd2": (5, 7, 8, 2, 3, 1, 1, 1),        # 4 input words a pixel, 1 lane
    "bin_7x6_c2_s2_simd6": (7, 6, 2, 6, 3, 2, 1, 1),     # stride 2, 3 lanes, input-bound
    "int8_6x5_c3_simd27": (6, 5, 3, 27, 3, 1, 1, 8),     # 8-bit first layer: a window a word
    "bin_6x8_c4_s2_p0_simd6": (6, 8, 4, 6, 3, 2, 0, 1),  # no padding, unused last row/column
}


def make_op(case: str, frames: int):  # noqa: ANN201
    h, w, c, simd, k, s, p, eb = CASES[case]
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    return getCustomOp(helper.make_node("SlidingWindow", ["x"], ["y"], domain=DOMAIN, ifm_dim=[h, w], channels=c,
                                        kernel=k, stride=s, pad=p, pad_value=0, elem_bits=eb, SIMD=simd,
                                        out_shape=[frames, oh, ow, k * k * c],
                                        out_dtype="BINARY" if eb == 1 else f"INT{eb}"))


def build(case: str):  # noqa: ANN201
    """build(frames, seed) for verify_op_rtl: the op has no parameters, only the input
    codes depend on `seed`."""
    h, w, c, *_, eb = CASES[case]

    def _build(frames: int, seed: int):  # noqa: ANN202
        op = make_op(case, frames)
        rng = np.random.default_rng(seed)
        x = rng.integers(0, 2, (frames, h, w, c)) if eb == 1 else rng.integers(-128, 128, (frames, h, w, c))
        return op, [x], None, op.golden(x)

    return _build


def stall_frames(case: str) -> int:
    """Frames holding at least 1000 random input words."""
    op = make_op(case, 1)
    return -(-1000 // op.in_words_per_frame())


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_sliding_window_rtl(case: str, simulator: str) -> None:
    frames = stall_frames(case)
    op, (x,), _, _ = build(case)(frames, 0)
    assert len(op.in_words(x)) >= 1000
    verify_op_rtl(build(case), simulator, frames)


@pytest.mark.parametrize("case", list(CASES))
def test_sliding_window_csim(case: str, tmp_path: Path) -> None:
    frames = 4
    op, (x,), _, want = build(case)(frames, 5)
    got, trips = csim(op, "sliding_window", op.in_words(x), frames, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)

