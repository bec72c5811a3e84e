"""Folded batch norm on the fixed-point stream: per-branch integer gains, shared bias."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp
from bnnforge.quant.fixed_point import np_round_shift


def fixed_affine(dots: list[np.ndarray], m: np.ndarray, e: np.ndarray, b: np.ndarray, in_frac: int,
                 frac: int) -> np.ndarray:
    """round(sum_i d_i * m_i * 2**-E + B) onto the grid 2**-frac, before saturation.

    Channels last. d_i are codes on 2**-in_frac, m [branches, C] signed mantissas, E [C]
    per-channel exponents, B [C] the bias on the grid 2**-max(E, frac). Every term is
    aligned to the finest grid involved, summed exactly and rounded once, half to even.
    """
    e = np.asarray(e, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    acc = np.maximum(e, frac)            # grid of the bias
    x = np.maximum(e + in_frac, acc)     # grid of the sum: every term shifts left into it
    total = b << (x - acc)
    for d, mi in zip(dots, np.asarray(m, dtype=np.int64)):
        total = total + ((d * mi) << (x - e - in_frac))
    return np_round_shift(total, x - frac)


class FixedAffine(ElementwiseOp):
    """Batch norm folded into y = sat(round(sum_i m_i d_i 2**-E + B)), one or three branches.

    Inputs: `branches` dot streams (the binary MLP block sums its three convs here, each
    with its own gain), then initializers m [branches, C], E [C], B [C].
    """

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "branches": ("i", False, 1), "in_frac": ("i", False, 0),
                "in_bits": ("i", False, 16), "gain_bits": ("i", False, 12)}

    def golden(self, *ins: np.ndarray) -> np.ndarray:
        k = self.get_nodeattr("branches")
        dots, (m, e, b) = list(ins[:k]), ins[k:]
        y = fixed_affine(dots, m, e, b, self.get_nodeattr("in_frac"), self.get_nodeattr("out_frac"))
        return self.saturate(y)

    def lane_cost(self) -> dict[str, float]:
        k, ib, gb = self.get_nodeattr("branches"), self.get_nodeattr("in_bits"), self.get_nodeattr("gain_bits")
        # one DSP multiply per branch; barrel shift, bias add, rounding and saturation in LUTs
        width = ib + gb + 2
        return {"dsp": k, "lut": width * 2 + 20, "ff": width * (k + 1)}

    def param_bits(self) -> int:
        return self.get_nodeattr("branches") * self.get_nodeattr("gain_bits") + 6 + 24

