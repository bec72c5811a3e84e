"""Sliding-window generator (im2col on the stream) for k x k convolutions."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.base import HLSInstance, HWOp, RTLInstance, bits_for, param_codes
from bnnforge.generator.hwops.ports import Port, in_port, out_port


class SlidingWindow(HWOp):
    """Turns an [N, H, W, C] stream into one k*k*C window per output pixel, (ky, kx, c) order.

    Padding positions carry `pad_value`: 0 for 8-bit pixels (exact zero padding) and bit 0
    for binary maps, where the following BinaryMVAU corrects the padded taps. SIMD is the
    window elements per output word; it is not a free knob but always the SIMD of the MVAU
    this window feeds (set by the folding). Input words carry gcd(SIMD, C) channels, so an
    output word is SIMD / gcd(SIMD, C) input words ("lanes").

    The hardware (hw/rtl/bnf_sliding_window.v, hw/hls/bnf_sliding_window.h) keeps a circular
    line buffer of `buffer_rows()` unpadded input rows; padding is virtual. Each lane reads
    its own copy of the buffer (more than one lane only when C is small).
    """

    ram_style_buffers = True

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

    def fold_params(self) -> dict[str, list[int]]:
        return {}  # the folding ties SIMD to the MVAU's (passes.folding)

    def folding(self) -> dict[str, int]:
        return {"SIMD": self.get_nodeattr("SIMD")}

    def ports(self) -> list[Port]:
        eb = self.get_nodeattr("elem_bits")
        return [Port(in_port(0), "in", self.in_simd(), eb, eb > 1), Port(out_port(0), "out", self.get_nodeattr("SIMD"),
                                                                           eb, eb > 1)]

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

    # ---- geometry -------------------------------------------------------------------
    def out_dim(self) -> tuple[int, int]:
        h, w = self.get_nodeattr("ifm_dim")
        k, s, p = self.get_nodeattr("kernel"), self.get_nodeattr("stride"), self.get_nodeattr("pad")
        return (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1

    def lanes(self) -> int:
        """Input words per output word (each lane reads its own line-buffer copy)."""
        return self.get_nodeattr("SIMD") // self.in_simd()

    def buffer_rows(self) -> int:
        """Rows of the circular line buffer. k + s rows let the writer bring in the next
        output row's s new rows while the reader still uses this row's k; at the end of a
        frame the reader still holds rows from (OH-1)*s on while the writer brings in the
        next frame's first window, which needs H + k - (OH-1)*s rows. With fewer, one side
        waits and the frame takes longer than max(input words, output words)."""
        h, _ = self.get_nodeattr("ifm_dim")
        k, s = self.get_nodeattr("kernel"), self.get_nodeattr("stride")
        oh, _ = self.out_dim()
        return max(k + s, h + k - (oh - 1) * s)

    def in_words_per_frame(self) -> int:
        h, w = self.get_nodeattr("ifm_dim")
        return h * w * self.get_nodeattr("channels") // self.in_simd()

    def out_words_per_frame(self) -> int:
        k = self.get_nodeattr("kernel")
        return self.pixels() * k * k * self.get_nodeattr("channels") // self.get_nodeattr("SIMD")

    # ---- cost model (equal to the RTL: tests/test_rtl_sliding_window.py) -------------
    def cycles(self) -> int:
        # the buffer decouples the two sides: the slower one sets the pace, never waiting
        return max(self.in_words_per_frame(), self.out_words_per_frame())

    def latency(self) -> int:
        # the first window needs input pixel (k-1-pad, k-1-pad) (clipped to the image);
        # its last word counts one cycle later, and the read fills the output register
        h, w = self.get_nodeattr("ifm_dim")
        k, p = self.get_nodeattr("kernel"), self.get_nodeattr("pad")
        last = min(k - 1 - p, h - 1) * w + min(k - 1 - p, w - 1)
        return (last + 1) * (self.get_nodeattr("channels") // self.in_simd()) + 1

    def resources(self) -> dict[str, int]:
        h, w = self.get_nodeattr("ifm_dim")
        bits = self.get_nodeattr("elem_bits")
        cg = self.get_nodeattr("channels") // self.in_simd()
        depth = self.buffer_rows() * w * cg
        lanes = self.lanes()
        mem = self.memory(self.in_simd() * bits, depth)
        aw = bits_for(0, depth - 1)
        dw = bits_for(-h * w, (h + self.buffer_rows()) * w)
        # Fitted to Yosys synth_xilinx (xc7) of the RTL: pixel counts and bounds (dw bits),
        # pointers and address bases (aw bits); per lane its tap counters and address adder.
        # A block-RAM copy absorbs the lane's output register (its reset gives the pad value);
        # a LUTRAM copy needs it in flip-flops.
        out_ff = 0 if mem["bram18"] else self.in_simd() * bits
        lut = 4 * dw + 8 * aw + 10 + lanes * (2 * aw + 12 + mem["lut"])
        ff = 4 * dw + 4 * aw + 12 + lanes * (aw + 5 + out_ff)
        return {"lut": lut, "ff": ff, "bram18": lanes * mem["bram18"], "uram": lanes * mem["uram"], "dsp": 0}

    # ---- RTL and HLS emitters (bnf_sliding_window.v / .h) ------------------------------
    def _parameters(self) -> dict[str, int]:
        h, w = self.get_nodeattr("ifm_dim")
        return {"H": h, "W": w, "C": self.get_nodeattr("channels"), "K": self.get_nodeattr("kernel"),
                "STRIDE": self.get_nodeattr("stride"), "PAD": self.get_nodeattr("pad"),
                "PAD_VALUE": self.get_nodeattr("pad_value"), "EB": self.get_nodeattr("elem_bits"),
                "SIMD": self.get_nodeattr("SIMD"), "G": self.in_simd(), "BUF": self.buffer_rows()}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        return RTLInstance("bnf_sliding_window", ("bnf_ram.v", "bnf_sliding_window.v"),
                           {**self._parameters(), **self.ram_style_parameter()})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        p = self._parameters()
        p["S"], p["P"] = p.pop("STRIDE"), p.pop("PAD")  # the template's names
        order = ("H", "W", "C", "K", "S", "P", "PAD_VALUE", "EB", "SIMD", "G", "BUF")
        return HLSInstance("bnf_sliding_window.h", "bnf_sliding_window", {**{k: p[k] for k in order},
                                                                          **self.stream_config()})
