"""The cost models against Yosys synth_xilinx (issue 12, estimator quality).

Full check (opt-in, `make test-full`: hundreds of modules, hours of Yosys on a cold cache):
the tiny zoo models at two foldings and the stitched blocks (bench/estimator_quality.py
defines the set): per design, the LUT estimate of at least 80% of its modules within 15% of
Yosys and the total within 10%.

Fast check (`make test`): a handful of representative modules at fixed parameters, each
within 15% in LUTs; about a minute of Yosys on a cold cache, nothing with a warm one
(results are cached by content hash, generator/report/synthesis.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bench import estimator_quality as eq
from bnnforge.generator.hwops import DOMAIN


def _op(op_type: str, n_in: int, **attrs):  # noqa: ANN003, ANN202
    return getCustomOp(helper.make_node(op_type, [f"i{k}" for k in range(n_in)], ["y"], domain=DOMAIN, **attrs))


def _rng() -> np.random.Generator:
    return np.random.default_rng(12)


def _rprelu():  # noqa: ANN202
    rng = _rng()
    op = _op("RPReLU", 4, PE=4, in_bits=16, slope_bits=8, slope_frac=6, out_frac=8, out_shape=[1, 8, 8, 32],
             out_dtype="INT16")
    return eq.op_job("RPReLU PE=4 C=32", op, (rng.integers(-76, 76, 32), rng.integers(-32, 64, 32),
                                                 rng.integers(-76, 76, 32)))


def _mvau():  # noqa: ANN202
    op = _op("BinaryMVAU", 2, MW=72, MH=16, PE=4, SIMD=8, kernel=3, stride=1, pad=1, ifm_dim=[8, 8], groups=1,
             thresholds=0, out_shape=[1, 8, 8, 16], out_dtype="INT8")
    op.set_folding({"PE": 4, "SIMD": 8})
    return eq.op_job("BinaryMVAU 72x16 PE=4 SIMD=8", op, (_rng().integers(0, 2, (16, 72)),))


def _affine(pe: int, c: int):  # noqa: ANN202
    """The batch norm after a binary conv (6-bit dots), exponents spread as the zoo's."""
    def make():  # noqa: ANN202
        rng = _rng()
        op = _op("FixedAffine", 4, PE=pe, branches=1, in_bits=6, in_frac=0, gain_bits=12, out_frac=8,
                 out_shape=[1, 4, 4, c], out_dtype="INT16")
        params = (rng.integers(-2047, 2048, (1, c)), rng.integers(11, 14, c), rng.integers(-60000, 60000, c))
        return eq.op_job(f"FixedAffine PE={pe} C={c}", op, params)
    return make


def _dwc(bits: int, ie: int, oe: int):  # noqa: ANN202
    def make():  # noqa: ANN202
        op = _op("WidthConverter", 1, in_elems=ie, out_elems=oe, elem_bits=bits, out_shape=[1, 8, 8, 16],
                 out_dtype=f"INT{max(bits, 2)}" if bits > 1 else "BINARY")
        return eq.op_job(f"WidthConverter {bits}-bit {ie}->{oe}", op)
    return make


# representative modules: the two FIFO kinds the stitcher makes most (LUTRAM and block RAM),
# width converters both ways, the batch norm with constant and with table-driven shifts, an
# activation unit and a binary MVAU
FAST = {
    "affine_cf1": _affine(4, 4),
    "affine_cf8": _affine(2, 16),
    "fifo_lutram": lambda: eq.fifo_job(256, 2),
    "fifo_bram": lambda: eq.fifo_job(128, 348),
    "dwc_up": _dwc(1, 1, 8),
    "dwc_down": _dwc(16, 4, 1),
    "rprelu": _rprelu,
    "mvau": _mvau,
}


@pytest.fixture(scope="module")
def fast_results() -> dict:
    from bnnforge.generator.report.synthesis import run_jobs

    made = {k: make() for k, make in FAST.items()}
    synth = run_jobs([job for job, _ in made.values()], timeout=600, workers=2)
    return {k: (est, synth[job.name]) for k, (job, est) in made.items()}


@pytest.mark.yosys
@pytest.mark.parametrize("case", list(FAST))
def test_module_lut_estimate_within_15_percent(case: str, fast_results: dict) -> None:
    est, syn = fast_results[case]
    assert "error" not in syn, syn
    assert eq.within(est["lut"], syn["lut"], eq.LAYER_TOLERANCE), (case, est, syn)
    assert est["bram18"] == syn["bram18"], (case, est, syn)


@pytest.mark.full
@pytest.mark.yosys
@pytest.mark.parametrize("design", eq.design_names())
def test_design_estimate_against_yosys(design: str) -> None:
    (result,) = eq.run([design], workers=2, timeout=3600)
    assert eq.passes(result) == [], eq.passes(result)
