"""RTL of the binary MVAU under cocotb (Icarus and Verilator): bit-exact with the golden
model under random stalls, and its cycles equal the cost model. Covers the streamed-weight
form (PE/SIMD folding, padding correction), grouped convs, the fully unrolled
constant-weight form (bnf_binary_mvau_const) and the fused threshold output."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from tests.rtl_harness import simulator_params, verify_op_rtl

# (H, W, Cin, Cout, kernel, stride, pad, PE, SIMD, groups, thresholds)
CASES = {
    "3x3_odd_5x5": (5, 5, 4, 6, 3, 1, 1, 3, 12, 1, 0),
    "3x3_s2_7x6": (7, 6, 2, 4, 3, 2, 1, 1, 9, 1, 0),
    # SIMD | Cin, SIMD even: padded steps read a weight word of SIMD/2 ones (PAD_STEP), the
    # bias per output only
    "3x3_padstep_6x5": (6, 5, 8, 6, 3, 1, 1, 3, 4, 1, 0),
    "3x3_padstep_s2_pad2_7x7": (7, 7, 4, 4, 3, 2, 2, 2, 4, 1, 0),
    "thresh_padstep_5x6": (5, 6, 6, 4, 3, 1, 1, 2, 2, 1, 1),
    # 1152 weight words of 32 bits: sliced in block RAM, the input vector in its spare rows
    "sliced_padstep_3x2": (3, 2, 64, 64, 3, 1, 1, 4, 8, 1, 0),
    # the same at PE 1, SIMD 32: the lane's counting chains over 11 triples (2 steps each)
    "sliced_padstep_simd32_3x2": (3, 2, 64, 64, 3, 1, 1, 1, 32, 1, 0),
    # SIMD 24: 8 triples, the chains' last step only a carry-in; SIMD 64: 22 triples, 4 steps
    "1x1_simd24_3x3": (3, 3, 48, 8, 1, 1, 0, 2, 24, 1, 0),
    "1x1_simd64_2x2": (2, 2, 128, 4, 1, 1, 0, 2, 64, 1, 0),
    # SIMD = MW: a vector is one word, which the input register keeps for the later folds
    "1x1_sf1_4x4": (4, 4, 16, 8, 1, 1, 0, 2, 16, 1, 0),
    # SIMD 120: 40 triples, beyond the lane's chains: a popcount tree and an adder
    "1x1_simd120_2x2": (2, 2, 240, 4, 1, 1, 0, 1, 120, 1, 0),
    # grouped: g 2 loads a vector exactly as fast as its folds use it (NF = g); g 4 with slack
    # (and SIMD 3, odd: the per-border-class bias table)
    "grouped_g2_5x5": (5, 5, 8, 8, 3, 1, 1, 4, 2, 2, 0),
    "grouped_g4_s2_7x5": (7, 5, 12, 8, 3, 2, 1, 1, 3, 4, 0),
    # fully unrolled (PE = MH, SIMD = MW): constant weights and corrections in logic
    "const_1x1": (4, 4, 16, 8, 1, 1, 0, 8, 16, 1, 0),
    "const_3x3_5x4": (5, 4, 2, 5, 3, 1, 1, 5, 18, 1, 0),
    # fused batch norm + sign: output bits dot >= t
    "thresh_3x3_6x6": (6, 6, 4, 6, 3, 1, 1, 2, 6, 1, 1),
}
# C-simulation only: weight words over ap_int's default 1024-bit limit (PE*SIMD = 2048)
WIDE_CASES = {"wide_words_1x1": (2, 2, 256, 16, 1, 1, 0, 8, 256, 1, 0)}
WEIGHT_SEED = 1234  # the op's parameters do not depend on the run's seed: one build per case


def pixels(case: str) -> int:
    h, w, _, _, k, s, p, *_ = CASES[case]
    return ((h + 2 * p - k) // s + 1) * ((w + 2 * p - k) // s + 1)


def build_case(name: str, frames: int, seed: int):  # noqa: ANN201
    """(op, [input bits], weights (a (w, t) tuple with thresholds), expected output)."""
    h, w, cin, cout, k, s, p, pe, simd, g, thr = {**CASES, **WIDE_CASES}[name]
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    mw = k * k * cin // g
    dt = "BINARY" if thr else f"INT{bits_for(-mw, mw)}"
    swg = getCustomOp(helper.make_node("SlidingWindow", ["x"], ["y"], domain=DOMAIN, ifm_dim=[h, w], channels=cin,
                                       kernel=k, stride=s, pad=p, out_shape=[frames, oh, ow, k * k * cin],
                                       out_dtype="BINARY"))
    mvau = getCustomOp(helper.make_node("BinaryMVAU", ["x", "w", "t"] if thr else ["x", "w"], ["y"], domain=DOMAIN,
                                        MW=mw, MH=cout, PE=pe, SIMD=simd, groups=g, kernel=k, stride=s, pad=p,
                                        ifm_dim=[h, w], thresholds=thr, out_shape=[frames, oh, ow, cout],
                                        out_dtype=dt))
    mvau.set_folding({"PE": pe, "SIMD": simd})  # records the form the folding implies
    prm = np.random.default_rng(WEIGHT_SEED)
    weights = prm.integers(0, 2, (cout, mw))
    params = weights
    if thr:
        t = prm.integers(-10, 11, cout)
        t[0], t[1] = -mw - 4, mw + 1  # beyond the dot range: clipped, constant outputs
        params = (weights, t)
    maps = np.random.default_rng(seed).integers(0, 2, (frames, h, w, cin))
    x = swg.golden(maps) if (k, s, p) != (1, 1, 0) else maps
    want = mvau.golden(x, *(params if thr else (params,)))
    return mvau, [x], params, want


# Verilator: one case of each generate branch (border-class table, padded steps, the vector
# in the weight slices' spare rows, one-word vector, 2-step lane chains, the popcount tree,
# grouped, fully unrolled, thresholds)
VERILATOR_CASES = {"3x3_odd_5x5", "3x3_padstep_6x5", "sliced_padstep_3x2", "1x1_sf1_4x4", "1x1_simd24_3x3",
                   "1x1_simd120_2x2", "grouped_g4_s2_7x5", "const_3x3_5x4", "thresh_3x3_6x6"}


@pytest.mark.parametrize("case,simulator", simulator_params(list(CASES), VERILATOR_CASES))
def test_binary_mvau_rtl(case: str, simulator: str) -> None:
    # at least 1000 random input vectors under stalls; 24 of the sliced case's 1152 steps each
    frames = 4 if case.startswith("sliced") else -(-1000 // pixels(case))
    assert frames * pixels(case) >= (24 if case.startswith("sliced") else 1000)
    verify_op_rtl(functools.partial(build_case, case), simulator, stall_frames=frames, seed=7)


def test_forms_selected_by_folding() -> None:
    built = {case: build_case(case, 1, 0) for case in CASES}
    forms = {case: b[0] for case, b in built.items()}
    modules = {case: op.rtl(*(p if isinstance(p, tuple) else (p,))).module for case, (op, _, p, _) in built.items()}
    assert {c for c, m in modules.items() if m == "bnf_binary_mvau_const"} == {"const_1x1", "const_3x3_5x4"}
    # padding by marked steps exactly where an even SIMD divides the channels of a tap
    assert {c for c, f in forms.items() if f.pad_steps()} == {c for c in CASES if "padstep" in c} | {"grouped_g2_5x5"}
    # the input vector in the weight memory's spare rows exactly where the weights are sliced
    assert {c for c, f in forms.items() if f.xbuf_spare()} == {"sliced_padstep_3x2", "sliced_padstep_simd32_3x2"}
    assert forms["sliced_padstep_3x2"].weight_slice_bits() == 9
    g2 = forms["grouped_g2_5x5"]
    assert g2.fold_params() == {"PE": [1, 2, 4], "SIMD": [1, 2, 4]}  # MH/g = 4, Cin/g = 4
    assert g2.latency() == 3 * 18 and g2.cycles() == 25 * 2 * 18
