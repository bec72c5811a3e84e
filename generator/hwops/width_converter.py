"""Stream width converter: joins a producer and a consumer folded with different parallelism."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.base import HLSInstance, HWOp, RTLInstance, param_codes
from bnnforge.generator.hwops.ports import Port, in_port, out_port


class WidthConverter(HWOp):
    """Regroups a stream of `elem_bits`-bit elements from `in_elems` to `out_elems` per word,
    order unchanged. The stitcher inserts it where two folded ops disagree on a stream's
    word width (FINN's StreamingDataWidthConverter plays this role there)."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "in_elems": ("i", True, 1), "out_elems": ("i", True, 1),
                "elem_bits": ("i", True, 1)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return x

    def fold_params(self) -> dict[str, list[int]]:
        return {}  # set by passes.width_converters from its neighbours

    def ports(self) -> list[Port]:
        eb = self.get_nodeattr("elem_bits")
        return [Port(in_port(0), "in", self.get_nodeattr("in_elems"), eb, eb > 1),
                Port(out_port(0), "out", self.get_nodeattr("out_elems"), eb, eb > 1)]

    def elements(self) -> int:
        """Elements per frame."""
        return self.pixels() * self.channels()

    def cycles(self) -> int:
        e = self.elements()
        return max(e // self.get_nodeattr("in_elems"), e // self.get_nodeattr("out_elems"))

    def latency(self) -> int:
        # the first output word needs ceil(out / in) input words, then one register stage
        return math.ceil(self.get_nodeattr("out_elems") / self.get_nodeattr("in_elems"))

    def resources(self) -> dict[str, int]:
        bits = (self.get_nodeattr("in_elems") + self.get_nodeattr("out_elems")) * self.get_nodeattr("elem_bits")
        # buffer register, and a barrel shifter placing each input word (log2 levels of muxes)
        levels = max(1, math.ceil(math.log2(self.get_nodeattr("out_elems") + 1)))
        return {"lut": bits * levels // 2 + 10, "ff": bits + 8, "bram18": 0, "dsp": 0}

    # ---- RTL and HLS emitters (bnf_dwc.v / .h) --------------------------------------
    def _parameters(self) -> dict[str, int]:
        return {"EB": self.get_nodeattr("elem_bits"), "IN_E": self.get_nodeattr("in_elems"),
                "OUT_E": self.get_nodeattr("out_elems")}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        return RTLInstance("bnf_dwc", ("bnf_dwc.v",), self._parameters())

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        return HLSInstance("bnf_dwc.h", "bnf_dwc", {**self._parameters(), "ELEMS": self.elements(),
                                                    **self.stream_config()})
