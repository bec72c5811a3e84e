"""Learnable activations on the fixed-point stream: ReActNet's RPReLU and FTBNN's FPReLU."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp
from bnnforge.quant.fixed_point import np_round_shift


def rprelu(x: np.ndarray, b1: np.ndarray, a: np.ndarray, b2: np.ndarray, slope_frac: int) -> np.ndarray:
    """t = x - b1; y = (t if t >= 0 else round(t * a)) + b2, all codes, channels last; unsaturated."""
    t = x - b1
    return np.where(t >= 0, t, np_round_shift(t * a, slope_frac)) + b2


def fprelu(x: np.ndarray, a_pos: np.ndarray, a_neg: np.ndarray, slope_frac: int) -> np.ndarray:
    """y = round(x * (a_pos if x >= 0 else a_neg)), codes, channels last; unsaturated."""
    return np_round_shift(x * np.where(x >= 0, a_pos, a_neg), slope_frac)


class _SlopeUnit(ElementwiseOp):
    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "slope_frac": ("i", False, 6), "slope_bits": ("i", False, 8)}

    def lane_cost(self) -> dict[str, float]:
        # 16 x 8 bit product as shift-and-add in LUTs (a DSP per lane would be wasted on 8 bits)
        return {"lut": 16 * self.get_nodeattr("slope_bits") // 2 + 40, "ff": 40}


class RPReLU(_SlopeUnit):
    """ReActNet's RPReLU: inputs x, then initializers b1, a (slope codes), b2."""

    def golden(self, x: np.ndarray, b1: np.ndarray, a: np.ndarray, b2: np.ndarray) -> np.ndarray:
        return self.saturate(rprelu(x, b1, a, b2, self.get_nodeattr("slope_frac")))

    def param_bits(self) -> int:
        return 16 + self.get_nodeattr("slope_bits") + 16


class FPReLU(_SlopeUnit):
    """FTBNN's fully-trainable PReLU: inputs x, then initializers a_pos, a_neg (slope codes)."""

    def golden(self, x: np.ndarray, a_pos: np.ndarray, a_neg: np.ndarray) -> np.ndarray:
        return self.saturate(fprelu(x, a_pos, a_neg, self.get_nodeattr("slope_frac")))

    def param_bits(self) -> int:
        return 2 * self.get_nodeattr("slope_bits")
