"""BCDNet's long-short range circular shift on the binary stream."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import HWOp, divisors, memory_cost


def long_short_shift_nhwc(x: np.ndarray, dh: int, dw: int) -> np.ndarray:
    """Four channel groups rolled by +dh, -dh along H and +dw, -dw along W (torch.roll
    semantics, out[i] = in[i - d]); channels last."""
    g = x.shape[-1] // 4
    parts = [np.roll(x[..., 0 * g : 1 * g], dh, axis=1), np.roll(x[..., 1 * g : 2 * g], -dh, axis=1),
             np.roll(x[..., 2 * g : 3 * g], dw, axis=2), np.roll(x[..., 3 * g : 4 * g], -dw, axis=2)]
    return np.concatenate(parts, axis=-1)


class LongShortShift(HWOp):
    """Circular shift unit: bits [N, H, W, C] in raster order, C divisible by 4.

    A roll along H by d emits row i from input row (i - d) mod H, so rows must wait in a
    buffer: the H groups hold a frame's rows of their channels (one bit each), the W groups
    one row. The estimate counts that buffer, double-buffered to run at full rate.
    """

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "dh": ("i", True, 1), "dw": ("i", True, 1), "PE": ("i", False, 1)}

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.channels())}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return long_short_shift_nhwc(x, self.get_nodeattr("dh"), self.get_nodeattr("dw"))

    def buffer_bits(self) -> int:
        _, h, w, c = self.out_shape()
        g = c // 4
        return 2 * (2 * g * h * w + 2 * g * w)

    def cycles(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        _, h, w, c = self.out_shape()
        dh = self.get_nodeattr("dh")
        # the +dh group's first output row is input row H - dh
        return ((h - dh) * w if dh else w) * c // self.get_nodeattr("PE") + 2

    def resources(self) -> dict[str, int]:
        pe = self.get_nodeattr("PE")
        mem = memory_cost(pe, self.buffer_bits() // pe)
        return {"lut": 80 + 4 * pe + mem["lut"], "ff": 80 + 2 * pe, "bram18": mem["bram18"], "dsp": 0}
