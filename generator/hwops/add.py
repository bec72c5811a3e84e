"""Additions and requantization on the fixed-point stream."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp, bits_for, memory_cost, pack_words
from bnnforge.quant.fixed_point import np_round_shift


def aligned_sum(a: np.ndarray, fa: int, b: np.ndarray, fb: int, out_frac: int) -> np.ndarray:
    """round(a * 2**-fa + b * 2**-fb) onto 2**-out_frac, half to even, unsaturated."""
    f = max(fa, fb, out_frac)
    return np_round_shift((a << (f - fa)) + (b << (f - fb)), f - out_frac)


def lutram_lut(width: int, depth: int) -> int:
    """LUTs of a LUTRAM with one write and one read port, as synth_xilinx maps it: 32 deep
    6 bits per RAM32M (4 LUTs), 64 deep 3 bits per RAM64M, deeper ~1 LUT per bit per 64
    words. Memories read asynchronously (read-modify-write buffers, vector banks) are always
    LUTRAM, never block RAM (block RAM reads are synchronous)."""
    if not width or not depth:
        return 0
    if depth <= 32:
        return 4 * math.ceil(width / 6)
    if depth <= 64:
        return 4 * math.ceil(width / 3)
    return width * math.ceil(depth / 64)


def round_lane_lut(in_w: int, shift: int, out_w: int) -> int:
    """LUTs of one bnf_round_shift with a constant shift once synthesis propagates it: the
    remainder compare and the quotient's increment (when shift > 0) and, when the quotient
    is wider than the output, the saturation compares and mux. Fitted to Yosys
    synth_xilinx -flatten (the shift port constant-folds only across a flattened hierarchy,
    as Vivado's default synthesis does) within a few LUTs per lane."""
    q = in_w - shift
    rounding = q // 2 + (shift + 1) // 2 if shift else 0
    saturation = out_w + (q - out_w) // 2 if q > out_w else 0
    return rounding + saturation


class _AddOp(ElementwiseOp):
    """y = saturate(aligned_sum(a, a_frac, b, b_frac, out_frac)); both inputs in_bits codes.

    Shared RTL/HLS plumbing: stream a on in0_V, b on in1_V, PE codes per word."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "a_frac": ("i", False, 8), "b_frac": ("i", False, 8),
                "in_bits": ("i", False, 16)}

    def shifts(self) -> tuple[int, int, int]:
        """(a's left shift, b's left shift, the sum's rounding right shift) onto the common grid."""
        fa, fb, fo = (self.get_nodeattr(k) for k in ("a_frac", "b_frac", "out_frac"))
        f = max(fa, fb, fo)
        return f - fa, f - fb, f - fo

    def lane_cost(self) -> dict[str, float]:
        sa, sb, sh = self.shifts()
        ib, ob = self.get_nodeattr("in_bits"), self.out_bits()
        sum_w = ib + max(sa, sb) + 1
        # the aligned adder (the low max-shift bits of the sum are copies of one operand),
        # the rounding, the output register
        return {"lut": ib + 1 + round_lane_lut(sum_w, sh, ob), "ff": ob}

    def resources(self) -> dict[str, int]:
        pe = self.get_nodeattr("PE")
        out = {k: v * pe for k, v in self.lane_cost().items()}
        out["ff"] += 1  # output valid
        return out

    def frac_parameters(self) -> dict[str, int]:
        return {"PE": self.get_nodeattr("PE"), "IN_W": self.get_nodeattr("in_bits"), "OUT_W": self.out_bits(),
                "A_FRAC": self.get_nodeattr("a_frac"), "B_FRAC": self.get_nodeattr("b_frac"),
                "OUT_FRAC": self.get_nodeattr("out_frac")}

    def in_words(self, a: np.ndarray, b: np.ndarray) -> dict[str, list[int]]:
        pe, ib = self.get_nodeattr("PE"), self.get_nodeattr("in_bits")
        return {"in0_V": pack_words(np.asarray(a).reshape(-1, pe), ib),
                "in1_V": pack_words(np.asarray(b).reshape(-1, pe), ib)}

    def hls_stream_widths(self) -> tuple[list[int], int]:
        from bnnforge.generator.hls import tw

        pe = self.get_nodeattr("PE")
        return [tw(pe * self.get_nodeattr("in_bits"))] * 2, tw(pe * self.out_bits())

    def hls_args(self) -> list[int]:
        p = self.frac_parameters()
        ins, out = self.hls_stream_widths()
        return [self.channels(), p["PE"], self.pixels(), p["IN_W"], p["OUT_W"], p["A_FRAC"], p["B_FRAC"],
                p["OUT_FRAC"], *ins, out]


class ResidualAdd(_AddOp):
    """Residual add of two streams with saturation (ReActNet shortcut). The skip input b
    (in1_V) waits in a FIFO of `skip_depth` words inside the unit, sized by the graph to the
    latency of the branch it bypasses, so b's producer never stalls on it."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "skip_depth": ("i", False, 2)}

    def golden(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.saturate(aligned_sum(a, self.get_nodeattr("a_frac"), b, self.get_nodeattr("b_frac"),
                                         self.get_nodeattr("out_frac")))

    def latency(self) -> int:
        # both streams starting together: b crosses the skip FIFO (2 cycles), then a and b
        # enter the output register together (1 cycle). When b arrives early (the graph's
        # case) the output leaves 1 cycle after a; 3 is the bound the stitcher adds.
        return 3

    def resources(self) -> dict[str, int]:
        out = {"bram18": 0, **super().resources()}
        # the skip FIFO (bnf_fifo): DEPTH words read synchronously (block RAM when large, as
        # memory_cost decides, else LUTRAM), an output register, pointers and a fill counter
        depth, width = self.get_nodeattr("skip_depth"), self.get_nodeattr("PE") * self.get_nodeattr("in_bits")
        mem = memory_cost(width, depth)
        aw = bits_for(0, max(1, depth - 1))
        cw = bits_for(0, depth)
        out["lut"] += (lutram_lut(width, depth) if mem["lut"] else 0) + 2 * aw + 2 * cw + 6
        out["bram18"] += mem["bram18"]
        out["ff"] += width + 2 * aw + cw + 1
        return out

    # ---- RTL and HLS emitters (bnf_residual_add.v / bnf_add.h) -------------------------
    rtl_top = "bnf_residual_add"
    rtl_files = ("bnf_fifo.v", "bnf_round_shift.v", "bnf_residual_add.v")

    def rtl_parameters(self) -> dict[str, int]:
        depth = self.get_nodeattr("skip_depth")
        if depth < 2:
            raise ValueError(f"{self.onnx_node.name}: skip_depth {depth} < 2 would halve the stream rate")
        return {**self.frac_parameters(), "SKIP_DEPTH": depth}

    def hls_instance(self, weights: None = None) -> tuple[str, str, list, list]:
        # the skip FIFO is the depth of the hls::stream feeding in1_V in a dataflow region
        return "bnf_add.h", "bnf_residual_add", self.hls_args(), []


class EmbeddingAdd(_AddOp):
    """BCDNet-B's post-conv embedding: stream a [N, H, W, C] plus per-frame vector b [N, C].

    The hardware double-buffers b (2 x C codes): frame n+1's vector loads while frame n
    streams, so the op keeps one word per cycle; a waits for its frame's complete vector."""

    def golden(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        b = b.reshape(b.shape[0], *([1] * (a.ndim - 2)), b.shape[-1])
        return self.saturate(aligned_sum(a, self.get_nodeattr("a_frac"), b, self.get_nodeattr("b_frac"),
                                         self.get_nodeattr("out_frac")))

    def latency(self) -> int:
        # both streams starting together: the C/PE vector words load first, then a's first
        # word enters the output register (1 cycle)
        return self.channels() // self.get_nodeattr("PE") + 1

    def resources(self) -> dict[str, int]:
        pe, ib = self.get_nodeattr("PE"), self.get_nodeattr("in_bits")
        cf = self.channels() // pe
        out = super().resources()
        # two vector banks read asynchronously (LUTRAM), address adders and counters
        fw, pw = bits_for(0, max(1, cf - 1)), bits_for(0, max(1, self.pixels() - 1))
        out["lut"] += lutram_lut(pe * ib, 2 * cf) + 2 * fw + pw + 6
        out["ff"] += 2 * fw + pw + 4
        return out

    # ---- RTL and HLS emitters (bnf_embedding_add.v / bnf_add.h) ------------------------
    rtl_top = "bnf_embedding_add"
    rtl_files = ("bnf_round_shift.v", "bnf_embedding_add.v")

    def rtl_parameters(self) -> dict[str, int]:
        return {"C": self.channels(), "PIXELS": self.pixels(), **self.frac_parameters()}

    def hls_instance(self, weights: None = None) -> tuple[str, str, list, list]:
        return "bnf_add.h", "bnf_embedding_add", self.hls_args(), []


class Requantize(ElementwiseOp):
    """Round codes from 2**-in_frac onto (out bits, out_frac), half to even, saturating
    (the 8-bit quantizers in front of the context maps and the classifier)."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "in_frac": ("i", False, 8), "in_bits": ("i", False, 16)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return self.saturate(np_round_shift(x, self.get_nodeattr("in_frac") - self.get_nodeattr("out_frac")))

    def latency(self) -> int:
        return 1  # one register slice

    def lane_cost(self) -> dict[str, float]:
        shift = self.get_nodeattr("in_frac") - self.get_nodeattr("out_frac")
        ib, ob = self.get_nodeattr("in_bits"), self.out_bits()
        # a left shift only widens the value (wires) before the saturation
        return {"lut": round_lane_lut(ib - min(shift, 0), max(shift, 0), ob), "ff": ob}

    def resources(self) -> dict[str, int]:
        pe = self.get_nodeattr("PE")
        out = {k: v * pe for k, v in self.lane_cost().items()}
        out["ff"] += 1  # output valid
        return out

    # ---- RTL and HLS emitters (bnf_requantize.v / .h) -----------------------------------
    rtl_top = "bnf_requantize"
    rtl_files = ("bnf_round_shift.v", "bnf_requantize.v")

    def rtl_parameters(self) -> dict[str, int]:
        return {"PE": self.get_nodeattr("PE"), "IN_W": self.get_nodeattr("in_bits"), "OUT_W": self.out_bits(),
                "IN_FRAC": self.get_nodeattr("in_frac"), "OUT_FRAC": self.get_nodeattr("out_frac")}

    def hls_instance(self, weights: None = None) -> tuple[str, str, list, list]:
        p = self.rtl_parameters()
        args = [self.channels(), p["PE"], self.pixels(), p["IN_W"], p["OUT_W"], p["IN_FRAC"], p["OUT_FRAC"],
                *self.hls_stream_widths()]
        return "bnf_requantize.h", "bnf_requantize", args, []
