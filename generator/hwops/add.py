"""Additions and requantization on the fixed-point stream."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp, HLSInstance, RTLInstance, param_codes
from bnnforge.generator.hwops.memory import address_bits, fifo_cost
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.fixed_point import np_round_shift


def aligned_sum(a: np.ndarray, fa: int, b: np.ndarray, fb: int, out_frac: int) -> np.ndarray:
    """round(a * 2**-fa + b * 2**-fb) onto 2**-out_frac, half to even, unsaturated."""
    f = max(fa, fb, out_frac)
    return np_round_shift((a << (f - fa)) + (b << (f - fb)), f - out_frac)


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

    control_ff = 1  # output valid

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "a_frac": ("i", False, 8), "b_frac": ("i", False, 8)}

    def stream_inputs(self) -> int:
        return 2

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

    def frac_parameters(self) -> dict[str, int]:
        return {"PE": self.get_nodeattr("PE"), "IN_W": self.get_nodeattr("in_bits"), "OUT_W": self.out_bits(),
                "A_FRAC": self.get_nodeattr("a_frac"), "B_FRAC": self.get_nodeattr("b_frac"),
                "OUT_FRAC": self.get_nodeattr("out_frac")}

    def hls_config(self) -> dict[str, int]:
        p = self.frac_parameters()
        (a, b), (out,) = self.in_ports(), self.out_ports()
        return {"C": self.channels(), "PE": p["PE"], "PIXELS": self.pixels(), "IN_W": p["IN_W"], "OUT_W": p["OUT_W"],
                "A_FRAC": p["A_FRAC"], "B_FRAC": p["B_FRAC"], "OUT_FRAC": p["OUT_FRAC"], "A_TW": a.tdata_bits,
                "B_TW": b.tdata_bits, "OUT_TW": out.tdata_bits}


class ResidualAdd(_AddOp):
    """Residual add of two streams with saturation (ReActNet shortcut). The skip input b
    (in1_V) passes a small FIFO of `skip_depth` words inside the unit (bnf_fifo, at least 2
    for full rate); the words that pile up while the branch it bypasses fills its pipeline
    wait in the stream FIFO in front of in1_V, which passes.fifos.SizeFIFOs sizes."""

    ram_style_buffers = True

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
        out = super().resources()
        skip = fifo_cost(self.get_nodeattr("PE") * self.get_nodeattr("in_bits"), self.get_nodeattr("skip_depth"),
                         self.get_nodeattr("ram_style"))
        for k in ("lut", "ff", "bram18", "uram"):
            out[k] += skip[k]
        return out

    def memory_bits(self) -> dict[str, int]:
        # the skip FIFO inside the unit only decouples the handshakes: nothing forces its words
        out = super().memory_bits()
        return {**out, "bits": out["bits"] + self.get_nodeattr("PE") * self.get_nodeattr("in_bits")
                * self.get_nodeattr("skip_depth")}

    # ---- RTL and HLS emitters (bnf_residual_add.v / bnf_add.h) -------------------------
    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        depth = self.get_nodeattr("skip_depth")
        if depth < 2:
            raise BnnforgeError(f"{self.layer_name()}: skip_depth {depth} < 2 would halve the stream rate")
        return RTLInstance("bnf_residual_add", ("bnf_ram.v", "bnf_fifo.v", "bnf_round_shift.v", "bnf_residual_add.v"),
                           {**self.frac_parameters(), "SKIP_DEPTH": depth, **self.ram_style_parameter()})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        # the skip FIFO is the depth of the hls::stream feeding in1_V in a dataflow region
        param_codes(params, 0, self.layer_name())
        return HLSInstance("bnf_add.h", "bnf_residual_add", self.hls_config())


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
        fw, pw = address_bits(cf), address_bits(self.pixels())
        out["lut"] += self.memory(pe * ib, 2 * cf, "async")["lut"] + 2 * fw + pw + 6
        out["ff"] += 2 * fw + pw + 4
        return out

    # ---- RTL and HLS emitters (bnf_embedding_add.v / bnf_add.h) ------------------------
    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        return RTLInstance("bnf_embedding_add", ("bnf_round_shift.v", "bnf_embedding_add.v"),
                           {"C": self.channels(), "PIXELS": self.pixels(), **self.frac_parameters()})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        return HLSInstance("bnf_add.h", "bnf_embedding_add", self.hls_config())


class Requantize(ElementwiseOp):
    """Round codes from 2**-in_frac onto (out bits, out_frac), half to even, saturating
    (the 8-bit quantizers in front of the context maps and the classifier)."""

    control_ff = 1  # output valid
    # the output valid and the ready it gives: Yosys synth_xilinx 16 -> 8 bits, shifts 2 to 5,
    # 22-25 LUT at PE = 1 and 77 at PE = 4, 5 above round_lane_lut's lanes in both
    control_lut = 5

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "in_frac": ("i", False, 8)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return self.saturate(np_round_shift(x, self.get_nodeattr("in_frac") - self.get_nodeattr("out_frac")))

    def latency(self) -> int:
        return 1  # one register slice

    def lane_cost(self) -> dict[str, float]:
        shift = self.get_nodeattr("in_frac") - self.get_nodeattr("out_frac")
        ib, ob = self.get_nodeattr("in_bits"), self.out_bits()
        # a left shift only widens the value (wires) before the saturation
        return {"lut": round_lane_lut(ib - min(shift, 0), max(shift, 0), ob), "ff": ob}

    # ---- RTL and HLS emitters (bnf_requantize.v / .h) -----------------------------------
    def _parameters(self) -> dict[str, int]:
        return {"PE": self.get_nodeattr("PE"), "IN_W": self.get_nodeattr("in_bits"), "OUT_W": self.out_bits(),
                "IN_FRAC": self.get_nodeattr("in_frac"), "OUT_FRAC": self.get_nodeattr("out_frac")}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        return RTLInstance("bnf_requantize", ("bnf_round_shift.v", "bnf_requantize.v"), self._parameters())

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        p = self._parameters()
        config = {"C": self.channels(), "PE": p["PE"], "PIXELS": self.pixels(), "IN_W": p["IN_W"], "OUT_W": p["OUT_W"],
                  "IN_FRAC": p["IN_FRAC"], "OUT_FRAC": p["OUT_FRAC"], **self.stream_config()}
        return HLSInstance("bnf_requantize.h", "bnf_requantize", config)
