"""Additions and requantization on the fixed-point stream."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp
from bnnforge.quant.fixed_point import np_round_shift


def aligned_sum(a: np.ndarray, fa: int, b: np.ndarray, fb: int, out_frac: int) -> np.ndarray:
    """round(a * 2**-fa + b * 2**-fb) onto 2**-out_frac, half to even, unsaturated."""
    f = max(fa, fb, out_frac)
    return np_round_shift((a << (f - fa)) + (b << (f - fb)), f - out_frac)


class _AddOp(ElementwiseOp):
    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "a_frac": ("i", False, 8), "b_frac": ("i", False, 8),
                "in_bits": ("i", False, 16)}

    def lane_cost(self) -> dict[str, float]:
        return {"lut": self.get_nodeattr("in_bits") + 8, "ff": self.get_nodeattr("in_bits")}


class ResidualAdd(_AddOp):
    """Residual add of two streams with saturation (ReActNet shortcut). The skip input waits
    in a FIFO sized by the graph to the latency of the branch it bypasses."""

    def golden(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.saturate(aligned_sum(a, self.get_nodeattr("a_frac"), b, self.get_nodeattr("b_frac"),
                                         self.get_nodeattr("out_frac")))


class EmbeddingAdd(_AddOp):
    """BCDNet-B's post-conv embedding: stream a [N, H, W, C] plus per-frame vector b [N, C]."""

    def golden(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        b = b.reshape(b.shape[0], *([1] * (a.ndim - 2)), b.shape[-1])
        return self.saturate(aligned_sum(a, self.get_nodeattr("a_frac"), b, self.get_nodeattr("b_frac"),
                                         self.get_nodeattr("out_frac")))

    def param_bits(self) -> int:
        return self.get_nodeattr("in_bits")  # the frame's embedding vector


class Requantize(ElementwiseOp):
    """Round codes from 2**-in_frac onto (out bits, out_frac), half to even, saturating
    (the 8-bit quantizers in front of the context maps and the classifier)."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "in_frac": ("i", False, 8), "in_bits": ("i", False, 16)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return self.saturate(np_round_shift(x, self.get_nodeattr("in_frac") - self.get_nodeattr("out_frac")))

    def lane_cost(self) -> dict[str, float]:
        return {"lut": self.get_nodeattr("in_bits") + 4, "ff": 8}
