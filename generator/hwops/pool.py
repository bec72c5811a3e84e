"""Average pooling on the fixed-point stream: 2x2 (stride-2 shortcuts) and global."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp, memory_cost
from bnnforge.quant.fixed_point import np_round_half_even_div


def avg_pool(x: np.ndarray, kernel: int) -> np.ndarray:
    """k x k windows with stride k (kernel 0: global), exact sum / count rounded half to even.
    Channels last; a global pool returns [N, C]."""
    n, h, w, c = x.shape
    if kernel == 0:
        return np_round_half_even_div(x.sum(axis=(1, 2)), h * w)
    k = kernel
    total = x[:, : h // k * k, : w // k * k].reshape(n, h // k, k, w // k, k, c).sum(axis=(2, 4))
    return np_round_half_even_div(total, k * k)


class AvgPool(ElementwiseOp):
    """Input [N, H, W, C] codes; output [N, H/k, W/k, C], or [N, C] for the global pool."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "kernel": ("i", False, 2), "ifm_dim": ("ints", True, [1, 1]),
                "in_bits": ("i", False, 16)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return self.saturate(avg_pool(x, self.get_nodeattr("kernel")))

    def cycles(self) -> int:  # paced by the input
        h, w = self.get_nodeattr("ifm_dim")
        return h * w * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        h, w = self.get_nodeattr("ifm_dim")
        rows = h if self.get_nodeattr("kernel") == 0 else self.get_nodeattr("kernel") - 1
        return (rows * w + 1) * self.channels() // self.get_nodeattr("PE") + 4

    def lane_cost(self) -> dict[str, float]:
        # accumulator and the rounding divider (a shift for 2x2, a reciprocal multiply for global)
        glob = self.get_nodeattr("kernel") == 0
        return {"lut": self.get_nodeattr("in_bits") * 3 + 10, "ff": 40, "dsp": 1 if glob else 0}

    def resources(self) -> dict[str, int]:
        out = super().resources()
        h, w = self.get_nodeattr("ifm_dim")
        k = self.get_nodeattr("kernel")
        if k:  # partial row sums of one output row
            mem = memory_cost(self.get_nodeattr("in_bits") + 2, w // k * self.channels())
        else:  # one accumulator per channel
            mem = memory_cost(self.get_nodeattr("in_bits") + (h * w).bit_length(), self.channels())
        out["lut"] += mem["lut"]
        out["bram18"] += mem["bram18"]
        return out
