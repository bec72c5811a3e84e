"""BCDNet's long-short range circular shift on the binary stream."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.base import HLSInstance, HWOp, RTLInstance, divisors, param_codes
from bnnforge.generator.hwops.memory import clog2, lutram_lut
from bnnforge.generator.hwops.ports import Port, in_port, out_port


def long_short_shift_nhwc(x: np.ndarray, dh: int, dw: int) -> np.ndarray:
    """Four channel groups rolled by +dh, -dh along H and +dw, -dw along W (torch.roll
    semantics, out[i] = in[i - d]); channels last."""
    g = x.shape[-1] // 4
    parts = [np.roll(x[..., 0 * g : 1 * g], dh, axis=1), np.roll(x[..., 1 * g : 2 * g], -dh, axis=1),
             np.roll(x[..., 2 * g : 3 * g], dw, axis=2), np.roll(x[..., 3 * g : 4 * g], -dw, axis=2)]
    return np.concatenate(parts, axis=-1)


class LongShortShift(HWOp):
    """Circular shift unit: bits [N, H, W, C] in raster order, C divisible by 4.

    A roll along H by d emits row i from input row (i - d) mod H: row 0 of the +d group
    needs input row H - d, so about a whole frame must be in before the output can start
    and stay in while it streams out; one frame of bits (H*W*C) is the least any full-rate
    implementation buffers. The RTL (hw/rtl/bnf_long_short_shift.v) keeps two frame banks,
    2*H*W*C bits, so the next frame streams in while this one streams out: no stall at one
    word of PE channels per cycle, latency one frame. PE divides C/4 (a word stays in one
    channel group).
    """

    ram_style_buffers = True

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "dh": ("i", True, 1), "dw": ("i", True, 1), "PE": ("i", False, 1)}

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.channels() // 4)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return long_short_shift_nhwc(x, self.get_nodeattr("dh"), self.get_nodeattr("dw"))

    def buffer_bits(self) -> int:
        _, h, w, c = self.out_shape()
        return 2 * h * w * c

    def memory_floor_bits(self, bits: int) -> int:
        # a shifted word can need the frame's last pixel: one frame in, the double buffer's
        # second frame only lets the next frame arrive while this one leaves
        _, h, w, c = self.out_shape()
        return h * w * c

    def cycles(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        return self.cycles() + 1  # the frame is in before its first word is read out

    def ports(self) -> list[Port]:
        pe = self.get_nodeattr("PE")
        return [Port(in_port(0), "in", pe, 1, False), Port(out_port(0), "out", pe, 1, False)]

    def _parameters(self) -> dict[str, int]:
        _, h, w, c = self.out_shape()
        return {"H": h, "W": w, "C": c, "PE": self.get_nodeattr("PE"), "DH": self.get_nodeattr("dh"),
                "DW": self.get_nodeattr("dw")}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        return RTLInstance("bnf_long_short_shift", ("bnf_ram.v", "bnf_long_short_shift.v"),
                           {**self._parameters(), **self.ram_style_parameter()})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        return HLSInstance("bnf_long_short_shift.h", "bnf_long_short_shift",
                           {**self._parameters(), "TW": self.in_ports()[0].tdata_bits})

    def resources(self) -> dict[str, int]:
        # The two frame banks, read through the output register (bnf_ram): in LUTRAM as
        # lutram_lut counts it, with a read mux over its 64-word banks and the register in
        # flip-flops, or in block RAM / UltraRAM, which holds the register; and the address
        # logic: write and read addresses, row, column, channel-group counters and the
        # shifted-row arithmetic, about 6 LUT and 2 FF per address bit. Yosys synth_xilinx
        # -flatten, LUT / FF / BRAM18 (this model): 4x4x32 PE 8 68 / 30 / 0 (70 / 30 / 0),
        # PE 1 131 / 32 / 0 (128 / 29 / 0); 8x8x16 PE 4 117 / 30 / 0 (126 / 30 / 0);
        # 7x7x32 PE 8 78 / 26 / 1 (72 / 26 / 1); 7x7x256 PE 16 80 / 32 / 2 (88 / 30 / 2);
        # 14x14x128 PE 8 76 / 36 / 4 (78 / 34 / 4); "ultra" on xcup: 7x7x256 PE 16 79 LUT,
        # 1 URAM288 (88, 1). An odd width W makes row * W an adder (about 2 LUT per address
        # bit); an even one (14) did not cost more than a power of two.
        pe = self.get_nodeattr("PE")
        depth = self.buffer_bits() // pe
        mem = self.memory(pe, depth)
        ab = clog2(depth)
        _, _, w, _ = self.out_shape()
        lut, ff = (8 if w % 2 else 6) * ab, 2 * ab + 8
        if mem["bram18"] or mem["uram"]:
            lut += mem["lut"]  # UltraRAM's word select, if any
        else:  # LUTRAM, its read mux over 64-word banks and the output register
            lut += lutram_lut(pe, depth) + math.ceil(pe * math.ceil(depth / 64) / 4)
            ff += pe
        return {"lut": lut, "ff": ff, "bram18": mem["bram18"], "uram": mem["uram"], "dsp": 0}
