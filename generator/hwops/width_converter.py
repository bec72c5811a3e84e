"""Stream width converter: joins a producer and a consumer folded with different parallelism."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.base import HLSInstance, HWOp, RTLInstance, param_codes
from bnnforge.generator.hwops.memory import clog2
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

    def sources_per_element(self) -> float:
        """How many input elements can land on one buffer element, on average (bnf_dwc.v's
        general structure places an input word at the fill level `kept`, which only takes
        multiples of gcd(IN_E, OUT_E) up to IN_E + OUT_E - IN_E when a word may enter)."""
        ie, oe = self.get_nodeattr("in_elems"), self.get_nodeattr("out_elems")
        g, cap = math.gcd(ie, oe), ie + oe
        levels = range(0, oe + 1, g)  # kept <= cap - ie = oe
        return sum(1 for e in range(cap) for k in levels if 0 <= e - k < ie) / cap

    def resources(self) -> dict[str, int]:
        # Yosys synth_xilinx -flatten, LUT / FF (this model). Split (out divides in): the
        # word register shifts by a part or loads, a LUT a bit but for the last part's bits,
        # which only load or clear (the flip-flops' enable and reset); the parts counter
        # beside: 1-bit 8->1 21 / 12 (21 / 12), 16-bit 16->4 203 / 259 (203 / 259), 48->12
        # 587 / 771 (587 / 771), 9-bit 24->2 213 / 220 (213 / 220), 10-bit 32->8 251 / 323
        # (251 / 323; 2497 LUT with the general buffer). Gather (in divides out): the parts
        # and the output word are loaded in place, no LUT on the data; a part counter and its
        # decode: 1-bit 1->8 16 / 19 (15 / 19), 1->16 25 / 36 (25 / 36), 8-bit 12->24 6 / 290
        # (7 / 290), 16-bit 2->6 8 / 163 (8 / 163).
        eb, ie, oe = self.get_nodeattr("elem_bits"), self.get_nodeattr("in_elems"), self.get_nodeattr("out_elems")
        if ie > oe and ie % oe == 0:
            k = ie // oe
            lw = clog2(k + 1)
            return {"lut": (ie - oe) * eb + 3 * lw + (0 if k == 2 else 2), "ff": ie * eb + lw, "bram18": 0, "dsp": 0}
        if oe > ie and oe % ie == 0:
            k = oe // ie
            return {"lut": 4 + math.ceil(1.3 * k), "ff": (2 * oe - ie) * eb + clog2(k) + 1, "bram18": 0, "dsp": 0}
        # General (neither divides the other): per buffer bit, the pop shift and the placement
        # of the input word, a mux over the input elements that can land there
        # (sources_per_element). Yosys builds the placement as a shifter by kept * EB: for
        # single bits about one LUT a source, for power-of-two elements about half (their
        # shift amounts skip the low bits), for other element widths more (kept * EB is a
        # multiplication; see below). Fitted on the tiny zoo models' converter shapes, e.g.
        # 1-bit 3->8 33 (38); 9-bit 3->5 (test_rtl_dwc). Flip-flops exact: the buffer and its
        # fill count, whose low bits stay 0 when the gcd of the word sizes is even.
        cap = ie + oe
        g = math.gcd(ie, oe)
        if eb & (eb - 1) == 0:
            per_source = 1 if eb == 1 else 0.55
            lut = cap * eb * (1 + per_source * self.sources_per_element())
        else:
            # kept * EB is a product: Yosys builds a general shifter over every fill level its
            # register can hold (the count's bits, less the low ones the gcd keeps at 0), so
            # the cost grows with that number V, not with the levels that occur
            levels = 1 << (clog2(cap + 1) - ((g & -g).bit_length() - 1))
            per_bit = 1 + 0.75 * (levels / 4) ** 1.45
            if ie * eb >= 200:
                # input words of 200 bits and more: ABC keeps the whole shifter, 6.2-7 LUT a
                # buffer bit measured
                per_bit = 6.3
            lut = cap * eb * per_bit + 29
        ff = cap * eb + clog2(cap + 1) - ((g & -g).bit_length() - 1)
        return {"lut": math.ceil(lut), "ff": ff, "bram18": 0, "dsp": 0}

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
