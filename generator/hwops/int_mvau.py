"""The 8-bit integer MVAU: first conv, BCDNet-B's context maps, the classifier."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.mvau import _MVAU
from bnnforge.quant.fixed_point import np_round_shift


class IntMVAU(_MVAU):
    """Integer MVAU for the 8-bit layers (first conv, context maps, classifier).

    acc = sum(x * w) on the grid 2**-acc_frac. mode "acc" streams the accumulator; mode
    "requant" adds the bias (on the output grid) and rounds half-to-even onto
    (out_bits, out_frac) with saturation, as BiasRequantize defines.
    """

    def get_nodeattr_types(self) -> dict:
        return {
            **super().get_nodeattr_types(),
            "in_bits": ("i", False, 8),
            "w_bits": ("i", False, 8),
            "acc_frac": ("i", False, 0),
            "mode": ("s", False, "acc", {"acc", "requant"}),
            "out_bits": ("i", False, 32),
            # every weight is 0 or +-2**k: products are shifts, no multiplier needed
            "po2_weights": ("i", False, 0),
        }

    def golden(self, x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        # 8-bit operands over at most a few thousand terms: float64 products are exact
        acc = (x.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int64)
        if self.get_nodeattr("mode") == "acc":
            return acc
        d = self.get_nodeattr("acc_frac") - self.get_nodeattr("out_frac")
        y = np_round_shift(acc + (bias << d), d) if d >= 0 else (acc << -d) + bias
        lim = 1 << (self.get_nodeattr("out_bits") - 1)
        return np.clip(y, -lim, lim - 1)

    def resources(self) -> dict[str, int]:
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        ib, wb = self.get_nodeattr("in_bits"), self.get_nodeattr("w_bits")
        acc = ib + wb + math.ceil(math.log2(max(2, self.get_nodeattr("MW"))))
        mem = self.weight_memory(wb)
        # products wider than 4x4 bits go to DSP slices, power-of-two weights to a shifter;
        # the adder tree stays in LUTs
        po2 = self.get_nodeattr("po2_weights")
        dsp = pe * simd if ib * wb > 16 and not po2 else 0
        product = ib * max(1, wb.bit_length()) if po2 else ib * wb
        lut = (0 if dsp else pe * simd * product) + pe * (simd - 1) * acc / 2 + pe * acc + mem["lut"]
        return {"lut": lut, "ff": pe * (acc + simd * ib), "bram18": mem["bram18"], "dsp": dsp}
