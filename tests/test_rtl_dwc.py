"""RTL and HLS of the stream width converter: bit-exact (order kept) under random stalls,
cycles equal the cost model, C-simulation bit-exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import assert_hls_rate, simulator_params, verify_op_rtl

# (H, W, C, elem_bits, in_elems, out_elems): narrowing (bnf_dwc's split, 4 and 2 parts),
# widening (its gather, 3 and 2 parts), neither divides the other (its general buffer)
CASES = {"bits_16_to_4": (3, 5, 16, 1, 16, 4), "bytes_8_to_4": (4, 4, 16, 8, 8, 4), "codes_2_to_6": (5, 3, 6, 16, 2, 6),
         "bits_4_to_8": (3, 3, 8, 1, 4, 8), "9bit_3_to_5": (4, 1, 15, 9, 3, 5)}


def build(case: str):  # noqa: ANN201
    h, w, c, eb, ie, oe = CASES[case]

    def make(frames: int, seed: int):  # noqa: ANN202
        op = getCustomOp(helper.make_node("WidthConverter", ["x"], ["y"], domain=DOMAIN, in_elems=ie, out_elems=oe,
                                          elem_bits=eb, out_shape=[frames, h, w, c], out_dtype=f"INT{max(eb, 2)}"))
        x = np.random.default_rng(seed).integers(0, 1 << eb, (frames, h, w, c))
        return op, [x], None, op.golden(x)

    return make


# Verilator: a split (16 to 4), a gather (4 to 8), and neither dividing the other (3 to 5)
@pytest.mark.parametrize("case,simulator", simulator_params(list(CASES), {"bits_16_to_4", "bits_4_to_8", "9bit_3_to_5"}))
def test_dwc_rtl(case: str, simulator: str) -> None:
    h, w, c, _, ie, _ = CASES[case]
    frames = -(-1000 * ie // (h * w * c))
    verify_op_rtl(build(case), simulator, frames)


@pytest.mark.parametrize("case", list(CASES))
def test_dwc_csim(case: str, tmp_path: Path) -> None:
    op, (x,), _, want = build(case)(12, 5)
    got, trips = csim(op, "dwc", op.in_words(x), 12, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)
