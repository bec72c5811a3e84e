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
        """How many input elements can land on one buffer element, on average (bnf_dwc.v
        places an input word at the fill level `kept`, which only takes multiples of
        gcd(IN_E, OUT_E) up to IN_E + OUT_E - IN_E when a word may enter)."""
        ie, oe = self.get_nodeattr("in_elems"), self.get_nodeattr("out_elems")
        g, cap = math.gcd(ie, oe), ie + oe
        levels = range(0, oe + 1, g)  # kept <= cap - ie = oe
        return sum(1 for e in range(cap) for k in levels if 0 <= e - k < ie) / cap

    def resources(self) -> dict[str, int]:
        # Per buffer bit: the pop shift and the placement of the input word, a mux over the
        # input elements that can land there (sources_per_element). Yosys builds the
        # placement as a shifter by kept * EB: for single bits about one LUT a source, for
        # power-of-two elements about half (their shift amounts skip the low bits), for
        # other element widths more (kept * EB is a multiplication; see below). Fitted to
        # Yosys synth_xilinx -flatten on the 42 converter shapes of the tiny zoo models (27
        # within 15%, total 0.92 of Yosys), LUT (this model), e.g.: 1-bit 1->8 19 (18), 1->16
        # 33 (34), 3->8 33 (38), 8->1 33 (25), 8->16 36 (48), 12->24 92 (72), 48->24 176
        # (168); 8-bit 1->8 114 (112), 12->3 331 (226), 12->24 656 (447); 16-bit 2->1 71 (84),
        # 4->1 169 (151), 16->1 688 (554), 16->4 649 (602), 48->12 2474 (1805); 7-bit 2->1 66
        # (66), 16->8 323 (323); 9-bit 4->2 116 (124), 24->2 1630 (1504), 24->12 2027 (2071);
        # 10-bit 4->1 147 (182), 32->8 2497 (2549). A structural fix in bnf_dwc.v (placing
        # words at the few fill levels that occur instead of a general shift) would cut the
        # non-power-of-two cases most. Flip-flops exact: the buffer and its fill count, whose
        # low bits stay 0 when the gcd of the word sizes is even.
        eb, ie, oe = self.get_nodeattr("elem_bits"), self.get_nodeattr("in_elems"), self.get_nodeattr("out_elems")
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
                # buffer bit measured (9-bit 24->2, 24->12, 10-bit 32->8)
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
