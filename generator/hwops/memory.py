"""The one cost model of memories and FIFOs, as Yosys synth_xilinx (and Vivado's default
inference) maps them: LUTRAM for small or shallow memories, RAMB18 for the rest, URAM288
where an op asks for it (`ram_style = "ultra"`, UltraScale+ parts).

Three read styles, because synthesis maps them differently:
- "sync": a RAM read through a register (FIFOs, frame and line buffers): BRAM when deep;
- "async": read combinationally (read-modify-write buffers, vector banks): always LUTRAM;
- "rom": a constant table (weights, biases): a LUT mux tree unless it is big enough that
  Yosys prefers block RAM.
"""

from __future__ import annotations

import math

# Block RAM geometry of 7-series / UltraScale RAMB18: (width, depth) aspect ratios.
BRAM18_SHAPES = ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024), (36, 512))
BRAM18_BITS = max(w * d for w, d in BRAM18_SHAPES)  # 18 Kb with the parity bits
# UltraScale+ URAM288: one fixed aspect
URAM_WIDTH, URAM_DEPTH = 72, 4096
# Memories at or below this many bits, or this shallow, go to LUTRAM (64 x 1 bit per LUT)
LUTRAM_MAX_BITS = 2048
LUTRAM_MAX_DEPTH = 64
# Yosys maps a read-only memory into LUTs (a LUT6 per bit per 64 addresses) unless it holds
# more bits than this per RAMB18 it would take: 64 x 144 and 128 x 144 stayed in LUTs,
# 64 x 288 and 64 x 1024 went to block RAM (a registered read).
ROM_BITS_PER_BRAM18 = 6144
RAM_STYLES = ("auto", "distributed", "block", "ultra")
# bnf_fifo: a word takes this many cycles from its input to its output
FIFO_LATENCY = 2
# extra words on a bypass path, for the cycles an op's first word can vary around its model
FIFO_SLACK = 8
# and a share of the words a FIFO holds, for the error of the modelled branch latencies
FIFO_MARGIN = 0.05


def buffer_words(waiting: int) -> int:
    """Words a buffer must hold for `waiting` words the latency model says wait: those, a
    FIFO_MARGIN share more and FIFO_SLACK (a FIFO of passes.fifos, a dynamic sign's ring)."""
    return waiting + math.ceil(waiting * FIFO_MARGIN) + FIFO_SLACK


def clog2(n: int) -> int:
    """ceil(log2(n)) for n >= 1 (0 for n = 1), as Verilog's $clog2."""
    return max(0, (int(n) - 1).bit_length())


def address_bits(depth: int) -> int:
    """Address width of a memory of `depth` words as the RTL declares it (at least 1)."""
    return max(1, clog2(depth))


def bram18(width: int, depth: int) -> int:
    """RAMB18 count for a width x depth memory, choosing the best aspect ratio."""
    if width <= 0 or depth <= 0:
        return 0
    return min(math.ceil(width / w) * math.ceil(depth / d) for w, d in BRAM18_SHAPES)


def bram18_banks(width: int, depth: int) -> int:
    """Depth banks of the aspect bram18() chooses (the first with fewest RAMB18s, as Yosys
    picks it): a read word comes from one of them, through a multiplexer."""
    if width <= 0 or depth <= 0:
        return 0
    n = bram18(width, depth)
    return next(math.ceil(depth / d) for w, d in BRAM18_SHAPES if math.ceil(width / w) * math.ceil(depth / d) == n)


def bank_mux_lut(width: int, depth: int) -> int:
    """LUTs of the read multiplexer over a block RAM's depth banks: a LUT6 per data bit picks
    one of up to 4 banks (Yosys xc7: 1152 x 32 in three 512 x 36 banks, 32 LUT; 1152 x 2048,
    2048)."""
    banks = bram18_banks(width, depth)
    return width * math.ceil((banks - 1) / 3) if banks > 1 else 0


# Weight ROM layouts in block RAM (BinaryMVAU's weight_layout):
# - "sliced": each RAMB18 holds a bit slice of every word, in the aspect that covers the whole
#   depth (1152 x 32: four 2048 x 9). No read multiplexer: the block RAM's output feeds the
#   XNOR-popcount directly, one logic level less at the clock, and the LUTs per lane do not grow
#   with the depth. The default; FINN's estimate and Vivado's default mapping count the same.
# - "banked": the fewest RAMB18s (bram18()), the words split into depth banks read through
#   bank_mux_lut (1152 x 32: three 512 x 36 and 32 LUT). passes.memories switches ROMs to it,
#   most RAMB18s saved per LUT first, when a folding needs more block RAM than the part has.
WEIGHT_LAYOUTS = ("sliced", "banked")


