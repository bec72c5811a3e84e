"""Matrix-vector units: the folding both MVAUs share, and the binary XNOR-popcount MVAU
(the 8-bit integer MVAU is in int_mvau.py).

Both take one input vector per output pixel (from a SlidingWindow for k x k convs, or the
stream itself for 1x1 convs and linear layers) and fold MH outputs over PE lanes and MW
inputs over SIMD lanes: each output pixel takes (MH / PE) * (MW / SIMD) cycles.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.datatype import DataType

from bnnforge.generator.hwops.base import (HLSArray, HLSInstance, HWOp, Literal, MemoryFile, RTLInstance, bits_for,
                                           divisors, param_codes)
from bnnforge.generator.hwops.memory import address_bits as _index_bits
from bnnforge.generator.hwops.memory import (WEIGHT_LAYOUTS, lutram_lut, memory_cost, registered_rom_lut,
                                             rom_slice_bits, spare_rows, weight_rom_bram,
                                             weight_rom_style)
from bnnforge.generator.hwops.ports import Port, in_port, out_port, pack_words
from bnnforge.quant.errors import BnnforgeError


# ---- LUT costs of the binary MVAU's parts, as Yosys synth_xilinx (xc7) maps them ---------
POPCOUNT_LEAF_STEPS = 6  # bnf_popcount: chain steps per leaf (7 bits, then 6 a step)


def _count_luts(k: int) -> int:
    """A bnf_count6 step's LUTs: one per bit of the count of its k <= 5 table bits (each
    merged with the accumulator bit of its weight); the carry-in and the accumulator are
    wires into the carry chain."""
    return 0 if k <= 0 else 1 if k == 1 else 2 if k <= 3 else 3


def popcount_luts(n: int) -> float:
    """LUTs of bnf_popcount(N): leaves of up to 37 bits, each a chain of steps (7 bits, then
    6: acc + count(5) + cin), one LUT per count bit of each step; then the balanced tree of
    carry-chain adders, one LUT per bit of each adder's narrower operand. Yosys synth_xilinx
    xc7 with constant weights: 37 LUT at N=64, 166 at 256, 680 at 1024; this gives 36, 163,
    679."""
    leaf = 7 + 6 * (POPCOUNT_LEAF_STEPS - 1)
    sizes = [min(leaf, n - j) for j in range(0, n, leaf)]
    luts = 0
    for size in sizes:
        done, first = 0, True
        while done < size:
            g = min(7 if first else 6, size - done)
            luts += _count_luts(g - (2 if first else 1))
            done, first = done + g, False
    while len(sizes) > 1:
        nxt = []
        for i in range(0, len(sizes), 2):
            if i + 1 < len(sizes):
                luts += bits_for(0, sizes[i + 1])
                nxt.append(sizes[i] + sizes[i + 1])
            else:
                nxt.append(sizes[i])
        sizes = nxt
    return luts


# bnf_binary_mvau.v's LANE_CHAIN_TRIPLES: up to this many triples of (x, w) pairs a lane
# counts into its accumulator with no adder (bnf_binary_mvau_lane)
LANE_CHAIN_TRIPLES = 37


def _triple_cells_luts(n: int) -> int:
    """Two LUT6 per triple of (x, w) pairs for its 2-bit count (fewer for a short last one)."""
    return 2 * (n // 3) + (0 if n % 3 == 0 else 1 if n % 3 == 1 else 2)


def count_chain_luts(n: int) -> int:
    """bnf_binary_mvau_count_chain over n bits: a LUT per count bit of each 6-bit step (a
    carry-in and up to 5 in LUTs), one for a step of only a carry-in."""
    return sum(max(1, _count_luts(min(5, n - 6 * k - 1))) for k in range(-(-n // 6)))


def xnor_popcount_luts(n: int) -> float:
    """LUTs of bnf_binary_mvau_xnor_popcount (beyond LANE_CHAIN_TRIPLES triples): the
    triples' cells, then the counts of their 1s and 2s bits and the counts' sum."""
    return _triple_cells_luts(n) + 2 * popcount_luts(-(-n // 3)) + bits_for(0, n)


def lane_luts(simd: int, acc: int, fixed: bool) -> float:
    """LUTs of one lane's step, start + 2 * popcount(xnor(x, w)) into an acc-bit accumulator:
    bnf_binary_mvau_lane's cells and its two counting chains on the accumulator (2s bits,
    then 1s bits), or beyond LANE_CHAIN_TRIPLES the popcount and an adder whose bits above
    the popcount ride the carry chain. Without a fixed start the start multiplexer puts a
    LUT on every accumulator bit."""
    triples = -(-simd // 3)
    start_mux = 0 if fixed else acc
    if triples <= LANE_CHAIN_TRIPLES:
        return _triple_cells_luts(simd) + count_chain_luts(triples) * (2 if acc > 2 else 1) + start_mux
    # the adder: a LUT per bit of the doubled popcount, or with the start multiplexer per bit
    return xnor_popcount_luts(simd) + (bits_for(0, simd) if fixed else start_mux)


# PAD_STEP's pixel counters' wrap and step enables and the read step's pad decision
PAD_STEP_CONTROL_LUTS = 8

# The bias table (corrections - MW) has few distinct values, mostly equal high bits: Yosys
# maps it into about half the LUTs of a random ROM.
BIAS_ROM_FACTOR = 0.5


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

    def in_elem_bits(self) -> int:
        """Bits of one input element."""
        return 1

    def out_width(self) -> int:
        return self.out_bits()

    def ports(self) -> list[Port]:
        # one input vector per output pixel arrives in MW/SIMD words; outputs leave PE at a time
        return [Port(in_port(0), "in", self.get_nodeattr("SIMD"), self.in_elem_bits(), self.in_elem_bits() > 1),
                Port(out_port(0), "out", self.get_nodeattr("PE"), self.out_width(), self.out_width() > 1)]


class BinaryMVAU(_MVAU):
    """XNOR-popcount matrix-vector unit: dot = 2 * popcount(xnor(x, w)) - MW per output.

    Inputs: bits [N, ..., groups * k*k*Cin_g] in (ky, kx, c) order, weights [MH, MW] bits,
    and with `thresholds` = 1 an initializer t [MH]: the output is then the bit dot >= t
    (out_dtype BINARY), batch norm + sign fused into the unit. A negative BN scale needs no
    direction bit: negating an output's weights negates its dot, and -dot >= t is the
    flipped comparison. (The lowering does not fuse yet: no zoo model has a batch norm
    directly before a sign; their binary convs feed the residual stream.)
    Zero padding of the conv cannot be a bit: the SlidingWindow inserts bit 0 (-1) there.
    When every SIMD word lies within one kernel tap (SIMD | Cin per group, `pad_steps`), a
    step is padded where its tap's kernel row or column is (a K-bit mask per output row and
    per output column) and the lanes add SIMD there instead of twice the popcount, which
    against the -MW bias is exactly 0; else
    the unit adds back the weights of the padded taps (a per-border-class bias table). Either
    way the result equals the zero-padded convolution exactly. Grouped convs (FTBNN group
    execution) store only each group's MW = k*k*Cin/groups weights per output.

    RTL: bnf_binary_mvau.v streams the weights from memory (PE x SIMD folding); the fully
    unrolled folding (PE = MH, SIMD = MW) is bnf_binary_mvau_const.v with the weights and
    corrections as constants in logic, one vector per cycle.
    """

    def get_nodeattr_types(self) -> dict:
        return {
            **super().get_nodeattr_types(),
            "groups": ("i", False, 1),
            "kernel": ("i", False, 1),
            "stride": ("i", False, 1),
            "pad": ("i", False, 0),
            "ifm_dim": ("ints", False, [1, 1]),
            # 1: a third input t [MH] of thresholds, output bits dot >= t (out_dtype BINARY)
            "thresholds": ("i", False, 0),
            # "const": weights and corrections as constants in logic (bnf_binary_mvau_const),
            # chosen by the folding when it unrolls the unit fully (derive_form)
            "mem_mode": ("s", False, "stream", {"stream", "const"}),
            # a block RAM weight ROM's layout (memory.WEIGHT_LAYOUTS); passes.memories banks it
            # when the part's block RAM is short
            "weight_layout": ("s", False, "sliced", set(WEIGHT_LAYOUTS)),
        }

    def fold_params(self) -> dict[str, list[int]]:
        g = self.get_nodeattr("groups")
        if g == 1:
            return super().fold_params()
        # grouped: a fold of PE outputs stays in one group, a SIMD word in one group's tap
        k = self.get_nodeattr("kernel")
        return {"PE": divisors(self.get_nodeattr("MH") // g), "SIMD": divisors(self.get_nodeattr("MW") // (k * k))}

    def golden(self, x: np.ndarray, w: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
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
        if self.get_nodeattr("thresholds"):
            return (dot >= np.asarray(t, np.int64).reshape(mh)).astype(np.int64)
        return dot

    # ---- folding forms ----------------------------------------------------------------
    def derive_form(self) -> None:
        pe, simd, mh, mw = (self.get_nodeattr(a) for a in ("PE", "SIMD", "MH", "MW"))
        full = pe == mh and simd == mw and self.get_nodeattr("groups") == 1
        self.set_nodeattr("mem_mode", "const" if full else "stream")

    def is_const(self) -> bool:
        """Weights as constants in logic (mem_mode "const"): one vector per cycle."""
        if self.get_nodeattr("mem_mode") != "const":
            return False
        pe, simd, mh, mw = (self.get_nodeattr(a) for a in ("PE", "SIMD", "MH", "MW"))
        if (pe, simd, self.get_nodeattr("groups")) != (mh, mw, 1):
            raise BnnforgeError(f"{self.layer_name()}: mem_mode const needs PE = MH, SIMD = MW and no groups "
                                f"(PE={pe}, SIMD={simd}, MH={mh}, MW={mw})")
        return True

    def latency(self) -> int:
        sf, g = self.get_nodeattr("MW") // self.get_nodeattr("SIMD"), self.get_nodeattr("groups")
        if self.is_const():
            return 1  # the output register
        # G = 1: the first output word leaves once the first vector's SF input words are in
        # and the last of them, loaded into the operand registers, has had its step;
        # grouped: once the whole vector (G * SF words) is loaded and fold 0 has run over it
        return sf + 1 if g == 1 else (g + 1) * sf

    # ---- RTL emitter (hw/rtl/bnf_binary_mvau.v, bnf_binary_mvau_const.v) ---------------
    def out_width(self) -> int:
        """Bits of one output element: 1 with fused thresholds, else the dot's."""
        return 1 if self.get_nodeattr("thresholds") else self.out_bits()

    def dot_width(self) -> int:
        """Signed width of the dots inside the unit (OUT_W of the RTL)."""
        mw = self.get_nodeattr("MW")
        return bits_for(-mw, mw) if self.get_nodeattr("thresholds") else self.out_width()

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

    def pad_steps(self) -> bool:
        """Padding by marked steps (the RTL's PAD_STEP): the layer pads and each SIMD word
        of the (per group) input vector lies within one kernel tap, so a step's word is either
        all padding or none; SIMD is even, so a weight word of SIMD/2 ones makes such a step
        add exactly SIMD/2 agreements with the all-zero padding."""
        if not self.get_nodeattr("pad") or self.is_const():
            return False
        simd = self.get_nodeattr("SIMD")
        cg = self.get_nodeattr("MW") // self.get_nodeattr("kernel") ** 2  # channels a tap (a group)
        return cg % simd == 0 and simd % 2 == 0

    def _pad_masks(self) -> tuple[list[int], list[int]]:
        """Per output row the kernel rows in the padding (bit ky), per output column the
        kernel columns (bit kx): a step's word is padding where either bit of its tap is set."""
        rows, cols, rpat, cpat = self.border_classes()

        def bits(pattern: np.ndarray) -> int:
            return int(sum(1 << i for i, bad in enumerate(pattern) if bad))

        return [bits(rpat[r]) for r in rows], [bits(cpat[c]) for c in cols]

    def _corrections(self, w: np.ndarray) -> np.ndarray:
        """[row classes * column classes, MH]: the sum of the +-1 weights of the taps each
        border class pads, per output (what the window's -1 bits there took away)."""
        mh, mw, k = self.get_nodeattr("MH"), self.get_nodeattr("MW"), self.get_nodeattr("kernel")
        _, _, rpat, cpat = self.border_classes()
        tap_sums = (2 * np.asarray(w, np.int64).reshape(mh, k * k, mw // (k * k)) - 1).sum(axis=-1)  # [MH, k*k]
        corr = []
        for rp in rpat:
            for cp in cpat:
                padded = (rp[:, None] | cp[None, :]).reshape(-1)
                corr.append(tap_sums[:, padded].sum(axis=1) if self.get_nodeattr("pad") else np.zeros(mh, np.int64))
        return np.stack(corr)

    def acc_width(self) -> int:
        """Accumulator width in the RTL: the dot modulo 2**dot_width (it fits), or with fused
        thresholds dot - t in [-2MW-1, 2MW], whose sign is the output bit."""
        return self.dot_width() + self.get_nodeattr("thresholds")

    def _biases(self, w: np.ndarray, t: np.ndarray | None) -> np.ndarray:
        """[border classes, MH] (one row with `pad_steps`): what each accumulator starts
        from, corr - MW, minus the threshold with fused thresholds. Thresholds are clipped to
        [-MW, MW + 1]: beyond, every dot (|dot| <= MW) compares alike."""
        mw = self.get_nodeattr("MW")
        corr = np.zeros((1, self.get_nodeattr("MH")), np.int64) if self.pad_steps() else self._corrections(w)
        bias = corr - mw
        if self.get_nodeattr("thresholds"):
            bias = bias - np.clip(np.asarray(t, np.int64).reshape(-1), -mw, mw + 1)[None, :]
        return bias

    def _memory_words(self, w: np.ndarray, t: np.ndarray | None) -> dict[str, list[int]]:
        """The streamed unit's memories as word lists (RTL $readmemh files, HLS arrays)."""
        mh, mw = self.get_nodeattr("MH"), self.get_nodeattr("MW")
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        nf, sf = mh // pe, mw // simd
        words = np.asarray(w, np.int64).reshape(nf, pe, sf, simd).transpose(0, 2, 1, 3).reshape(nf * sf, pe * simd)
        rows, cols, _, cpat = self.border_classes()
        bias = self._biases(w, t)  # [classes or 1, MH]: class-major, then fold, then lane
        mems = {"WEIGHT_FILE": pack_words(words, 1), "BIAS_FILE": pack_words(bias.reshape(-1, pe), self.acc_width())}
        if self.pad_steps():  # padding masks; one bias per output: border-class bases of 0
            rowpad, colpad = self._pad_masks()
            return {**mems, "ROWCLS_FILE": [0] * len(rows), "COLCLS_FILE": [0] * len(cols), "ROWPAD_FILE": rowpad,
                    "COLPAD_FILE": colpad}
        # border-class bases, so the RTL adds instead of multiplying; no padding masks
        return {**mems, "ROWCLS_FILE": [r * len(cpat) * nf for r in rows], "COLCLS_FILE": [c * nf for c in cols],
                "ROWPAD_FILE": [0] * len(rows), "COLPAD_FILE": [0] * len(cols)}

    def _check(self) -> None:
        mh, mw, g, k = (self.get_nodeattr(a) for a in ("MH", "MW", "groups", "kernel"))
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        if self.dot_width() < bits_for(-mw, mw):
            raise BnnforgeError(f"{self.layer_name()}: out_dtype {self.get_nodeattr('out_dtype')} cannot hold dots "
                                f"of MW={mw}")
        if self.get_nodeattr("thresholds") and self.get_nodeattr("out_dtype") != "BINARY":
            raise BnnforgeError(f"{self.layer_name()}: fused thresholds output BINARY")
        if g > 1 and ((mh // g) % pe or (mw // (k * k)) % simd):
            raise BnnforgeError(f"{self.layer_name()}: grouped folding needs PE | MH/groups and SIMD | Cin/groups "
                                f"(PE={pe}, SIMD={simd}, MH={mh}, MW={mw}, groups={g})")

    def _common(self) -> dict[str, int]:
        self._check()
        _, _, rpat, cpat = self.border_classes()
        oh, ow = self.out_shape()[1:3]
        return {"MW": self.get_nodeattr("MW"), "MH": self.get_nodeattr("MH"), "OUT_W": self.dot_width(), "OH": oh,
                "OW": ow, "NROWCLS": len(rpat), "NCOLCLS": len(cpat), "THRESH": self.get_nodeattr("thresholds")}

    def _kk(self) -> int:
        """Taps per input word group of the grouped form (1 ungrouped)."""
        return self.get_nodeattr("kernel") ** 2 if self.get_nodeattr("groups") > 1 else 1

    def rtl(self, *params: np.ndarray) -> RTLInstance:
        """From the weight bits [MH, MW] (and thresholds [MH]): $readmemh memories for
        bnf_binary_mvau; literals for bnf_binary_mvau_const, whose constants in logic must be
        known at elaboration."""
        w, t = self._params(params)
        common = self._common()
        files = ("bnf_count6.v", "bnf_popcount.v")
        if self.is_const():
            rows, cols, _, cpat = self.border_classes()
            bias = self._biases(w, t)
            clw = _index_bits(len(bias))
            return RTLInstance("bnf_binary_mvau_const", (*files, "bnf_binary_mvau_const.v"), {
                **common, "WEIGHTS": Literal.of(np.asarray(w, np.int64).reshape(-1), 1),
                "BIAS": Literal.of(bias.reshape(-1), self.acc_width()),
                "ROWCLS": Literal.of(np.array([r * len(cpat) for r in rows]), clw),
                "COLCLS": Literal.of(np.array(cols), clw)})
        mems = self._memory_words(w, t)
        pad_steps = self.pad_steps()
        for unused in (("ROWCLS_FILE", "COLCLS_FILE") if pad_steps else ("ROWPAD_FILE", "COLPAD_FILE")):
            del mems[unused]
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        index_bits = _index_bits(len(mems["BIAS_FILE"]))  # border classes x NF
        kernel = self.get_nodeattr("kernel")
        widths = {"WEIGHT_FILE": pe * simd, "BIAS_FILE": pe * self.acc_width(), "ROWCLS_FILE": index_bits,
                  "COLCLS_FILE": index_bits, "ROWPAD_FILE": kernel, "COLPAD_FILE": kernel}
        bias = self._biases(w, t)
        fixed = bool((bias == bias.flat[0]).all())  # one start value for every accumulator
        style, slice_bits, xbuf_spare = self._weight_memory(*self._folds())
        slices = {"WEIGHT_FILE": slice_bits}
        return RTLInstance("bnf_binary_mvau", (*files, "bnf_binary_mvau.v"), {
            **common, "PE": pe, "SIMD": simd, "G": self.get_nodeattr("groups"), "KK": self._kk(),
            "FIXED_START": int(fixed), "START": int(bias.flat[0]) % (1 << self.acc_width()) if fixed else 0,
            "WROM_BLOCK": int(style == "block"), "WROM_SLICE": slice_bits, "XBUF_SPARE": int(xbuf_spare),
            "PAD_STEP": int(pad_steps), "K": kernel,
            **{k: MemoryFile(tuple(v), widths[k], slices.get(k, 0)) for k, v in mems.items()}})

    def xbuf_spare(self) -> bool:
        """The input vector the later output folds read again is kept in the spare rows of
        the sliced weight memories, through their block RAMs' second port (the RTL's
        XBUF_SPARE), instead of a LUTRAM or block RAM of its own."""
        return self._weight_memory(*self._folds())[2]

    def weight_slice_bits(self) -> int:
        """Bits per slice memory of the streamed weight ROM (memory.rom_slice_bits), 0 for one
        memory: in LUTs, banked, or where one memory is mux-free anyway."""
        return self._weight_memory(*self._folds())[1]

    def _folds(self) -> tuple[int, int, int, int]:
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        return pe, simd, self.get_nodeattr("MH") // pe, self.get_nodeattr("MW") // simd

    def _weight_memory(self, pe: int, simd: int, nf: int, sf: int) -> tuple[str, int, bool]:
        """(weight ROM style, slice bits, input vector in its spare rows) of the folding
        (PE, SIMD, NF, SF): the cost model passes what it has read, as it runs hundreds of
        times a layer."""
        style = weight_rom_style(nf * sf, self.get_nodeattr("ram_style"))
        layout = self.get_nodeattr("weight_layout")
        if style != "block" or layout != "sliced":  # (the const form is one word: not block)
            return style, 0, False
        slice_bits = rom_slice_bits(pe * simd, nf * sf)
        # grouped: a double buffer; one output fold: nothing is kept
        spare = nf > 1 and self.get_nodeattr("groups") == 1 and spare_rows(slice_bits, nf * sf) >= sf
        return style, slice_bits, spare

    def _params(self, params: tuple) -> tuple[np.ndarray, np.ndarray | None]:
        n = 1 + self.get_nodeattr("thresholds")
        codes = param_codes(params, n, self.layer_name())
        return codes[0], codes[1] if n == 2 else None

    # ---- HLS emitter (hw/hls/bnf_binary_mvau.h), same words as the streamed RTL ------
    def hls(self, *params: np.ndarray) -> HLSInstance:
        # the fully unrolled form needs no template of its own: its one-word weight array is
        # a constant HLS folds into logic
        w, t = self._params(params)
        self._check()
        mems = self._memory_words(w, t)
        c = self._common()
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        config = {"MW": c["MW"], "MH": c["MH"], "PE": pe, "SIMD": simd, "OUT_W": c["OUT_W"], "OH": c["OH"],
                  "OW": c["OW"], "NCLS": c["NROWCLS"] * c["NCOLCLS"], "G": self.get_nodeattr("groups"),
                  "KK": self._kk(), "K": self.get_nodeattr("kernel"), "THRESH": c["THRESH"],
                  "PAD_STEP": int(self.pad_steps()), **self.stream_config()}
        arrays = (HLSArray(pe * simd, "weights", tuple(mems["WEIGHT_FILE"])),
                  HLSArray(pe * self.acc_width(), "bias", tuple(mems["BIAS_FILE"])),
                  HLSArray(16, "rowbase", tuple(mems["ROWCLS_FILE"])),
                  HLSArray(16, "colbase", tuple(mems["COLCLS_FILE"])),
                  HLSArray(self.get_nodeattr("kernel"), "rowpad", tuple(mems["ROWPAD_FILE"])),
                  HLSArray(self.get_nodeattr("kernel"), "colpad", tuple(mems["COLPAD_FILE"])))
        return HLSInstance("bnf_binary_mvau.h", "bnf_binary_mvau", config, arrays)

    def resources(self) -> dict[str, int]:
        """Part by part as Yosys synth_xilinx maps the RTL (popcount_luts, lane_luts,
        memory.memory_cost; checked against synthesized streamed, grouped, thresholded and constant-
        weight configs within about 10%): PE lanes of XNOR-popcount counted into their
        accumulators, the weight ROM, the bias table and its border-class address, the input buffer
        and the counters; or, fully unrolled, one constant-weight popcount per output."""
        mh, mw, g = self.get_nodeattr("MH"), self.get_nodeattr("MW"), self.get_nodeattr("groups")
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        nf, sf, acc = mh // pe, mw // simd, self.acc_width()
        ew = self.out_width()
        _, _, rpat, cpat = self.border_classes()
        oh, ow = self.out_shape()[1:3]
        ncls = len(rpat) * len(cpat)
        xy = _index_bits(oh) + _index_bits(ow)  # pixel counters
        pad_steps = self.pad_steps()
        # the bias table is a constant (-MW) without thresholds and without a per-class
        # padding correction
        varying_bias = bool((self.get_nodeattr("pad") and not pad_steps) or self.get_nodeattr("thresholds"))
        if self.is_const():
            # per output: the popcount (weights as inverters inside its LUTs), one adder, and
            # the border-class bias lookup folded into it; with one class the bias is the
            # constant -MW (- t), whose low bits pass through: about a LUT per 3 bits (Yosys:
            # 16 x 16 in 165 LUT)
            offset = 2 * acc if ncls > 1 else -(-acc // 3)
            lut = mh * (popcount_luts(mw) + offset) + xy + 2 * _index_bits(ncls)
            return {"lut": lut, "ff": mh * ew + xy + 1, "bram18": 0, "dsp": 0}
        # lanes: the XNOR-popcount counted into the accumulator (lane_luts). With one start
        # value for all (no thresholds, no per-class padding table: FIXED_START) the
        # flip-flops' set/reset load it, with no start multiplexer
        fixed = not varying_bias
        lut = pe * lane_luts(simd, acc, fixed)
        # the weight ROM: LUTs up to 64 words, deeper block RAM (memory.weight_rom_style)
        wstyle, slice_bits, xbuf_spare = self._weight_memory(pe, simd, nf, sf)
        if self._memory_log is not None:
            self._memory_log.append(pe * simd * nf * sf)
        wmem = memory_cost(pe * simd, nf * sf, "rom", wstyle)
        if wmem["lut"]:
            wmem = {**wmem, "lut": registered_rom_lut(pe * simd, nf * sf, wstyle)}
        if wmem["bram18"]:  # sliced, or banked behind a read multiplexer (memory.WEIGHT_LAYOUTS)
            bram, mux = weight_rom_bram(pe * simd, nf * sf, slice_bits)
            wmem = {**wmem, "bram18": bram}
            lut += mux
        none = {"lut": 0, "bram18": 0, "uram": 0}
        bmem = self.memory(pe * acc, (1 if pad_steps else ncls) * nf, "rom") if varying_bias else none
        if pad_steps:
            # the K-bit row and column masks over the pixel counters, the counters' wrap and
            # step, and the padded-step select, a function of the next step's place in the fold
            # (no tap counters); the lanes take the padding word through the weight
            # register's reset, at no cost. Yosys, taking the padding logic out of a 56 x 56
            # 3x3 layer: 32 LUT at SF = 18, 37 at 72
            k = self.get_nodeattr("kernel")
            lut += k * (-(-oh // 64) + -(-ow // 64)) + PAD_STEP_CONTROL_LUTS + _index_bits(sf)
        elif ncls > 1:  # border-class bases (small ROMs over the pixel counters) and their sum
            ca = _index_bits(ncls * nf)
            lut += 2 * ca + ca * (-(-oh // 64) + -(-ow // 64))
        if ncls == 1 and not pad_steps:  # the pixel does not matter: no pixel counters
            xy = 0
        # the weight address, and beside it the fold counters unless SF is a power of two (the
        # address is then {nf, sf}: the RTL's SPLIT_WA)
        split = sf > 1 and nf > 1 and sf & (sf - 1) == 0
        counters = _index_bits(nf * sf) + (0 if split else _index_bits(sf) + _index_bits(nf)) + xy
        lut += wmem["lut"] + BIAS_ROM_FACTOR * bmem["lut"] + counters + 4
        # accumulators, output word, weight word (inside the block RAM when it is one)
        ff = pe * (acc + ew + (simd if wstyle == "distributed" else 0)) + counters + 2
        inbuf = none
        # (with xbuf_spare the kept words sit in the weight slices' spare rows, written and read
        # back into the lanes' one input register: no LUT, no flip-flop here)
        if g == 1 and not xbuf_spare:  # the input word's register, from the stream or kept words
            ff += simd
            if nf > 1 and sf > 1:  # input words kept for later folds (one word: the register keeps it)
                inbuf = self.memory(simd, sf)
                if inbuf["lut"]:  # LUTRAM
                    lut += lutram_lut(simd, sf)
                # one multiplexer a bit: the stream or a kept word from one of the LUTRAM's
                # 64-word banks (a LUT6 picks among four)
                banks = -(-sf // 64) if inbuf["lut"] else 1
                lut += simd * -(-banks // 3)
        elif g > 1:  # double-buffered vectors (2 x 2**LW words) and the group address counters
            lw = _index_bits(g * sf)
            lut += self.memory(simd, 2 << lw)["lut"] + 3 * lw
            ff += 3 * lw + 8
        if pad_steps:  # the read step's pixel counters
            ff += _index_bits(oh) + _index_bits(ow)
        return {"lut": lut, "ff": ff, "bram18": wmem["bram18"] + bmem["bram18"] + inbuf["bram18"],
                "uram": wmem["uram"] + bmem["uram"] + inbuf["uram"], "dsp": 0}

