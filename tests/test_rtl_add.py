"""RTL and HLS of ResidualAdd (with its skip FIFO), EmbeddingAdd and Requantize: bit-exact with
the golden model under random stalls on Icarus and Verilator, cycles and latency equal the
cost model, C-simulation bit-exact. Codes cover the whole input range, so outputs saturate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import assert_hls_rate, simulator_params, verify_op_rtl

# op -> case -> (shape [H, W, C] of a frame, attributes); in_bits and out_dtype set the ranges
CASES = {
    "ResidualAdd": {
        "16ch_pe4": ((4, 4, 16), dict(PE=4, in_bits=16, a_frac=8, b_frac=8, out_frac=8, out_dtype="INT16")),
        "6ch_pe3_fracs": ((5, 3, 6), dict(PE=3, in_bits=9, a_frac=6, b_frac=8, out_frac=7, out_dtype="INT8")),
        "vector_7ch_pe1_deep": ((1, 1, 7), dict(PE=1, in_bits=12, a_frac=10, b_frac=4, out_frac=5, skip_depth=37,
                                                out_dtype="INT10")),
    },
    "EmbeddingAdd": {
        "8ch_pe4": ((4, 4, 8), dict(PE=4, in_bits=16, a_frac=8, b_frac=8, out_frac=8, out_dtype="INT16")),
        "6ch_pe6_fracs": ((3, 5, 6), dict(PE=6, in_bits=10, a_frac=4, b_frac=9, out_frac=6, out_dtype="INT9")),
        "3ch_pe1_column": ((5, 1, 3), dict(PE=1, in_bits=8, a_frac=7, b_frac=5, out_frac=3, out_dtype="INT6")),
    },
    "Requantize": {
        "frac8_to_4_int8": ((3, 5, 7), dict(PE=7, in_bits=16, in_frac=8, out_frac=4, out_dtype="INT8")),
        "frac4_to_6_left": ((5, 3, 5), dict(PE=1, in_bits=10, in_frac=4, out_frac=6, out_dtype="INT11")),
        "frac6_same_sat": ((3, 3, 9), dict(PE=3, in_bits=12, in_frac=6, out_frac=6, out_dtype="INT8")),
    },
}
IDS = [(op, case) for op, cases in CASES.items() for case in cases]


def make_op(op_type: str, case: str, frames: int):  # noqa: ANN201
    (h, w, c), attrs = CASES[op_type][case]
    n_in = 1 if op_type == "Requantize" else 2
    return getCustomOp(helper.make_node(op_type, [f"i{k}" for k in range(n_in)], ["y"], domain=DOMAIN,
                                        out_shape=[frames, h, w, c], **attrs))


def build(op_type: str, case: str):  # noqa: ANN201
    """build(frames, seed) for verify_op_rtl: no parameters, only the codes depend on `seed`."""
    (h, w, c), attrs = CASES[op_type][case]
    lim = 1 << (attrs["in_bits"] - 1)

    def _build(frames: int, seed: int):  # noqa: ANN202
        op = make_op(op_type, case, frames)
        rng = np.random.default_rng(seed)
        a = rng.integers(-lim, lim, (frames, h, w, c))
        if op_type == "Requantize":
            inputs = [a]
        elif op_type == "ResidualAdd":
            inputs = [a, rng.integers(-lim, lim, (frames, h, w, c))]
        else:
            inputs = [a, rng.integers(-lim, lim, (frames, c))]
        return op, inputs, None, op.golden(*inputs)

    return _build


def words_per_frame(op_type: str, case: str) -> int:
    (h, w, c), attrs = CASES[op_type][case]
    return h * w * c // attrs["PE"]


# Verilator: one case an op, the residual add's with a deep skip FIFO
@pytest.mark.parametrize("op_type,case,simulator", simulator_params(
    IDS, {"ResidualAdd-vector_7ch_pe1_deep", "EmbeddingAdd-6ch_pe6_fracs", "Requantize-frac6_same_sat"}))
def test_add_rtl(op_type: str, case: str, simulator: str) -> None:
    frames = -(-1000 // words_per_frame(op_type, case))
    op, inputs, _, want = build(op_type, case)(frames, 0)
    words = op.in_words(*inputs)
    assert len(words if isinstance(words, list) else words["in0_V"]) >= 1000
    dt = DataType[op.get_nodeattr("out_dtype")]
    assert (want == dt.min()).any() and (want == dt.max()).any(), "the codes must drive the output into saturation"
    verify_op_rtl(build(op_type, case), simulator, frames)


@pytest.mark.parametrize("op_type,case", IDS, ids=[f"{o}-{c}" for o, c in IDS])
def test_add_csim(op_type: str, case: str, tmp_path: Path) -> None:
    frames = 6
    op, inputs, _, want = build(op_type, case)(frames, 5)
    got, trips = csim(op, op_type.lower(), op.in_words(*inputs), frames, tmp_path, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)
