"""Learnable activations on the fixed-point stream: ReActNet's RPReLU and FTBNN's FPReLU."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp, HLSArray, HLSInstance, MemoryFile, RTLInstance, param_codes
from bnnforge.generator.hwops.memory import rom_lut
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.fixed_point import np_round_shift


def rprelu(x: np.ndarray, b1: np.ndarray, a: np.ndarray, b2: np.ndarray, slope_frac: int) -> np.ndarray:
    """t = x - b1; y = (t if t >= 0 else round(t * a)) + b2, all codes, channels last; unsaturated."""
    t = x - b1
    return np.where(t >= 0, t, np_round_shift(t * a, slope_frac)) + b2


def fprelu(x: np.ndarray, a_pos: np.ndarray, a_neg: np.ndarray, slope_frac: int) -> np.ndarray:
    """y = round(x * (a_pos if x >= 0 else a_neg)), codes, channels last; unsaturated."""
    return np_round_shift(x * np.where(x >= 0, a_pos, a_neg), slope_frac)


class _SlopeUnit(ElementwiseOp):
    """What RPReLU and FPReLU share: hw/rtl/bnf_prelu.v (mode RP = 1 or 0) and
    hw/hls/bnf_prelu.h. Two pipeline stages: the slope product, then rounding, select, bias
    and saturation."""

    # parameter tensors after x, each [C]: (name, width kind) in lane order, LSB first
    fields: tuple[tuple[str, str], ...] = ()

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "slope_frac": ("i", False, 6), "slope_bits": ("i", False, 8)}

    def latency(self) -> int:
        return 2

    def bias_bits(self) -> int:
        """Width of b1 and b2: codes on the stream's grid, as wide as its input or output."""
        return max(self.get_nodeattr("in_bits"), self.out_bits())

    def _width(self, kind: str) -> int:
        return self.get_nodeattr("slope_bits") if kind == "slope" else self.bias_bits()

    def lane_bits(self) -> int:
        return sum(self._width(k) for _, k in self.fields)

    def _mul_width(self) -> int:
        """Width of the slope multiplier's non-slope operand (t = x - b1, or x)."""
        return self.get_nodeattr("in_bits")

    def lane_cost(self) -> dict[str, float]:
        # One multiplier per lane, a DSP: a binary network leaves its DSPs idle, and Yosys
        # made 230-260 LUTs of the same 17 x 8 product as shift-and-add. In LUTs about one a
        # bit of the product's rounding, of the output's select / bias add and saturation, and
        # of the operand (RPReLU's x - b1; FPReLU's slope select); the parameter table is
        # ElementwiseOp's (rom_lut). Yosys synth_xilinx -flatten, 16-bit codes, 8-bit slopes,
        # LUT a lane (this model): RPReLU CF 1 58 (58), CF 4 68 (68), CF 8 90-96 (94), CF 32
        # 99 (98); FPReLU CF 48 65 (64). Registers: the output word and what rides along to
        # the second stage (t for RPReLU), plus b2 and the product outside the DSP once the
        # parameters vary (RPReLU 33 / 40 / 67 / 71 a lane at CF 1 / 4 / 8 / 32).
        cf = self.channels() // self.get_nodeattr("PE")
        pw, ow = self._mul_width() + self.get_nodeattr("slope_bits"), self.out_bits()
        varying = 0 if cf == 1 else 0.25 if cf <= 4 else 1
        return {"dsp": 1, "lut": pw + ow, "ff": ow + varying * pw}

    def param_bits(self) -> int:
        return self.lane_bits()

    # ---- RTL and HLS emitters ----------------------------------------------------------
    def _codes(self, params: tuple) -> tuple[np.ndarray, ...]:
        """The per-channel parameter tensors (initializers in input order), flat codes."""
        return tuple(p.reshape(-1) for p in param_codes(params, len(self.fields), self.layer_name()))

    def _param_words(self, *params: np.ndarray) -> list[int]:
        """C/PE words of PE lanes, each the fields in `fields` order, LSB first."""
        c, pe, lb = self.channels(), self.get_nodeattr("PE"), self.lane_bits()
        name = self.layer_name()
        lanes = [0] * c
        pos = 0
        for (field, kind), p in zip(self.fields, params):
            w = self._width(kind)
            lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
            if p.shape != (c,):
                raise BnnforgeError(f"{name}: {field} has shape {list(p.shape)}, expected [{c}]")
            if p.min() < lo or p.max() > hi:
                ch = int(np.argmax((p < lo) | (p > hi)))
                attr = "slope_bits" if kind == "slope" else "in_bits / out_dtype"
                raise BnnforgeError(f"{name}: {field} = {int(p[ch])} of channel {ch} does not fit signed {w} bits "
                                    f"({lo}..{hi}; set by {attr})")
            for ch in range(c):
                lanes[ch] |= (int(p[ch]) & ((1 << w) - 1)) << pos
            pos += w
        return [sum(lanes[f * pe + q] << (q * lb) for q in range(pe)) for f in range(c // pe)]

    def _parameters(self) -> dict[str, int]:
        return {"C": self.channels(), "PE": self.get_nodeattr("PE"), "RP": int(isinstance(self, RPReLU)),
                "IN_W": self.get_nodeattr("in_bits"), "B_W": self.bias_bits(), "A_W": self.get_nodeattr("slope_bits"),
                "SF": self.get_nodeattr("slope_frac"), "OUT_W": self.out_bits()}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        words = MemoryFile(tuple(self._param_words(*self._codes(params))), self.get_nodeattr("PE") * self.lane_bits())
        return RTLInstance("bnf_prelu", ("bnf_round_shift.v", "bnf_prelu.v"), {**self._parameters(),
                                                                               "PARAM_FILE": words})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        words = self._param_words(*self._codes(params))
        p = self._parameters()
        config = {k: p[k] for k in ("C", "PE", "IN_W", "B_W", "A_W", "SF", "OUT_W")}
        config.update({"PIXELS": self.pixels(), **self.stream_config()})
        return HLSInstance("bnf_prelu.h", "bnf_rprelu" if p["RP"] else "bnf_fprelu", config,
                           (HLSArray(p['PE'] * self.lane_bits(), "params", tuple(words)),))


class RPReLU(_SlopeUnit):
    """ReActNet's RPReLU: inputs x, then initializers b1, a (slope codes), b2."""

    fields = (("b1", "bias"), ("a", "slope"), ("b2", "bias"))

    def golden(self, x: np.ndarray, b1: np.ndarray, a: np.ndarray, b2: np.ndarray) -> np.ndarray:
        return self.saturate(rprelu(x, b1, a, b2, self.get_nodeattr("slope_frac")))

    def _mul_width(self) -> int:
        return self.bias_bits() + 1

    def lane_cost(self) -> dict[str, float]:
        out = super().lane_cost()
        tw = self._mul_width()
        cf = self.channels() // self.get_nodeattr("PE")
        # the subtraction x - b1; t rides along a stage, and b2 with it once it varies
        out["lut"] += tw
        out["ff"] += tw + (self.bias_bits() if cf > 4 else 0)
        return out


class FPReLU(_SlopeUnit):
    """FTBNN's fully-trainable PReLU: inputs x, then initializers a_pos, a_neg (slope codes)."""

    fields = (("a_pos", "slope"), ("a_neg", "slope"))

    def golden(self, x: np.ndarray, a_pos: np.ndarray, a_neg: np.ndarray) -> np.ndarray:
        return self.saturate(fprelu(x, a_pos, a_neg, self.get_nodeattr("slope_frac")))

    def lane_cost(self) -> dict[str, float]:
        out = super().lane_cost()
        if self.channels() == self.get_nodeattr("PE"):
            # one channel a lane: both slopes are constants and the select and the rounding
            # fold further (Yosys, PE 48 on 48 channels: 30 LUT a lane, this model 30)
            out["lut"] *= 0.75
        else:
            out["lut"] += self.get_nodeattr("slope_bits")  # the slope select
        return out

    def param_rom_lut(self, bits: int, depth: int) -> int:
        # the slope select reads the table: up to 8 words it is the select's own LUTs.
        # Yosys: 49 LUT a lane at CF 8 (this model 48), 57 at CF 24 (64), 65 at CF 48 (64)
        return 0 if depth <= 8 else rom_lut(bits, depth)
