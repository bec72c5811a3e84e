"""RTL and HLS of the FixedAffine op (folded batch norm, one or three branches): bit-exact with
the golden model under random stalls on Icarus and Verilator, cycles and latency equal the
cost model, C-simulation bit-exact; parameters that do not fit are refused clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from bnnforge.quant.errors import BnnforgeError
from tests.rtl_harness import assert_hls_rate, verify_op_rtl

OUT_BITS, OUT_FRAC, GAIN_BITS = 16, 8, 12
# shape (without N), PE, branches, in_bits, in_frac, exponents (a range, or one per channel),
# real bias bound, acc_bits ("auto": the op's default; "fit": the smallest that fits)
CASES = {
    # the binary MLP block: three dot streams of a 1x1 conv, exponents like the zoo's
    "br3_4x4x16_pe4": ((4, 4, 16), 4, 3, 10, 0, (11, 19), 4.0, "auto"),
    # the stem's batch norm: 16-bit codes with 8 fractional bits, fully parallel
    "br1_5x3x6_full": ((5, 3, 6), 6, 1, 16, 8, (4, 15), 64.0, "fit"),
    # a per-frame vector; exponents that shift the products left (2, 5), neither (8) or
    # round them right (11, 20)
    "br1_vec5_pe1_shifts": ((5,), 1, 1, 12, 0, (2, 5, 8, 11, 20), 64.0, "fit"),
}


def make_op(case: str, frames: int, acc_bits: int = 0):  # noqa: ANN201
    shape, pe, k, ib, fi, *_ = CASES[case]
    return getCustomOp(helper.make_node(
        "FixedAffine", [f"d{i}" for i in range(k)] + ["m", "e", "b"], ["y"], domain=DOMAIN, PE=pe, branches=k,
        in_bits=ib, in_frac=fi, gain_bits=GAIN_BITS, acc_bits=acc_bits, out_shape=[frames, *shape],
        out_dtype=f"INT{OUT_BITS}", out_frac=OUT_FRAC))


def params(case: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, E, B) drawn from a fixed seed: gains use the full signed 12 bits, biases are real
    values within +-bound on the bias grid 2**-max(E, frac)."""
    shape, _, k, _, _, exps, bound, _ = CASES[case]
    c = shape[-1]
    rng = np.random.default_rng(11)
    m = rng.integers(-(1 << (GAIN_BITS - 1)), 1 << (GAIN_BITS - 1), (k, c))
    e = np.array(exps) if len(exps) == c else rng.integers(exps[0], exps[1], c)
    b = np.rint(rng.uniform(-bound, bound, c) * 2.0 ** np.maximum(e, OUT_FRAC)).astype(np.int64)
    return m, e, b


def build(case: str):  # noqa: ANN201
    """build(frames, seed) for verify_op_rtl: parameters fixed, inputs over the full range."""
    shape, _, k, ib, *_, acc = CASES[case]
    m, e, b = params(case)
    acc_bits = 0 if acc == "auto" else make_op(case, 1).needed_acc_bits(m, e, b)

    def _build(frames: int, seed: int):  # noqa: ANN202
        op = make_op(case, frames, acc_bits)
        rng = np.random.default_rng(seed)
        dots = [rng.integers(-(1 << (ib - 1)), 1 << (ib - 1), (frames, *shape)) for _ in range(k)]
        return op, dots, (m, e, b), op.golden(*dots, m, e, b)

    return _build


def stall_frames(case: str) -> int:
    """Frames holding at least 1000 random input words per stream."""
    shape, pe, *_ = CASES[case]
    return -(-1000 * pe // int(np.prod(shape)))


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_fixed_affine_rtl(case: str, simulator: str) -> None:
    frames = stall_frames(case)
    op, dots, _, want = build(case)(frames, 0)
    words = op.in_words(*dots)
    assert min(map(len, words.values() if isinstance(words, dict) else [words])) >= 1000
    lim = 1 << (OUT_BITS - 1)
    assert (want == lim - 1).any() and (want == -lim).any() and (np.abs(want) < lim - 1).mean() > 0.2
    verify_op_rtl(build(case), simulator, frames)


@pytest.mark.parametrize("case", list(CASES))
def test_fixed_affine_csim(case: str, tmp_path: Path) -> None:
    frames = 12
    op, dots, prm, want = build(case)(frames, 5)
    got, trips = csim(op, "fixed_affine", op.in_words(*dots), frames, tmp_path, prm, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)


def test_fixed_affine_shifts_cover_both_directions() -> None:
    """The vector case really shifts products left on some channels and rounds on others."""
    case = "br1_vec5_pe1_shifts"
    m, e, b = params(case)
    op = make_op(case, 1, make_op(case, 1).needed_acc_bits(m, e, b))
    _, lsh, rsh, _ = op.align(m, e, b)
    assert lsh.max() > 0 and rsh.max() > 0 and ((lsh == 0) & (rsh == 0)).any()


def test_fixed_affine_refuses_what_does_not_fit() -> None:
    case = "br1_vec5_pe1_shifts"
    m, e, b = params(case)
    with pytest.raises(BnnforgeError, match="shifted left by 6 bits.*set acc_bits >= 30"):
        make_op(case, 1).rtl(m, e, b)  # automatic width: one bit of left shift
    op = make_op(case, 1, 34)
    with pytest.raises(BnnforgeError, match="does not fit gain_bits=12"):
        op.rtl(m * 2, e, b)
    e2, b2 = e.copy(), b.copy()
    e2[4], b2[4] = 30, 50 << 30  # a bias of 50 on a grid this fine needs a 37-bit sum
    with pytest.raises(BnnforgeError, match="channel 4: .* need a 37-bit sum; acc_bits=34: set acc_bits >= 37"):
        op.rtl(m, e2, b2)
    b2[4] = 1 << 60  # so large that every output saturates: clamped to 2**37 + products
    assert op.needed_acc_bits(m, e2, b2) == 39
