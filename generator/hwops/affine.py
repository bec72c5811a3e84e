"""Folded batch norm on the fixed-point stream: per-branch integer gains, shared bias."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import ElementwiseOp, HLSArray, HLSInstance, MemoryFile, RTLInstance, param_codes
from bnnforge.generator.hwops.memory import clog2, rom_lut
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.fixed_point import np_round_shift


def fixed_affine(dots: list[np.ndarray], m: np.ndarray, e: np.ndarray, b: np.ndarray, in_frac: int,
                 frac: int) -> np.ndarray:
    """round(sum_i d_i * m_i * 2**-E + B) onto the grid 2**-frac, before saturation.

    Channels last. d_i are codes on 2**-in_frac, m [branches, C] signed mantissas, E [C]
    per-channel exponents, B [C] the bias on the grid 2**-max(E, frac). Every term is
    aligned to the finest grid involved, summed exactly and rounded once, half to even.
    """
    e = np.asarray(e, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    acc = np.maximum(e, frac)            # grid of the bias
    x = np.maximum(e + in_frac, acc)     # grid of the sum: every term shifts left into it
    total = b << (x - acc)
    for d, mi in zip(dots, np.asarray(m, dtype=np.int64)):
        total = total + ((d * mi) << (x - e - in_frac))
    return np_round_shift(total, x - frac)


class FixedAffine(ElementwiseOp):
    """Batch norm folded into y = sat(round(sum_i m_i d_i 2**-E + B)), one or three branches.

    Inputs: `branches` dot streams (the binary MLP block sums its three convs here, each
    with its own gain), then initializers m [branches, C], E [C], B [C].

    Hardware (hw/rtl/bnf_fixed_affine.v): per lane and channel the emitter turns E into two
    shift amounts, so the unit computes round((sum_i d_i m_i << L + B') >> R) with B' the bias
    already on the grid of the sum. On that grid at most one term shifts: L > 0 only when
    the products are coarser than the output grid (E < frac - in_frac), and then R = 0.
    The exact sum lives in `acc_bits` bits (0: automatic, one bit above the product sum);
    left shifts up to acc_bits minus the product-sum width fit. The emitter checks every
    channel's worst case against that width and says which parameter does not fit.
    """

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "branches": ("i", False, 1), "in_frac": ("i", False, 0),
                "gain_bits": ("i", False, 12),
                # width of the exact aligned sum in hardware; 0: sum_bits() + 1
                "acc_bits": ("i", False, 0)}

    def stream_inputs(self) -> int:
        return self.get_nodeattr("branches")

    def golden(self, *ins: np.ndarray) -> np.ndarray:
        k = self.get_nodeattr("branches")
        dots, (m, e, b) = list(ins[:k]), ins[k:]
        y = fixed_affine(dots, m, e, b, self.get_nodeattr("in_frac"), self.get_nodeattr("out_frac"))
        return self.saturate(y)

    # ---- widths (shared by the emitters and the cost model) ------------------------------
    def sum_bits(self) -> int:
        """Signed width of the sum of the branch products d_i * m_i (the RTL's PS_W)."""
        return self.get_nodeattr("in_bits") + self.get_nodeattr("gain_bits") + clog2(self.get_nodeattr("branches"))

    def acc_width(self) -> int:
        a = self.get_nodeattr("acc_bits") or self.sum_bits() + 1
        if a <= self.sum_bits():
            raise BnnforgeError(f"FixedAffine: acc_bits={a} must exceed the product-sum width {self.sum_bits()}")
        return a

    def lshift_width(self) -> int:
        """Bits of the left-shift field: shifts up to acc_width() - sum_bits()."""
        return max(1, (self.acc_width() - self.sum_bits()).bit_length())

    def rshift_width(self) -> int:
        """Bits of the rounding-shift field: 0..acc_width() (a longer shift rounds to 0 as well)."""
        return self.acc_width().bit_length()

    def lane_bits(self) -> int:
        """Per-channel parameter word: branches gains, left shift, right shift, aligned bias."""
        k, gb = self.get_nodeattr("branches"), self.get_nodeattr("gain_bits")
        return k * gb + self.lshift_width() + self.rshift_width() + self.acc_width()

    def align(self, m: np.ndarray, e: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per channel (m [branches, C], L [C], R [C], B' [C]): the shift amounts and the bias on
        the grid of the sum, as the hardware uses them. Raises if a parameter does not fit."""
        k, c = self.get_nodeattr("branches"), self.channels()
        fi, fo = self.get_nodeattr("in_frac"), self.get_nodeattr("out_frac")
        ib, gb = self.get_nodeattr("in_bits"), self.get_nodeattr("gain_bits")
        m = np.asarray(m, np.int64).reshape(k, c)
        e = np.asarray(e, np.int64).reshape(c)
        b = np.asarray(b, np.int64).reshape(c)
        name = self.onnx_node.name or "FixedAffine"
        glo, ghi = -(1 << (gb - 1)), (1 << (gb - 1)) - 1
        if m.min() < glo or m.max() > ghi:
            ch = int(np.argmax(((m < glo) | (m > ghi)).any(axis=0)))
            raise BnnforgeError(f"{name}: gain mantissa {m[:, ch].tolist()} of channel {ch} does not fit "
                                f"gain_bits={gb} (signed {glo}..{ghi})")
        acc = np.maximum(e, fo)
        x = np.maximum(e + fi, acc)
        lsh, sb, rsh = x - e - fi, x - acc, x - fo
        aw = self.acc_width()
        lmax = aw - self.sum_bits()
        if lsh.max() > lmax:
            ch = int(np.argmax(lsh))
            raise BnnforgeError(f"{name}: channel {ch} (exponent {int(e[ch])}) needs its products shifted left by "
                                f"{int(lsh[ch])} bits onto the output grid; acc_bits={aw} allows {lmax}: "
                                f"set acc_bits >= {self.sum_bits() + int(lsh.max())}")
        half_out = 1 << (self.out_bits() - 1)
        bias = []
        for ch in range(c):  # Python integers: exponents may make these exceed 64 bits
            r, bs = int(rsh[ch]), int(b[ch]) << int(sb[ch])
            qmax = sum(abs(int(v)) for v in m[:, ch]) << (ib - 1 + int(lsh[ch]))  # worst |sum_i d_i m_i << L|
            # a bias so large that the output saturates whatever the products are can be
            # clamped without changing any output: |B'| > qmax + 2**R * (2**(OUT_W-1) + 1) does
            big = qmax + ((half_out + 1) << r)
            bs = max(-big, min(big, bs))
            need = abs(bs) + qmax
            if need >= 1 << (aw - 1):
                want = need.bit_length() + 1
                raise BnnforgeError(f"{name}: channel {ch}: gains {m[:, ch].tolist()}, exponent {int(e[ch])} and "
                                    f"bias {int(b[ch])} need a {want}-bit sum; acc_bits={aw}: set acc_bits >= {want}")
            bias.append(bs)
        # a right shift beyond the sum's width rounds every sum to 0, as a shift by its width does
        return m, lsh, np.minimum(rsh, aw), np.array(bias, dtype=object)

    def needed_acc_bits(self, m: np.ndarray, e: np.ndarray, b: np.ndarray) -> int:
        """The smallest acc_bits these parameters fit (what a lowering may set)."""
        lo, hi = self.sum_bits(), self.sum_bits() + 64
        old = self.get_nodeattr("acc_bits")
        try:
            while lo < hi:
                mid = (lo + hi) // 2
                self.set_nodeattr("acc_bits", mid)
                try:
                    self.align(m, e, b)
                    hi = mid
                except BnnforgeError:
                    lo = mid + 1
        finally:
            self.set_nodeattr("acc_bits", old)
        return lo

    # ---- cost model --------------------------------------------------------------------
    def latency(self) -> int:
        return 3  # products | aligned sum | rounded, saturated output

    def lane_cost(self) -> dict[str, float]:
        # One DSP per branch; Yosys puts the branch sum into their post-adders. What stays in
        # LUTs depends on how many channels a lane serves (CF = C/PE): with one, the shifts
        # and the bias are constants and the rounding folds to a few LUTs a bit; with more,
        # the bias add and the rounding shifter take their amounts from the parameter table
        # (counted by ElementwiseOp, rom_lut), and cost grows with the number of distinct
        # shift amounts a lane sees, which the exponents decide and this model cannot see:
        # it assumes the 3-4 exponents per layer of the zoo's batch norms.
        # Yosys synth_xilinx -flatten, LUT a lane (this model), acc = the aligned sum's bits:
        # CF 1: acc 19 14.5 (14), acc 31 23-25 (23); CF 4: acc 19 98 (78), acc 31 152 (124),
        # acc 20 PE 8 62 (82), 3 branches acc 22 72-76 (65); CF 8: acc 19 138 (138), acc 31
        # 216-219 (215), 3 branches acc 22 111 (121); CF 16-32: acc 19 143 (142), acc 20 149
        # (148), 3 branches acc 22 143 (125).
        # Registers: the output word and the aligned sum; with CF > 1 also the shifts, and
        # from CF 8 on the bias and the products outside the DSPs (35 / 45 / 85 / 91 a lane
        # measured at CF 1 / 4 / 8 / 16, acc 19).
        k, ow, aw = self.get_nodeattr("branches"), self.out_bits(), self.acc_width()
        cf = self.channels() // self.get_nodeattr("PE")
        pw = self.get_nodeattr("in_bits") + self.get_nodeattr("gain_bits")
        lut = aw * (0.75 if cf == 1 else 2.5 if cf == 2 else 3.6 if cf <= 4 else 5.5)
        if k > 1 and cf > 1:
            lut *= 0.7  # measured: three branches cost what one does, or less (see above)
        ff = ow + aw + (0 if cf == 1 else 10 if cf <= 4 else aw + pw)
        return {"dsp": k, "lut": lut, "ff": ff}

    def param_bits(self) -> int:
        return self.lane_bits()

    def param_rom_lut(self, bits: int, depth: int) -> int:
        # the gains of the second and third branch go into their DSPs with the first one's
        # address decode: Yosys showed no LUTs for them (see lane_cost)
        extra = (self.get_nodeattr("branches") - 1) * self.get_nodeattr("gain_bits") * self.get_nodeattr("PE")
        return rom_lut(bits - extra, depth)

    # ---- RTL and HLS emitters (bnf_fixed_affine.v / .h) ----------------------------------
    def module(self) -> str:
        # one module per stream count: a port list cannot depend on a parameter
        k = self.get_nodeattr("branches")
        if k not in (1, 3):
            raise BnnforgeError(f"{self.layer_name()}: hardware for 1 or 3 branches, not {k}")
        return "bnf_fixed_affine" if k == 1 else "bnf_fixed_affine3"

    def _param_words(self, m: np.ndarray, e: np.ndarray, b: np.ndarray) -> list[int]:
        """C/PE words; lane p at bits [p*lane_bits(), ...): m_0 .. m_{k-1}, L, R, B' (LSB first)."""
        gm, lsh, rsh, bias = self.align(m, e, b)
        k, pe = self.get_nodeattr("branches"), self.get_nodeattr("PE")
        gb, lw, rw, aw = self.get_nodeattr("gain_bits"), self.lshift_width(), self.rshift_width(), self.acc_width()
        lanes = []
        for ch in range(self.channels()):
            word, pos = 0, 0
            for val, width in [*((int(gm[i, ch]), gb) for i in range(k)), (int(lsh[ch]), lw), (int(rsh[ch]), rw),
                               (int(bias[ch]), aw)]:
                word |= (val & ((1 << width) - 1)) << pos
                pos += width
            lanes.append(word)
        lb = self.lane_bits()
        return [sum(lanes[f * pe + p] << (p * lb) for p in range(pe)) for f in range(self.channels() // pe)]

    def _parameters(self) -> dict[str, int]:
        return {"C": self.channels(), "PE": self.get_nodeattr("PE"), "IN_W": self.get_nodeattr("in_bits"),
                "G_W": self.get_nodeattr("gain_bits"), "ACC_W": self.acc_width(), "LSH_W": self.lshift_width(),
                "RSH_W": self.rshift_width(), "OUT_W": self.out_bits()}

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        m, e, b = param_codes(params, 3, self.layer_name())
        words = MemoryFile(tuple(self._param_words(m, e, b)), self.get_nodeattr("PE") * self.lane_bits())
        return RTLInstance(self.module(), ("bnf_round_shift.v", "bnf_fixed_affine.v"),
                           {**self._parameters(), "PARAM_FILE": words})

    def hls(self, *params: np.ndarray) -> HLSInstance:
        m, e, b = param_codes(params, 3, self.layer_name())
        p = self._parameters()
        (x, *_), (y,) = self.in_ports(), self.out_ports()
        config = {**p, "PIXELS": self.pixels(), "IN_TW": x.tdata_bits, "OUT_TW": y.tdata_bits}
        return HLSInstance("bnf_fixed_affine.h", self.module(), config, (
            HLSArray(p['PE'] * self.lane_bits(), "params", tuple(self._param_words(m, e, b))),))
