"""The 8-bit integer MVAU: first conv, BCDNet-B's context maps, the classifier."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from bnnforge.generator.hwops.base import HLSArray, HLSInstance, MemoryFile, RTLInstance, bits_for, param_codes
from bnnforge.generator.hwops.memory import address_bits, rom_lut
from bnnforge.generator.hwops.mvau import _MVAU
from bnnforge.generator.hwops.ports import Port, pack_words
from bnnforge.quant.errors import BnnforgeError
from bnnforge.quant.fixed_point import np_round_shift

# Register stages between an input word and its accumulator in bnf_int_mvau.v: weight
# read + input register, product register (DSP MREG), adder tree + accumulator; the
# requantized output register adds one more before TVALID.
PIPELINE_STAGES = 3


class IntMVAU(_MVAU):
    """Integer MVAU for the 8-bit layers (first conv, context maps, classifier).

    acc = sum(x * w) on the grid 2**-acc_frac. mode "acc" streams the accumulator; mode
    "requant" adds the bias (on the output grid) and rounds half-to-even onto
    (out_bits, out_frac) with saturation, as BiasRequantize defines.

    Inputs: x [N, ..., MW] codes of in_bits bits (signed, or unsigned with in_signed=0:
    the first layer's UINT8 pixels), weights [MH, MW] signed w_bits codes, and in mode
    "requant" the bias [MH] on the output grid.
    """

    def get_nodeattr_types(self) -> dict:
        return {
            **super().get_nodeattr_types(),
            "in_bits": ("i", False, 8),
            # 0: the input codes are unsigned (UINT image pixels); the RTL then zero-extends
            "in_signed": ("i", False, 1),
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

    # ---- widths the RTL and HLS share ------------------------------------------------
    def in_elem_bits(self) -> int:
        return self.get_nodeattr("in_bits")

    def acc_bits(self) -> int:
        """Accumulator width: MW products of the largest magnitudes the codes can take."""
        ib, wb = self.get_nodeattr("in_bits"), self.get_nodeattr("w_bits")
        xmax = (1 << (ib - 1)) if self.get_nodeattr("in_signed") else (1 << ib) - 1
        reach = self.get_nodeattr("MW") * xmax * (1 << (wb - 1))
        return bits_for(-reach, reach)

    def _shift(self) -> int:
        """d = acc_frac - out_frac: > 0 rounds off d bits, < 0 shifts the accumulator left."""
        return self.get_nodeattr("acc_frac") - self.get_nodeattr("out_frac")

    def bias_bits(self) -> int:
        """Bias width in the RTL. With K = max(out_bits, acc_bits - d) bits for the output
        and the accumulator on the output grid, a bias of K + 2 bits or more saturates
        the output whatever the accumulator, so the emitter clamps biases to K + 2 bits
        without changing any result."""
        return max(self.get_nodeattr("out_bits"), self.acc_bits() - self._shift()) + 2

    def _tree_bits(self) -> int:
        """Adder-tree and accumulator width in the RTL (at least the exact product width)."""
        return max(self.acc_bits(), self.get_nodeattr("in_bits") + 1 + self.get_nodeattr("w_bits"))

    def _sum_bits(self) -> int:
        """Width of acc * 2**LSHIFT + bias * 2**RSHIFT in the RTL's requantizer."""
        d = self._shift()
        return max(self._tree_bits() + max(0, -d), self.bias_bits() + max(0, d)) + 1

    def _weight_memory(self) -> dict[str, int]:
        """One memory of PE*SIMD weights a word (a single fold: constants in logic)."""
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        depth = self.weight_folds()
        if depth == 1:
            return {"lut": 0, "bram18": 0, "uram": 0}
        return self.memory(pe * simd * self.get_nodeattr("w_bits"), depth)

    def latency(self) -> int:
        # the last input word of the first vector, then the pipeline and the output register
        return self.get_nodeattr("MW") // self.get_nodeattr("SIMD") + PIPELINE_STAGES

    def resources(self) -> dict[str, int]:
        # Yosys synth_xilinx -flatten (xc7), LUT synth / this model: MW=27 MH=32 PE=4 SIMD=9
        # acc (first conv) 1004 / 1116; MW=9 MH=16 PE=2 SIMD=9 acc 314 / 290, MH=24 PE=3
        # 400 / 435; requant MW=128 MH=10 PE=2 SIMD=8 (classifier) 576 / 493 (4 / 4 BRAM18),
        # MW=16 MH=4 PE=4 SIMD=4 387 / 402, MW=4 MH=16 PE=4 SIMD=4 235-242 / 253; PE=1
        # SIMD=1 with the weights in block RAM (MW 32-48, MH 10) 96-105 / 70-71
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        ib, wb = self.get_nodeattr("in_bits"), self.get_nodeattr("w_bits")
        acc, ow = self._tree_bits(), self.out_width()
        sf = self.get_nodeattr("MW") // simd
        nf = self.get_nodeattr("MH") // pe
        mem = self._weight_memory()
        if not mem["bram18"] and not mem["uram"]:
            # a constant table in LUTs feeding the products (rom_lut); from 64 words on about
            # a LUT per 9 bits (Yosys: 8 x 64 / 128 / 256 in BCDNet-B's context maps at PE 1,
            # 116-138 / 169 / 225-327 LUT in all, this model 103-114 / 170 / 285-287)
            folds = self.weight_folds()
            width = pe * simd * wb
            mem = {**mem, "lut": math.ceil(width * folds / 9) if folds >= 64 else rom_lut(width, folds)}
        # products wider than 4x4 bits go to DSP slices (with the product register inside),
        # power-of-two weights to a shifter; the adder tree and accumulator stay in LUTs,
        # except that with one input word per output (SF = 1: the accumulator only restarts)
        # Yosys chains most of the tree through the DSPs' post-adders
        po2 = self.get_nodeattr("po2_weights")
        dsp = pe * simd if ib * wb > 16 and not po2 else 0
        product = ib * max(1, wb.bit_length()) if po2 else ib * wb
        # (constant weights, one fold, fold a little further: PE 16 / 24 SIMD 9 1056 / 1544 LUT,
        # this model 1088 / 1632)
        tree = pe * (simd - 1) * acc * ((0.3 if nf == 1 else 0.375) if dsp and sf == 1 else 1)
        lut = (0 if dsp else pe * simd * product) + tree + pe * acc + mem["lut"]
        # the input vector kept for the output folds (LUTRAM, SF words; one word is a register)
        lut += self.memory(simd * ib, sf)["lut"] if nf > 1 and sf > 1 else 0
        # input, accumulator and output registers, fold counters and pipeline flags; the
        # weight register is the block RAM's own output register when there is one
        ff = simd * ib + pe * acc + pe * ow + 2 * address_bits(nf * sf) + 8
        # (constant weights, one fold: no weight register; PE 16 SIMD 9 724 FF, this model 690)
        ff += 0 if mem["bram18"] or self.weight_folds() == 1 else pe * simd * wb
        ff += 0 if dsp else pe * simd * (ib + wb)  # product registers outside DSPs
        if self.get_nodeattr("mode") == "requant":
            # per lane: bias add, rounding increment, saturation, about half a LUT a bit of
            # the requantizer's sum; the biases a constant table (rom_lut)
            lut += pe * self._sum_bits() / 2 + rom_lut(pe * self.bias_bits(), nf)
            ff += address_bits(nf)
        return {"lut": lut, "ff": ff, "bram18": mem["bram18"], "uram": mem["uram"], "dsp": dsp}

    # ---- RTL emitter (hw/rtl/bnf_int_mvau.v) ------------------------------------------
    def _rtl_parameters(self) -> dict[str, int]:
        requant = self.get_nodeattr("mode") == "requant"
        d = self._shift() if requant else 0
        if requant and self.get_nodeattr("out_bits") > self.out_width():
            raise BnnforgeError(f"{self.layer_name()}: out_bits {self.get_nodeattr('out_bits')} wider than out_dtype")
        return {"MW": self.get_nodeattr("MW"), "MH": self.get_nodeattr("MH"), "PE": self.get_nodeattr("PE"),
                "SIMD": self.get_nodeattr("SIMD"), "IN_W": self.get_nodeattr("in_bits"),
                "WEIGHT_BRAM": int(self._weight_memory()["bram18"] > 0),
                "IN_SIGNED": self.get_nodeattr("in_signed"), "W_W": self.get_nodeattr("w_bits"),
                "ACC_W": self.acc_bits(), "OUT_W": self.out_width(),
                "REQUANT": int(requant), "RSHIFT": max(0, d), "LSHIFT": max(0, -d),
                "SAT_W": self.get_nodeattr("out_bits") if requant else self.out_width(),
                "BIAS_W": self.bias_bits() if requant else 1}

    def _params(self, params: tuple) -> tuple[np.ndarray, np.ndarray | None]:
        n = 2 if self.get_nodeattr("mode") == "requant" else 1
        codes = param_codes(params, n, self.layer_name())
        return codes[0], codes[1] if n == 2 else None

    def ports(self) -> list[Port]:
        x, y = super().ports()
        return [replace(x, signed=bool(self.get_nodeattr("in_signed"))), y]

    def _weight_words(self, w: np.ndarray) -> list[int]:
        """NF*SF words (fold nf, then sf) of PE lanes of SIMD signed w_bits weights."""
        mh, mw = self.get_nodeattr("MH"), self.get_nodeattr("MW")
        pe, simd, wb = self.get_nodeattr("PE"), self.get_nodeattr("SIMD"), self.get_nodeattr("w_bits")
        w = np.asarray(w, np.int64).reshape(mh, mw)
        if w.min() < -(1 << (wb - 1)) or w.max() >= 1 << (wb - 1):
            raise BnnforgeError(f"{self.layer_name()}: weights {w.min()}..{w.max()} do not fit signed w_bits={wb}")
        words = w.reshape(mh // pe, pe, mw // simd, simd).transpose(0, 2, 1, 3).reshape(-1, pe * simd)
        return pack_words(words, wb)

    def _bias_words(self, bias: np.ndarray) -> list[int]:
        """NF words of PE biases (output fold order), clamped to bias_bits() (see there)."""
        bb = self.bias_bits()
        lim = (1 << (bb - 1)) - 1
        b = np.clip(np.asarray(bias, np.int64).reshape(-1), -lim, lim)
        return pack_words(b.reshape(-1, self.get_nodeattr("PE")), bb)

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        """bnf_int_mvau with its weights, and the biases in mode "requant", as $readmemh files."""
        w, bias = self._params(params)
        p = self._rtl_parameters()
        mems = {"WEIGHT_FILE": MemoryFile(tuple(self._weight_words(w)), p["PE"] * p["SIMD"] * p["W_W"])}
        if p["REQUANT"]:
            mems["BIAS_FILE"] = MemoryFile(tuple(self._bias_words(bias)), p["PE"] * p["BIAS_W"])
        return RTLInstance("bnf_int_mvau", ("bnf_round_shift.v", "bnf_int_mvau.v"), {**p, **mems})

    # ---- HLS emitter (hw/hls/bnf_int_mvau.h), same words as the RTL -------------------
    def hls(self, *params: np.ndarray) -> HLSInstance:
        w, bias = self._params(params)
        p = self._rtl_parameters()
        config = {k: p[k] for k in ("MW", "MH", "PE", "SIMD", "IN_W", "IN_SIGNED", "W_W", "ACC_W", "OUT_W")}
        config["PIXELS"] = self.pixels()
        arrays = [HLSArray(p['PE'] * p['SIMD'] * p['W_W'], "weights", tuple(self._weight_words(w)))]
        if p["REQUANT"]:
            config.update({k: p[k] for k in ("RSHIFT", "LSHIFT", "SAT_W", "BIAS_W")})
            arrays.append(HLSArray(p['PE'] * p['BIAS_W'], "biases", tuple(self._bias_words(bias))))
        config.update(self.stream_config())
        return HLSInstance("bnf_int_mvau.h", "bnf_int_mvau_requant" if p["REQUANT"] else "bnf_int_mvau_acc", config,
                           tuple(arrays))
