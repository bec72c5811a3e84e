"""Matrix-vector units: the folding both MVAUs share, and the binary XNOR-popcount MVAU
(the 8-bit integer MVAU is in int_mvau.py).

Both take one input vector per output pixel (from a SlidingWindow for k x k convs, or the
stream itself for 1x1 convs and linear layers) and fold MH outputs over PE lanes and MW
inputs over SIMD lanes: each output pixel takes (MH / PE) * (MW / SIMD) cycles.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType

from bnnforge.generator.hwops.base import HWOp, bits_for, divisors, hex_lines, memory_cost, pack_words


def _index_bits(depth: int) -> int:
    """Address width of a memory of `depth` words, as the RTL declares it."""
    return max(1, (depth - 1).bit_length())


# LUTs per XNOR-popcount input bit: Yosys synth_xilinx of bnf_popcount, 1.09 at N=1024
LUT_PER_XNOR_BIT = 1.1


def padded_positions(ifm: tuple[int, int], k: int, stride: int, pad: int) -> np.ndarray:
    """[OH, OW, k*k] mask of kernel taps that fall into the zero padding."""
    h, w = ifm
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    iy = np.arange(oh)[:, None] * stride - pad + np.arange(k)[None, :]  # [OH, k]
    ix = np.arange(ow)[:, None] * stride - pad + np.arange(k)[None, :]  # [OW, k]
    bad_y = (iy < 0) | (iy >= h)
    bad_x = (ix < 0) | (ix >= w)
    mask = bad_y[:, None, :, None] | bad_x[None, :, None, :]  # [OH, OW, k, k]
    return mask.reshape(oh, ow, k * k)


class _MVAU(HWOp):
    def get_nodeattr_types(self) -> dict:
        return {
            **super().get_nodeattr_types(),
            "MW": ("i", True, 0),  # inputs per output (per group)
            "MH": ("i", True, 0),  # outputs
            "PE": ("i", False, 1),
            "SIMD": ("i", False, 1),
        }

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.get_nodeattr("MH")), "SIMD": divisors(self.get_nodeattr("MW"))}

    def weight_folds(self) -> int:
        """Weight words each PE lane cycles through per output pixel."""
        mh, mw = self.get_nodeattr("MH"), self.get_nodeattr("MW")
        return (mh // self.get_nodeattr("PE")) * (mw // self.get_nodeattr("SIMD"))

    def cycles(self) -> int:
        return self.pixels() * self.weight_folds()

    def latency(self) -> int:
        # the first output word leaves once the first vector's MW/SIMD input words are in
        return self.get_nodeattr("MW") // self.get_nodeattr("SIMD")

    def weight_memory(self, bits_per_weight: int) -> dict[str, int]:
        """Per-lane weight memories; a single fold means constant weights in logic."""
        depth = self.weight_folds()
        if depth == 1:
            return {"lut": 0, "bram18": 0}
        one = memory_cost(self.get_nodeattr("SIMD") * bits_per_weight, depth)
        return {k: v * self.get_nodeattr("PE") for k, v in one.items()}


class BinaryMVAU(_MVAU):
    """XNOR-popcount matrix-vector unit: dot = 2 * popcount(xnor(x, w)) - MW per output.

    Inputs: bits [N, ..., groups * k*k*Cin_g] in (ky, kx, c) order, weights [MH, MW] bits.
    Zero padding of the conv cannot be a bit: the SlidingWindow inserts bit 0 (-1) there and
    this unit adds back the weights of the padded taps (a small per-border-class table),
    so the result equals the zero-padded convolution exactly. Grouped convs (FTBNN group
    execution) store only each group's MW = k*k*Cin/groups weights per output.
    """

    def get_nodeattr_types(self) -> dict:
        return {
            **super().get_nodeattr_types(),
            "groups": ("i", False, 1),
            "kernel": ("i", False, 1),
            "stride": ("i", False, 1),
            "pad": ("i", False, 0),
            "ifm_dim": ("ints", False, [1, 1]),
        }

    def golden(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        g, k = self.get_nodeattr("groups"), self.get_nodeattr("kernel")
        mh, mw = self.get_nodeattr("MH"), self.get_nodeattr("MW")
        lead = x.shape[:-1]
        cg = mw // (k * k)
        xs = x.reshape(-1, k * k, g, cg).astype(np.float64)
        wb = w.reshape(g, mh // g, k * k, cg).astype(np.float64)
        outs = []
        for gi in range(g):
            xg = xs[:, :, gi, :].reshape(-1, mw)
            wg = wb[gi].reshape(mh // g, mw)
            agree = xg @ wg.T + (1 - xg) @ (1 - wg).T  # popcount(xnor)
            outs.append(2 * agree - mw)
        dot = np.concatenate(outs, axis=-1).astype(np.int64).reshape(*lead, mh)
        if self.get_nodeattr("pad"):
            mask = padded_positions(tuple(self.get_nodeattr("ifm_dim")), k, self.get_nodeattr("stride"),
                                    self.get_nodeattr("pad"))
            tap_sums = (2 * w.reshape(mh, k * k, cg) - 1).sum(axis=-1).T  # [k*k, MH]
            dot = dot + (mask.astype(np.int64) @ tap_sums)[None]
        return dot

    # ---- RTL emitter (hw/rtl/bnf_binary_mvau.v) -------------------------------------
    rtl_top = "bnf_binary_mvau"
    rtl_files = ("bnf_count6.v", "bnf_popcount.v", "bnf_binary_mvau.v")

    def out_width(self) -> int:
        return DataType[self.get_nodeattr("out_dtype")].bitwidth()

    def border_classes(self) -> tuple[list[int], list[int], list[np.ndarray], list[np.ndarray]]:
        """Row and column border classes: (class of each output row, of each column, padded
        kernel rows of each row class, padded kernel columns of each column class)."""
        k, s, p = (self.get_nodeattr(a) for a in ("kernel", "stride", "pad"))
        h, w = self.get_nodeattr("ifm_dim")
        oh, ow = self.out_shape()[1:3]

        def classes(size: int, out: int) -> tuple[list[int], list[np.ndarray]]:
            idx = np.arange(out)[:, None] * s - p + np.arange(k)[None, :]
            bad = (idx < 0) | (idx >= size)
            patterns: list[tuple] = []
            ids = []
            for row in map(tuple, bad):
                if row not in patterns:
                    patterns.append(row)
                ids.append(patterns.index(row))
            return ids, [np.array(pt) for pt in patterns]

        rows, rpat = classes(h, oh)
        cols, cpat = classes(w, ow)
        return rows, cols, rpat, cpat

    def rtl_memories(self, w: np.ndarray) -> dict[str, str]:
        """$readmemh files for bnf_binary_mvau from the weight bits [MH, MW]."""
        if self.get_nodeattr("groups") != 1:
            raise NotImplementedError("grouped BinaryMVAU has no RTL yet")
        mh, mw = self.get_nodeattr("MH"), self.get_nodeattr("MW")
        pe, simd, k = self.get_nodeattr("PE"), self.get_nodeattr("SIMD"), self.get_nodeattr("kernel")
        nf, sf, ow_bits = mh // pe, mw // simd, self.out_width()
        words = w.reshape(nf, pe, sf, simd).transpose(0, 2, 1, 3).reshape(nf * sf, pe * simd)
        rows, cols, rpat, cpat = self.border_classes()
        tap_sums = (2 * w.reshape(mh, k * k, mw // (k * k)) - 1).sum(axis=-1)  # [MH, k*k]
        corr = []
        for rp in rpat:
            for cp in cpat:
                padded = (rp[:, None] | cp[None, :]).reshape(-1)
                corr.append((tap_sums[:, padded].sum(axis=1) if self.get_nodeattr("pad") else
                             np.zeros(mh, np.int64)).reshape(nf, pe))
        corr_words = pack_words(np.concatenate(corr), ow_bits)
        return {"WEIGHT_FILE": hex_lines(pack_words(words, 1), pe * simd),
                "CORR_FILE": hex_lines(corr_words, pe * ow_bits),
                # border-class bases, so the RTL adds instead of multiplying
                "ROWCLS_FILE": hex_lines([r * len(cpat) * nf for r in rows], _index_bits(len(corr) * nf)),
                "COLCLS_FILE": hex_lines([c * nf for c in cols], _index_bits(len(corr) * nf))}

    def rtl_parameters(self) -> dict[str, int]:
        rows, cols, rpat, cpat = self.border_classes()
        oh, ow = self.out_shape()[1:3]
        return {"MW": self.get_nodeattr("MW"), "MH": self.get_nodeattr("MH"), "PE": self.get_nodeattr("PE"),
                "SIMD": self.get_nodeattr("SIMD"), "OUT_W": self.out_width(), "OH": oh, "OW": ow,
                "NROWCLS": len(rpat), "NCOLCLS": len(cpat)}

    # ---- HLS emitter (hw/hls/bnf_binary_mvau.h), same memories as the RTL ----------
    def hls_stream_widths(self) -> tuple[int, int]:
        from bnnforge.generator.hls import tw

        return tw(self.get_nodeattr("SIMD")), tw(self.get_nodeattr("PE") * self.out_width())

    def hls_instance(self, w: np.ndarray) -> tuple[str, str, list, list]:
        mems = {k: [int(v, 16) for v in text.split()] for k, text in self.rtl_memories(w).items()}
        p = self.rtl_parameters()
        pe, ow_bits = p["PE"], p["OUT_W"]
        args = [p["MW"], p["MH"], pe, p["SIMD"], ow_bits, p["OH"], p["OW"], p["NROWCLS"] * p["NCOLCLS"],
                *self.hls_stream_widths()]
        arrays = [(f"ap_uint<{pe * p['SIMD']}>", "weights", mems["WEIGHT_FILE"]),
                  (f"ap_uint<{pe * ow_bits}>", "corr", mems["CORR_FILE"]),
                  ("ap_uint<16>", "rowbase", mems["ROWCLS_FILE"]), ("ap_uint<16>", "colbase", mems["COLCLS_FILE"])]
        return "bnf_binary_mvau.h", "bnf_binary_mvau", args, arrays

    def in_words(self, x: np.ndarray) -> list[int]:
        simd = self.get_nodeattr("SIMD")
        return pack_words(x.reshape(-1, simd), 1)

    def out_words(self, y: np.ndarray) -> list[int]:
        return pack_words(y.reshape(-1, self.get_nodeattr("PE")), self.out_width())

    def resources(self) -> dict[str, int]:
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        acc = bits_for(-self.get_nodeattr("MW"), self.get_nodeattr("MW"))
        mem = self.weight_memory(1)
        lut = pe * simd * LUT_PER_XNOR_BIT + pe * acc + mem["lut"]
        if self.get_nodeattr("pad"):  # padded-tap correction table: border classes x MH words
            lut += memory_cost(acc, 9 * self.get_nodeattr("MH"))["lut"] + pe * acc
        return {"lut": lut, "ff": pe * (acc + simd), "bram18": mem["bram18"], "dsp": 0}