def rom_slice_bits(width: int, depth: int) -> int:
    """Bits per slice of the "sliced" layout where it differs from bram18()'s choice: the
    widest aspect at least `depth` deep. 0 when bram18()'s aspect has one depth bank anyway, or
    the ROM is deeper than any aspect (then it is banked)."""
    if bram18_banks(width, depth) <= 1:
        return 0
    return max((w for w, d in BRAM18_SHAPES if d >= depth), default=0)


# widest port of a RAMB18 with two independent ports (true dual port; 36 bits is simple dual
# port only: one read, one write)
TDP_MAX_WIDTH = 18


def spare_rows(slice_bits: int, depth: int) -> int:
    """Rows each slice memory of a "sliced" weight ROM (rom_slice_bits) has beyond its depth,
    which the second port of its block RAM can use (the binary MVAU keeps its input vector
    there): 0 for one memory, or slices too wide for two ports."""
    if not slice_bits or slice_bits > TDP_MAX_WIDTH:
        return 0
    return next(d for w, d in BRAM18_SHAPES if w == slice_bits) - depth


def weight_rom_bram(width: int, depth: int, slice_bits: int) -> tuple[int, int]:
    """(RAMB18s, read multiplexer LUTs) of a block RAM weight ROM: sliced (rom_slice_bits),
    or with slice_bits 0 one memory, banked as bram18() chooses (memory.WEIGHT_LAYOUTS)."""
    if slice_bits:
        return math.ceil(width / slice_bits), 0
    return bram18(width, depth), bank_mux_lut(width, depth)


def uram288(width: int, depth: int) -> tuple[int, int]:
    """(URAM288s, LUTs of the read multiplexer) of a width x depth RAM, as Yosys synth_xilinx
    -family xcup maps it: up to 4096 words, a URAM288 per 72 bits; deeper, k words side by side
    in a 4096 x 72 row when k words fit its width (k the power of two that covers the depth)
    and a k:1 word select, else more URAM288s in depth and a bank select, both a LUT per bit
    for up to 4 (Yosys: 8 x 6272 and 36 x 4097 in one URAM288 with 8 and 36 LUT3, 72 x 6000
    in two with 72). Vivado packs no words side by side; it cascades URAM288s in depth,
    through their built-in cascade, so a narrow deep FIFO can take more of them there."""
    if width <= 0 or depth <= 0:
        return 0, 0
    banks = math.ceil(depth / URAM_DEPTH)
    k = 1 << clog2(banks)
    if k * width <= URAM_WIDTH:
        return 1, width * math.ceil((k - 1) / 3)
    return math.ceil(width / URAM_WIDTH) * banks, width * math.ceil((banks - 1) / 3)


def lutram_lut(width: int, depth: int) -> int:
    """LUTs of a LUTRAM with one write and one read port, as synth_xilinx maps it: 32 deep
    6 bits per RAM32M (4 LUTs), 64 deep 3 bits per RAM64M, deeper a RAM64M per 3 bits per 64
    words (Yosys: 8 x 128 24 LUTRAM LUTs, 1 x 1024 64; the read mux over the 64-word banks is
    the caller's logic)."""
    if not width or not depth:
        return 0
    if depth <= 32:
        return 4 * math.ceil(width / 6)
    return 4 * math.ceil(width / 3) * math.ceil(depth / 64)


def rom_lut(bits: int, depth: int) -> int:
    """LUTs of a constant table of `depth` words that feeds logic (per-channel parameters read
    by a channel-fold counter), once synthesis flattens the design and sees its contents. One
    word is constants that fold into the logic; up to 4 words, the two address bits fit into
    the LUTs the bits feed, so most of the table merges away; deeper, about a LUT per bit per
    64 words. Fitted to Yosys synth_xilinx -flatten on RPReLU (40 parameter bits a lane:
    11 LUT a lane at 4 words, 36 at 8, 42 at 32); FixedAffine and Thresholding state their
    own figures with it."""
    if depth <= 1 or bits <= 0:
        return 0
    if depth <= 4:
        return math.ceil(0.25 * bits)
    if depth <= 8:
        return math.ceil(0.9 * bits)
    return bits * math.ceil(depth / 64)


# Weight ROMs (binary MVAU): a LUT ROM costs a LUT per bit of word width per 64 words, so up to
# 64 words it is one LUT per weight bit read each cycle (one per SIMD*PE lane), below any block
# RAM; deeper it would be two or more per lane, and block RAM is cheaper.
WEIGHT_ROM_LUT_DEPTH = 64


# A weight ROM read through a register (the binary MVAU's) of at most this many words: each
# bit is a function of at most two address bits, which Yosys folds into the word register's
# set, reset and enable (a 288-lane, 4-word ROM took no LUTs beside its flip-flops)
REGISTERED_ROM_FREE_DEPTH = 4


