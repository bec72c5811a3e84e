"""Average pooling on the fixed-point stream: 2x2 (stride-2 shortcuts) and global."""

from __future__ import annotations

import math

import numpy as np

from bnnforge.generator.hwops.add import round_lane_lut
from bnnforge.generator.hwops.base import ElementwiseOp, HLSInstance, RTLInstance, param_codes
from bnnforge.generator.hwops.memory import address_bits, clog2
from bnnforge.quant.fixed_point import np_round_half_even_div


def avg_pool(x: np.ndarray, kernel: int) -> np.ndarray:
    """k x k windows with stride k (kernel 0: global), exact sum / count rounded half to even.
    Channels last; a global pool returns [N, C]."""
    n, h, w, c = x.shape
    if kernel == 0:
        return np_round_half_even_div(x.sum(axis=(1, 2)), h * w)
    k = kernel
    total = x[:, : h // k * k, : w // k * k].reshape(n, h // k, k, w // k, k, c).sum(axis=(2, 4))
    return np_round_half_even_div(total, k * k)


def recip_constants(d: int, in_bits: int) -> dict[str, int]:
    """Constants of the reciprocal divider in hw/rtl/bnf_avg_pool.v (g_recip) and
    hw/hls/bnf_avg_pool.h for a window of d codes of in_bits bits: sum width AW, shift KS,
    multiplier M = ceil(2**KS / d) (AW + 2 bits)."""
    ld = clog2(d)
    aw = in_bits + ld
    ks = aw + ld + 1
    m = -(-(1 << ks) // d)
    assert m < 1 << (aw + 2)
    return {"LD": ld, "AW": aw, "KS": ks, "M": m}


def recip_round_div(s: np.ndarray, d: int, in_bits: int) -> np.ndarray:
    """round_half_even(s / d) for sums s of d in_bits-bit codes, computed the way the RTL
    does: offset to n >= 0, one multiply by M, the quotient from the product's high bits and
    the remainder's relation to d/2 from its low bits (see bnf_avg_pool.v). Python integers,
    so the test can compare it with np_round_half_even_div on every sum."""
    k = recip_constants(d, in_bits)
    aw, ks, m = k["AW"], k["KS"], k["M"]
    out = []
    for v in np.asarray(s, dtype=np.int64).reshape(-1).tolist():
        n = (v + (d << (in_bits - 1))) % (1 << aw)
        prod = n * m
        q, f = prod >> ks, prod & ((1 << ks) - 1)
        above = f >= (1 << (ks - 1)) + (1 << aw)
        tie = f >= (1 << (ks - 1)) and not above
        out.append(q + int(above or (tie and q & 1)) - (1 << (in_bits - 1)))
    return np.array(out, dtype=np.int64).reshape(np.shape(s))


class AvgPool(ElementwiseOp):
    """Input [N, H, W, C] codes; output [N, H/k, W/k, C], or [N, C] for the global pool.

    The hardware (hw/rtl/bnf_avg_pool.v, hw/hls/bnf_avg_pool.h) is one module for both:
    k x k windows with stride k, or H x W for the global pool. It keeps the partial window
    sums of one output row (W/k * C codes; C codes for the global pool), emits a result as
    the word completing its window arrives, and never stalls the input otherwise."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "kernel": ("i", False, 2), "ifm_dim": ("ints", True, [1, 1])}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return self.saturate(avg_pool(x, self.get_nodeattr("kernel")))

    def window(self) -> tuple[int, int]:
        """(KH, KW): the kernel, or the whole map for the global pool."""
        k = self.get_nodeattr("kernel")
        return tuple(self.get_nodeattr("ifm_dim")) if k == 0 else (k, k)

    def cycles(self) -> int:  # paced by the input
        h, w = self.get_nodeattr("ifm_dim")
        return h * w * self.channels() // self.get_nodeattr("PE")

    def latency(self) -> int:
        # the word completing the first window (pixel (KH-1, KW-1), first channel fold), then
        # the window-sum register and the output register
        _, w = self.get_nodeattr("ifm_dim")
        kh, kw = self.window()
        return ((kh - 1) * w + kw - 1) * (self.channels() // self.get_nodeattr("PE")) + 2

    def out_burst_words(self) -> int:
        # a completed window's channel folds leave back to back (all of them at the end of
        # the frame for the global pool) while the next window's input keeps coming; a width
        # converter that splits words after the pool takes them at half that pace (measured
        # in the stitched bcdnet-tiny: 1168 cycles/frame instead of 1024 without this room)
        return self.channels() // self.get_nodeattr("PE")

    def lane_cost(self) -> dict[str, float]:
        # fitted to Yosys synth_xilinx -flatten within a few LUTs per lane
        kh, kw = self.window()
        d, ib, ob = kh * kw, self.get_nodeattr("in_bits"), self.out_bits()
        aw = ib + clog2(d)
        # accumulate (the restart mux folds into the adder's LUTs), window-sum and output
        # registers, the rounded division
        ff = aw + ob
        if d & (d - 1) == 0:
            # a power-of-two window: the division is a constant rounding shift, and Yosys
            # merges half of its LUTs into the accumulator's (synth_xilinx -flatten, LUT a
            # lane with the buffer and counters spread: global 8x8 PE 16 26 (this model 27),
            # PE 2 56 (56); 2x2 on 8x8 PE 4 35 (40), PE 6 34 (38))
            return {"lut": aw + round_lane_lut(aw, aw - ib, ob) // 2, "ff": ff, "dsp": 0}
        # reciprocal divider: the product n * M (AW x (AW + 2) bits) in DSP48 slices (unsigned
        # 17 x 24 each; the offset add goes into the pre-adder), compares on its low bits, the
        # rounding increment, the saturation when the output is narrower
        dsp = math.ceil(aw / 17) * math.ceil((aw + 2) / 24)
        sat = ob + (ib - ob) // 2 if ob < ib else 0
        return {"lut": aw + ib // 2 + sat, "ff": ff, "dsp": dsp}

    def resources(self) -> dict[str, int]:
        pe = self.get_nodeattr("PE")
        out = {k: v * pe for k, v in self.lane_cost().items()}
        h, w = self.get_nodeattr("ifm_dim")
        kh, kw = self.window()
        cf = self.channels() // pe
        aw = self.get_nodeattr("in_bits") + clog2(kh * kw)
        # partial window sums of one output row, read-modify-write: asynchronous read, LUTRAM;
        # one word (a global pool with every channel in parallel) is a register
        words = w // kw * cf
        mem = self.memory(pe * aw, words, "async")
        if words == 1:
            out["ff"] += pe * aw
        else:
            out["lut"] += mem["lut"]
        # counters: channel fold, x, y, window position, buffer row address; two valid bits
        cnt = sum(address_bits(v) for v in (cf, w, h, kw, kh, w // kw * cf))
        out["lut"] += math.ceil(1.2 * cnt) + 4
        out["ff"] += cnt + 2
        out["bram18"] = out["uram"] = 0
        return out

    # ---- RTL and HLS emitters (bnf_avg_pool.v / .h) -------------------------------------
    def _parameters(self) -> dict[str, int]:
        h, w = self.get_nodeattr("ifm_dim")
        kh, kw = self.window()
        return {"H": h, "W": w, "C": self.channels(), "PE": self.get_nodeattr("PE"),
                "IN_W": self.get_nodeattr("in_bits"), "OUT_W": self.out_bits(), "KH": kh, "KW": kw}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        param_codes(params, 0, self.layer_name())
        return RTLInstance("bnf_avg_pool", ("bnf_round_shift.v", "bnf_avg_pool.v"), self._parameters())

    def hls(self, *params: np.ndarray) -> HLSInstance:
        param_codes(params, 0, self.layer_name())
        kh, kw = self.window()
        config = {**self._parameters(), "LD": clog2(kh * kw), **self.stream_config()}
        return HLSInstance("bnf_avg_pool.h", "bnf_avg_pool", config)
