"""Binarization of the fixed-point stream: static (RSign) and dynamic (BCDNet-B) thresholds."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp, hex_lines, memory_cost, pack_words


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

    Inputs: x [N, H, W, C] codes on 2**-x_frac, v [N, C] per-frame thresholds from the
    context maps on 2**-v_frac, initializer t [C] static thresholds on the common grid
    2**-max(x_frac, v_frac). v depends on the global average of this very frame, so the
    unit holds the whole frame (double-buffered to keep streaming): its latency is a frame.
    """

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "x_frac": ("i", False, 8), "v_frac": ("i", False, 8),
                "in_bits": ("i", False, 16)}

    def golden(self, x: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
        fx, fv = self.get_nodeattr("x_frac"), self.get_nodeattr("v_frac")
        f = max(fx, fv)
        v = v.reshape(v.shape[0], *([1] * (x.ndim - 2)), v.shape[-1])
        return (((x << (f - fx)) - (v << (f - fv))) >= t).astype(np.int64)

    def latency(self) -> int:
        return self.cycles() + 4

    def lane_cost(self) -> dict[str, float]:
        return {"lut": self.get_nodeattr("in_bits") + 2, "ff": self.get_nodeattr("in_bits") + 1}

    def param_bits(self) -> int:
        return 2 * self.get_nodeattr("in_bits")

    def resources(self) -> dict[str, int]:
        out = super().resources()
        pe = self.get_nodeattr("PE")
        frame = memory_cost(pe * self.get_nodeattr("in_bits"), 2 * self.pixels() * self.channels() // pe)
        out["lut"] += frame["lut"]
        out["bram18"] += frame["bram18"]
        return out
