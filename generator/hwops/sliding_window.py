"""Sliding-window generator (im2col on the stream) for k x k convolutions."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.base import HWOp, memory_cost


class SlidingWindow(HWOp):
    """Turns an [N, H, W, C] stream into one k*k*C window per output pixel, (ky, kx, c) order.

    Padding positions carry `pad_value`: 0 for 8-bit pixels (exact zero padding) and bit 0
    for binary maps, where the following BinaryMVAU corrects the padded taps. A line buffer
    of k padded rows holds the window. SIMD is the window elements per output word; it is
    not a free knob but always the SIMD of the MVAU this window feeds (set by the folding).
    Input words carry gcd(SIMD, C) channels.
    """

    fold_note = "its SIMD is always the SIMD of the MVAU it feeds"

    def get_nodeattr_types(self) -> dict:
        return {
            **super().get_nodeattr_types(),
            "ifm_dim": ("ints", True, [1, 1]),
            "channels": ("i", True, 1),
            "kernel": ("i", True, 3),
            "stride": ("i", False, 1),
            "pad": ("i", False, 0),
            "pad_value": ("i", False, 0),
            "elem_bits": ("i", False, 1),
            "SIMD": ("i", False, 1),
        }

    def folding(self) -> dict[str, int]:
        return {"SIMD": self.get_nodeattr("SIMD")}

    def in_simd(self) -> int:
        return math.gcd(self.get_nodeattr("SIMD"), self.get_nodeattr("channels"))

    def golden(self, x: np.ndarray) -> np.ndarray:
        k, s, p = self.get_nodeattr("kernel"), self.get_nodeattr("stride"), self.get_nodeattr("pad")
        n, h, w, c = x.shape
        xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=self.get_nodeattr("pad_value"))
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        taps = [xp[:, ky : ky + s * (oh - 1) + 1 : s, kx : kx + s * (ow - 1) + 1 : s, :]
                for ky in range(k) for kx in range(k)]
        return np.stack(taps, axis=3).reshape(n, oh, ow, k * k * c)

    def cycles(self) -> int:
        h, w = self.get_nodeattr("ifm_dim")
        c, simd, k = self.get_nodeattr("channels"), self.get_nodeattr("SIMD"), self.get_nodeattr("kernel")
        read = h * w * c // self.in_simd()
        write = self.pixels() * k * k * c // simd
        return max(read, write)

    def latency(self) -> int:
        # the first window needs (k - 1 - pad) input rows plus k columns
        h, w = self.get_nodeattr("ifm_dim")
        k, p, c = self.get_nodeattr("kernel"), self.get_nodeattr("pad"), self.get_nodeattr("channels")
        return (max(0, k - 1 - p) * w + k) * c // self.in_simd() + 2

    def resources(self) -> dict[str, int]:
        h, w = self.get_nodeattr("ifm_dim")
        c, simd, k = self.get_nodeattr("channels"), self.get_nodeattr("SIMD"), self.get_nodeattr("kernel")
        bits = self.get_nodeattr("elem_bits")
        wp = w + 2 * self.get_nodeattr("pad")
        mem = memory_cost(self.in_simd() * bits, k * wp * c // self.in_simd())
        return {"lut": 60 + 2 * simd * bits + mem["lut"], "ff": 60 + 2 * simd * bits, "bram18": mem["bram18"],
                "dsp": 0}
