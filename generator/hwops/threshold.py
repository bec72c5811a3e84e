"""Binarization of the fixed-point stream: static (RSign) and dynamic (BCDNet-B) thresholds."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp, bits_for, hex_lines, memory_cost, pack_words


class Thresholding(ElementwiseOp):
    """bit = x >= t per channel (RSign after FINN streamlining absorbed its bias).

    Inputs: x codes, initializer t [C] integer thresholds on x's grid.
    """

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "in_bits": ("i", False, 16)}

    def golden(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (x >= t).astype(np.int64)

    def lane_cost(self) -> dict[str, float]:
        return {"lut": self.get_nodeattr("in_bits") // 2 + 1, "ff": 1}

    def param_bits(self) -> int:
        return self.get_nodeattr("in_bits")

    def latency(self) -> int:
        return 1  # one register slice

    # ---- RTL and HLS emitters (bnf_thresholding.v / .h) ------------------------------
    rtl_top = "bnf_thresholding"
    rtl_files = ("bnf_thresholding.v",)

    def _threshold_words(self, t: np.ndarray) -> list[int]:
        ib, pe = self.get_nodeattr("in_bits"), self.get_nodeattr("PE")
        # a threshold beyond the input range behaves like the range's end + 1 or its start
        t = np.clip(np.asarray(t, np.int64), -(1 << (ib - 1)), 1 << (ib - 1))
        return pack_words(t.reshape(-1, pe), ib + 1)

    def rtl_memories(self, t: np.ndarray) -> dict[str, str]:
        return {"THRESH_FILE": hex_lines(self._threshold_words(t), self.get_nodeattr("PE") * (self.get_nodeattr("in_bits") + 1))}

    def rtl_parameters(self) -> dict[str, int]:
        return {"C": self.channels(), "PE": self.get_nodeattr("PE"), "IN_W": self.get_nodeattr("in_bits")}

    def in_words(self, x: np.ndarray) -> list[int]:
        return pack_words(x.reshape(-1, self.get_nodeattr("PE")), self.get_nodeattr("in_bits"))

    def out_words(self, y: np.ndarray) -> list[int]:
        return pack_words(y.reshape(-1, self.get_nodeattr("PE")), 1)

    def hls_stream_widths(self) -> tuple[int, int]:
        from bnnforge.generator.hls import tw

        return tw(self.get_nodeattr("PE") * self.get_nodeattr("in_bits")), tw(self.get_nodeattr("PE"))

    def hls_instance(self, t: np.ndarray) -> tuple[str, str, list, list]:
        pe, ib = self.get_nodeattr("PE"), self.get_nodeattr("in_bits")
        args = [self.channels(), pe, ib, self.pixels(), *self.hls_stream_widths()]
        return "bnf_thresholding.h", "bnf_thresholding", args, [(f"ap_uint<{pe * (ib + 1)}>", "thresholds",
                                                                self._threshold_words(t))]


class DynamicSign(ElementwiseOp):
    """BCDNet-B's input-dependent binarization: bit = x - v >= t per channel.

    Inputs: x [N, H, W, C] codes on 2**-x_frac (`in_bits` wide) on in0_V, v [N, C] per-frame
    thresholds from the context maps on 2**-v_frac (`v_bits` wide, 0: `in_bits`) on in1_V,
    C/PE words per frame, initializer t [C] static thresholds on the common grid
    2**-f, f = max(x_frac, v_frac): bit = (x << (f - x_frac)) - (v << (f - v_frac)) >= t.

    v depends on the global average of this very frame, computed by other ops from a copy of
    the same stream, so the unit takes in the whole frame of x without waiting for v (else the
    graph deadlocks) into a frame buffer of two frames: frame n+1 streams in while frame n,
    once its v has arrived, streams out. Latency: the whole frame, then a buffer read and
    the output register, H*W*C/PE + 2 cycles from the first x word to the first output word
    when v is there in time (later, the unit waits for it); frames stream at one word per
    cycle, H*W*C/PE cycles each.
    """

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "x_frac": ("i", False, 8), "v_frac": ("i", False, 8),
                "in_bits": ("i", False, 16), "v_bits": ("i", False, 0)}

    def golden(self, x: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
        fx, fv = self.get_nodeattr("x_frac"), self.get_nodeattr("v_frac")
        f = max(fx, fv)
        v = v.reshape(v.shape[0], *([1] * (x.ndim - 2)), v.shape[-1])
        return (((x << (f - fx)) - (v << (f - fv))) >= t).astype(np.int64)

    def v_bits(self) -> int:
        return self.get_nodeattr("v_bits") or self.get_nodeattr("in_bits")

    def shifts(self) -> tuple[int, int]:
        """Left shifts of x and v onto the common grid."""
        fx, fv = self.get_nodeattr("x_frac"), self.get_nodeattr("v_frac")
        return max(fx, fv) - fx, max(fx, fv) - fv

    def diff_bits(self) -> int:
        """Width holding every x' - v' (the RTL's DW); thresholds take one bit more."""
        sx, sv = self.shifts()
        return max(self.get_nodeattr("in_bits") + sx, self.v_bits() + sv) + 1

    def frame_words(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        return self.frame_words() + 2  # the whole frame, the buffer read, the output register

    def resources(self) -> dict[str, int]:
        pe, cf = self.get_nodeattr("PE"), self.channels() // self.get_nodeattr("PE")
        xb, vb, dw = self.get_nodeattr("in_bits"), self.v_bits(), self.diff_bits()
        # per lane: subtractor and comparator; x and v read registers and the output bit (the
        # threshold read folds into its ROM's LUTs). Yosys xc7, [1,8,8,64] PE8 16-bit: 454 LUT
        # (88 of them LUTRAM), 284 FF, 8 BRAM18; this model: 510, 315, 8.
        out = {"lut": pe * (dw + (dw + 2) // 2), "ff": pe * (xb + vb + 1), "bram18": 0, "dsp": 0}
        addr = bits_for(0, 2 * self.frame_words())
        out["lut"] += 2 * addr + 8  # ring pointers, fill count, frame and v flags
        out["ff"] += 3 * addr + 2 * bits_for(0, 2 * cf) + 8
        for width, depth in ((pe * xb, 2 * self.frame_words()), (pe * vb, 2 * cf), (pe * (dw + 1), cf)):
            mem = memory_cost(width, depth)  # frame buffer, v double buffer, static thresholds
            out["lut"] += mem["lut"]
            out["bram18"] += mem["bram18"]
        return out

    # ---- RTL and HLS emitters (bnf_dynamic_sign.v / .h) ------------------------------
    rtl_top = "bnf_dynamic_sign"
    rtl_files = ("bnf_dynamic_sign.v",)

    def _threshold_words(self, t: np.ndarray) -> list[int]:
        dw, pe = self.diff_bits(), self.get_nodeattr("PE")
        # x' - v' lies in [-2**(dw-1), 2**(dw-1)): a threshold beyond acts like these ends
        t = np.clip(np.asarray(t, np.int64), -(1 << (dw - 1)), 1 << (dw - 1))
        return pack_words(t.reshape(-1, pe), dw + 1)

    def rtl_memories(self, t: np.ndarray) -> dict[str, str]:
        return {"THRESH_FILE": hex_lines(self._threshold_words(t), self.get_nodeattr("PE") * (self.diff_bits() + 1))}

    def rtl_parameters(self) -> dict[str, int]:
        sx, sv = self.shifts()
        return {"C": self.channels(), "PE": self.get_nodeattr("PE"), "P": self.pixels(),
                "X_W": self.get_nodeattr("in_bits"), "V_W": self.v_bits(), "SX": sx, "SV": sv}

    def in_words(self, x: np.ndarray, v: np.ndarray) -> dict[str, list[int]]:
        pe = self.get_nodeattr("PE")
        return {"in0_V": pack_words(x.reshape(-1, pe), self.get_nodeattr("in_bits")),
                "in1_V": pack_words(v.reshape(-1, pe), self.v_bits())}

    def out_words(self, y: np.ndarray) -> list[int]:
        return pack_words(y.reshape(-1, self.get_nodeattr("PE")), 1)

    def hls_stream_widths(self) -> tuple[list[int], int]:
        from bnnforge.generator.hls import tw

        pe = self.get_nodeattr("PE")
        return [tw(pe * self.get_nodeattr("in_bits")), tw(pe * self.v_bits())], tw(pe)

    def hls_instance(self, t: np.ndarray) -> tuple[str, str, list, list]:
        p = self.rtl_parameters()
        (x_tw, v_tw), out_tw = self.hls_stream_widths()
        args = [p["C"], p["PE"], p["P"], p["X_W"], p["V_W"], p["SX"], p["SV"], x_tw, v_tw, out_tw]
        return "bnf_dynamic_sign.h", "bnf_dynamic_sign", args, [
            (f"ap_uint<{p['PE'] * (self.diff_bits() + 1)}>", "thresholds", self._threshold_words(t))]