def registered_rom_lut(width: int, depth: int, style: str = "auto") -> int:
    """LUTs of a `width` x `depth` LUT ROM read through a register (the binary MVAU's weight
    ROM), for weights that look random. Up to REGISTERED_ROM_FREE_DEPTH words, none. Up to 8,
    each bit is one of the 256 functions of three address bits and Yosys merges equal ones (and
    their flip-flops) into one LUT: of `width` random bits, 248 * (1 - (255/256)**width) are
    distinct and not a constant or an address bit (a 288-bit, 8-word ROM: 157 LUT, this 168).
    Deeper, memory_cost's mux tree."""
    if depth <= REGISTERED_ROM_FREE_DEPTH:
        return 0
    if depth <= 8:
        return min(width, round(248 * (1 - (255 / 256) ** width)))
    return memory_cost(width, depth, "rom", style)["lut"]


def weight_rom_style(depth: int, style: str = "auto") -> str:
    """Where a weight ROM of `depth` words goes: "distributed" (LUTs) or "block" (RAMB18/36,
    the aspect that takes fewest RAMB18s, bram18()). The rule: block RAM when it is deeper than
    64 words (WEIGHT_ROM_LUT_DEPTH), whatever its width, so that no wide word memory sits in
    LUTs where a block RAM costs less; LUTs up to 64 words. An op's ram_style overrides it;
    "ultra" gives block RAM too: UltraScale+ URAM288 has no initial contents, so a ROM cannot
    live there (URAM suits the RAMs: FIFOs and frame buffers)."""
    if depth <= 1:
        return "distributed"  # one word: constants in logic
    if style == "distributed":
        return "distributed"
    if style in ("block", "ultra"):
        return "block"
    return "block" if depth > WEIGHT_ROM_LUT_DEPTH else "distributed"


def memory_cost(width: int, depth: int, read: str = "sync", style: str = "auto") -> dict[str, int]:
    """{"lut", "bram18", "uram"} of a width x depth memory read `read` ("sync", "async",
    "rom"), placed as `style` says ("auto": by size, as Vivado infers; "ultra" places RAMs
    only, a ROM goes to block RAM)."""
    none = {"lut": 0, "bram18": 0, "uram": 0}
    bits = width * depth
    if bits == 0:
        return none
    if read == "async":
        return {**none, "lut": lutram_lut(width, depth)}
    if read == "rom":
        if depth == 1:
            return none  # a single word is constants
        in_luts = bits <= ROM_BITS_PER_BRAM18 * bram18(width, depth)
        if style == "distributed" or (style == "auto" and in_luts):
            # a mux tree over the whole address space: 144 words cost as much as 256
            return {**none, "lut": width * max(1, (1 << address_bits(depth)) // 64)}
    elif style == "distributed" or (style == "auto" and (bits <= LUTRAM_MAX_BITS or depth <= LUTRAM_MAX_DEPTH)):
        return {**none, "lut": width * math.ceil(depth / 64)}
    if style == "ultra" and read != "rom":  # a URAM288 has no initial contents: a ROM stays in block RAM
        uram, mux = uram288(width, depth)
        return {**none, "uram": uram, "lut": mux}
    return {**none, "bram18": bram18(width, depth)}


def fifo_cost(width: int, depth: int, style: str = "auto") -> dict[str, int]:
    """bnf_fifo of `depth` words: its storage (read synchronously; in LUTRAM as lutram_lut
    counts it), the output register (inside the block RAM when there is one), read and write
    pointers (address_bits each) and the fill count (clog2(depth + 1)).

    Control LUTs fitted to Yosys synth_xilinx xc7 (-flatten), 21 FIFO shapes of the tiny zoo
    models: LUTRAM 2 deep (8 to 288 bits) 9 LUT beside the LUTRAM at every width (this model
    9), 16 x 32 29 LUT / 33 FF (29 / 33); block RAM with a depth that is not a power of two
    (70 to 361 deep, 16 to 512 bits) 29-47 LUT, mean 34 (the pointers' wrap compares; this
    model 2 * address bits + 18: 32-36); a power of two wraps for free: 64 x 1024 23 LUT /
    32 FF / 4 BRAM18 (23 / 32 / 4). Flip-flops are exact: the pointers, the count, the
    output valid, and the output register when it is not the block RAM's."""
    aw = address_bits(depth)
    cw = clog2(depth + 1)
    mem = memory_cost(width, depth, "sync", style)
    in_luts = mem["bram18"] == 0 and mem["uram"] == 0
    if in_luts:
        control = 2 * aw + 7
    else:
        control = aw + 13 if depth == 1 << aw else 2 * aw + 18
    return {"lut": (lutram_lut(width, depth) if in_luts else mem["lut"]) + control,
            "ff": (width if in_luts else 0) + 2 * aw + cw + 1, "bram18": mem["bram18"], "uram": mem["uram"], "dsp": 0}
