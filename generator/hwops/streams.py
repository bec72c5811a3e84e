"""Stream plumbing: fork, channel concat and channel slice.

All three move words without looking at them: `elem_bits` is the element width (1 for bits,
the code width for fixed-point streams) and PE elements travel per word. Each RTL module has
a one-word output register, so its latency is one cycle plus any input words it waits for.
"""

from __future__ import annotations

import math
from functools import reduce

import numpy as np

from bnnforge.generator.hwops.base import HLSInstance, HWOp, RTLInstance, bits_for, divisors, param_codes
from bnnforge.generator.hwops.ports import Port, in_port, out_port
from bnnforge.quant.errors import BnnforgeError

# the RTL modules have this many stream ports on their variable side (Verilog has no
# variable port lists): out0_V..out3_V of bnf_duplicate, in0_V..in3_V of bnf_concat
MAX_STREAMS = 4


class _Plumbing(HWOp):
    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "PE": ("i", False, 1), "elem_bits": ("i", False, 16)}

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.channels())}

    def cycles(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        return 1  # the output register

    def in_elements(self) -> list[int]:
        """Elements per word of each input stream."""
        return [self.get_nodeattr("PE")]

    def outputs(self) -> int:
        return 1

    def ports(self) -> list[Port]:
        eb, signed = self.get_nodeattr("elem_bits"), self.get_nodeattr("elem_bits") > 1
        return [*(Port(in_port(i), "in", e, eb, signed) for i, e in enumerate(self.in_elements())),
                *(Port(out_port(i), "out", self.get_nodeattr("PE"), eb, signed) for i in range(self.outputs()))]

    def tdata_bits(self) -> int:
        return self.out_ports()[0].tdata_bits


class Duplicate(_Plumbing):
    """One stream in, the same stream on every output (a fan-out in the dataflow graph),
    2 to 4 outputs. The RTL shares one data register between per-output valid flags: a word
    is taken when every output register is free, so a stalled reader holds back the others
    (the stitcher's per-edge FIFOs absorb that) and nothing is lost or repeated."""

    def golden(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(x for _ in self.onnx_node.output)

    def outputs(self) -> int:
        n = len(self.onnx_node.output)
        if not 2 <= n <= MAX_STREAMS:
            raise BnnforgeError(f"{self.onnx_node.name}: a Duplicate has 2 to {MAX_STREAMS} outputs, not {n} "
                                "(a wider fork is a tree of Duplicates)")
        return n

    def resources(self) -> dict[str, int]:
        # data register (clock-enabled FFs, no LUT) + a valid per output; LUTs for the handshake
        # (Yosys xc7, 3 outputs, 32-bit words: 9 LUT, 36 FF)
        return {"lut": 3 + 2 * self.outputs(), "ff": self.tdata_bits() + self.outputs(), "bram18": 0, "dsp": 0}

    # ---- RTL and HLS emitters (bnf_duplicate.v, bnf_streams.h) ------------------------
    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        n = self.outputs()
        # the module has MAX_STREAMS outputs: the unused ones are always ready, their data and
        # valid left open
        tw = self.tdata_bits()
        unused = tuple((f"{out_port(k)}_{sig}", {"TDATA": tw, "TVALID": 1, "TREADY": "1'b1"}[sig])
                       for k in range(n, MAX_STREAMS) for sig in ("TDATA", "TVALID", "TREADY"))
        return RTLInstance("bnf_duplicate", ("bnf_duplicate.v",), {"N": n, "W": self.out_ports()[0].word_bits}, unused)

    def hls(self, *params: np.ndarray) -> HLSInstance:
        # bnf_duplicate is overloaded on the number of output streams
        param_codes(params, 0, self.layer_name())
        return HLSInstance("bnf_streams.h", "bnf_duplicate", {"WORDS": self.cycles(), "TW": self.tdata_bits()})


class Concat(_Plumbing):
    """Channel concatenation of 1 to 4 streams of equal spatial size (ReActNet's doubled
    channels). Per pixel: C_0/PE words of input 0, then C_1/PE of input 1, ...; PE divides
    every C_i. `in_channels` lists the C_i (the lowering sets it; left empty, the inputs are
    taken to be equal, ReActNet's case)."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "in_channels": ("ints", False, [])}

    def golden(self, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=-1)

    def channel_counts(self) -> list[int]:
        n = len(self.onnx_node.input)
        counts = list(self.get_nodeattr("in_channels"))
        if not counts:
            if self.channels() % n:
                raise BnnforgeError(f"{self.onnx_node.name}: set in_channels, the channels of each input")
            counts = [self.channels() // n] * n
        if len(counts) != n or sum(counts) != self.channels() or not 1 <= n <= MAX_STREAMS:
            raise BnnforgeError(f"{self.onnx_node.name}: in_channels {counts} do not make {self.channels()} channels "
                                f"from {n} inputs (1 to {MAX_STREAMS})")
        return counts

    def fold_params(self) -> dict[str, list[int]]:
        # PE divides every input: words taken from one input at a time; or PE = all the
        # channels: one word of every input joined per cycle (bnf_concat_par)
        pes = divisors(reduce(math.gcd, self.channel_counts()))
        return {"PE": sorted({*pes, self.channels()})}

    def parallel(self) -> bool:
        """One pixel per cycle from a word of every input (PE = all channels)."""
        return len(self.onnx_node.input) > 1 and self.get_nodeattr("PE") == self.channels()

    def resources(self) -> dict[str, int]:
        if self.parallel():  # wires into the output register
            return {"lut": 2, "ff": self.tdata_bits() + 1, "bram18": 0, "dsp": 0}
        # a 2- to 4-way mux per bit (one LUT6) into the output register, counters (Yosys xc7,
        # 32+32 channels PE4 16-bit: 78 LUT, 70 FF)
        n, counts = len(self.onnx_node.input), self.channel_counts()
        cw = bits_for(0, max(counts) // self.get_nodeattr("PE"))
        mux = self.tdata_bits() if n > 1 else 0
        return {"lut": mux + 2 * cw + 6, "ff": self.tdata_bits() + cw + 3, "bram18": 0, "dsp": 0}

    def in_elements(self) -> list[int]:
        """Elements per word of each input stream."""
        return self.channel_counts() if self.parallel() else [self.get_nodeattr("PE")] * len(self.onnx_node.input)

    # ---- RTL and HLS emitters (bnf_concat.v / bnf_concat_par.v, bnf_streams.h) ----------
    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        n = len(self.onnx_node.input)
        counts = self.channel_counts() + [0] * (MAX_STREAMS - n)
        fold = {} if self.parallel() else {"PE": self.get_nodeattr("PE")}
        module = "bnf_concat_par" if self.parallel() else "bnf_concat"
        # the module has MAX_STREAMS inputs: the unused ones carry no data, their ready left
        # open
        unused = tuple((f"{in_port(k)}_{s}", 1 if s == "TREADY" else "0") for k in range(n, MAX_STREAMS)
                       for s in ("TDATA", "TVALID", "TREADY"))
        return RTLInstance(module, (f"{module}.v",), {"NI": n, **{f"C{i}": c for i, c in enumerate(counts)}, **fold,
                                                      "EB": self.get_nodeattr("elem_bits")}, unused)

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        if self.parallel():  # bnf_concat_par<PIXELS, EB, C0.., TW0.., OUT_TW>
            config = {"PIXELS": self.pixels(), "EB": self.get_nodeattr("elem_bits"),
                      **{f"C{i}": c for i, c in enumerate(self.channel_counts())},
                      **{f"TW{i}": p.tdata_bits for i, p in enumerate(self.in_ports())}, "OUT_TW": self.tdata_bits()}
            return HLSInstance("bnf_streams.h", "bnf_concat_par", config)
        # bnf_concat is overloaded on the number of input streams: <PIXELS, F0, .., TW>
        folds = {f"F{i}": c // self.get_nodeattr("PE") for i, c in enumerate(self.channel_counts())}
        return HLSInstance("bnf_streams.h", "bnf_concat", {"PIXELS": self.pixels(), **folds, "TW": self.tdata_bits()})


class ChannelSlice(_Plumbing):
    """Channels start..end of a stream or vector of `in_channels` channels. PE divides start,
    end and in_channels. Words outside the slice are read and dropped, so the unit is paced
    by its input words. The lowering must set `in_channels` (0: unknown, see input_channels)."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "start": ("i", True, 0), "end": ("i", True, 0),
                "in_channels": ("i", False, 0)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return x[..., self.get_nodeattr("start") : self.get_nodeattr("end")]

    def input_channels(self, exact: bool = False) -> int:
        """Channels of the input. Unset (0), the cost model assumes `end`; the emitters
        (`exact`) refuse, since hardware built for the wrong width would hang the stream."""
        cin = self.get_nodeattr("in_channels")
        if not cin and exact:
            raise BnnforgeError(f"{self.onnx_node.name}: ChannelSlice needs in_channels (the input's channel count) "
                                "to emit hardware")
        return cin or self.get_nodeattr("end")

    def fold_params(self) -> dict[str, list[int]]:
        g = reduce(math.gcd, [self.get_nodeattr("start"), self.get_nodeattr("end"), self.input_channels()])
        return {"PE": divisors(g)}

    def cycles(self) -> int:
        return self.pixels() * self.input_channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        # the words before the slice are dropped first, then the output register
        return self.get_nodeattr("start") // self.get_nodeattr("PE") + 1

    def resources(self) -> dict[str, int]:
        # no data path logic: the word counter and the keep compare (Yosys xc7, 128 -> [32:96]
        # PE8 16-bit: 6 LUT, 133 FF)
        cw = bits_for(0, self.input_channels() // self.get_nodeattr("PE"))
        return {"lut": cw + 1, "ff": self.tdata_bits() + cw + 1, "bram18": 0, "dsp": 0}

    # ---- RTL and HLS emitters (bnf_channel_slice.v, bnf_streams.h) --------------------
    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        return RTLInstance("bnf_channel_slice", ("bnf_channel_slice.v",), {
            "CIN": self.input_channels(exact=True), "START": self.get_nodeattr("start"), "END": self.get_nodeattr("end"),
            "PE": self.get_nodeattr("PE"), "EB": self.get_nodeattr("elem_bits")})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        pe = self.get_nodeattr("PE")
        return HLSInstance("bnf_streams.h", "bnf_channel_slice", {
            "PIXELS": self.pixels(), "CF": self.input_channels(exact=True) // pe, "FIRST": self.get_nodeattr("start") // pe,
            "END": self.get_nodeattr("end") // pe, "TW": self.tdata_bits()})
