"""BCDNet's long-short range circular shift on the binary stream."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import HWOp, divisors, memory_cost, pack_words


def long_short_shift_nhwc(x: np.ndarray, dh: int, dw: int) -> np.ndarray:
    """Four channel groups rolled by +dh, -dh along H and +dw, -dw along W (torch.roll
    semantics, out[i] = in[i - d]); channels last."""
    g = x.shape[-1] // 4
    parts = [np.roll(x[..., 0 * g : 1 * g], dh, axis=1), np.roll(x[..., 1 * g : 2 * g], -dh, axis=1),
             np.roll(x[..., 2 * g : 3 * g], dw, axis=2), np.roll(x[..., 3 * g : 4 * g], -dw, axis=2)]
    return np.concatenate(parts, axis=-1)


class LongShortShift(HWOp):
    """Circular shift unit: bits [N, H, W, C] in raster order, C divisible by 4.

    A roll along H by d emits row i from input row (i - d) mod H: row 0 of the +d group
    needs input row H - d, so about a whole frame must be in before the output can start
    and stay in while it streams out; one frame of bits (H*W*C) is the least any full-rate
    implementation buffers. The RTL (hw/rtl/bnf_long_short_shift.v) keeps two frame banks,
    2*H*W*C bits, so the next frame streams in while this one streams out: no stall at one
    word of PE channels per cycle, latency one frame. PE divides C/4 (a word stays in one
    channel group).
    """

    rtl_top = "bnf_long_short_shift"
    rtl_files = ("bnf_long_short_shift.v",)

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "dh": ("i", True, 1), "dw": ("i", True, 1), "PE": ("i", False, 1)}

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.channels() // 4)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return long_short_shift_nhwc(x, self.get_nodeattr("dh"), self.get_nodeattr("dw"))

    def buffer_bits(self) -> int:
        _, h, w, c = self.out_shape()
        return 2 * h * w * c

    def cycles(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        return self.cycles()  # the frame is in before its first word leaves

    def rtl_parameters(self) -> dict[str, int]:
        _, h, w, c = self.out_shape()
        return {"H": h, "W": w, "C": c, "PE": self.get_nodeattr("PE"), "DH": self.get_nodeattr("dh"),
                "DW": self.get_nodeattr("dw")}

    def in_words(self, x: np.ndarray) -> list[int]:
        return pack_words(x.reshape(-1, self.get_nodeattr("PE")), 1)

    out_words = in_words

    def hls_stream_widths(self) -> tuple[int, int]:
        from bnnforge.generator.hls import tw

        return tw(self.get_nodeattr("PE")), tw(self.get_nodeattr("PE"))

    def hls_instance(self, weights: None = None) -> tuple[str, str, list, list]:
        p = self.rtl_parameters()
        args = [p["H"], p["W"], p["C"], p["PE"], p["DH"], p["DW"], self.hls_stream_widths()[0]]
        return "bnf_long_short_shift.h", "bnf_long_short_shift", args, []

    def resources(self) -> dict[str, int]:
        pe = self.get_nodeattr("PE")
        mem = memory_cost(pe, self.buffer_bits() // pe)
        return {"lut": 80 + 4 * pe + mem["lut"], "ff": 80 + 2 * pe, "bram18": mem["bram18"], "dsp": 0}
