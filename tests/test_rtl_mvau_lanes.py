"""The streamed binary MVAU's lane forms that tests/test_rtl_mvau.py does not reach, bit-exact
under random stalls in Icarus and Verilator: a 1x1 conv without padding or thresholds (every
accumulator starts from one constant, loaded by the flip-flops' set/reset: FIXED_START) whose
weight ROM is deeper than 64 words (block RAM: WROM_BLOCK), the same with a 1152-word ROM in
the "sliced" layout (one memory file per 9-bit slice: WROM_SLICE) and in the "banked" one, and
a 1x1 conv with fused thresholds (one border class: no pixel counters, per-output start
table). Yosys maps the two layouts as the cost model counts them."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.emit.rtl import verilog_parameters
from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from bnnforge.generator.synth import synth_xilinx
from bnnforge.sim.runner import rtl_sources
from tests.rtl_harness import verify_op_rtl

# (H, W, Cin, Cout, PE, SIMD, thresholds, weight_layout)
CASES = {
    "fixed_start_block_rom": (3, 3, 64, 32, 2, 8, 0, "sliced"),     # 16 x 8 = 128 weight words
    "sliced_rom": (2, 1, 576, 64, 4, 8, 0, "sliced"),               # 1152 x 32: four 2048 x 9
    "banked_rom": (2, 1, 576, 64, 4, 8, 0, "banked"),               # three 512 x 36 and a mux
    "thresholds_one_class": (3, 2, 24, 12, 3, 6, 1, "sliced"),
}


def build_case(name: str, frames: int, seed: int):  # noqa: ANN201
    h, w, cin, cout, pe, simd, thr, layout = CASES[name]
    dt = "BINARY" if thr else f"INT{bits_for(-cin, cin)}"
    op = getCustomOp(helper.make_node("BinaryMVAU", ["x", "w", "t"] if thr else ["x", "w"], ["y"], domain=DOMAIN,
                                      MW=cin, MH=cout, PE=pe, SIMD=simd, kernel=1, stride=1, pad=0, ifm_dim=[h, w],
                                      thresholds=thr, out_shape=[frames, h, w, cout], out_dtype=dt,
                                      weight_layout=layout))
    op.set_folding({"PE": pe, "SIMD": simd})
    prm = np.random.default_rng(99)
    weights = prm.integers(0, 2, (cout, cin))
    params = (weights, prm.integers(-8, 9, cout)) if thr else weights
    x = np.random.default_rng(seed).integers(0, 2, (frames, h, w, cin))
    return op, [x], params, op.golden(x, *(params if thr else (params,)))


def test_forms() -> None:
    op, _, params, _ = build_case("fixed_start_block_rom", 1, 0)
    p = op.rtl(params).parameters
    assert (p["FIXED_START"], p["WROM_BLOCK"], p["START"]) == (1, 1, (-64) % (1 << op.acc_width()))
    assert p["WROM_SLICE"] == 0  # 128 x 16 is one 512 x 36 bank: one memory has no multiplexer
    op, _, params, _ = build_case("sliced_rom", 1, 0)
    inst = op.rtl(params)
    assert inst.parameters["WROM_SLICE"] == 9
    _, files = verilog_parameters(inst)
    slices = sorted(f for f in files if f.startswith("weight_file_s"))
    assert slices == [f"weight_file_s{i:03d}.mem" for i in range(4)]
    # slice 1 holds bits 9..17 of every word
    words = inst.parameters["WEIGHT_FILE"].words
    assert [int(v, 16) for v in files[slices[1]].split()] == [(v >> 9) & 0x1FF for v in words]
    op, _, params, _ = build_case("banked_rom", 1, 0)
    assert op.rtl(params).parameters["WROM_SLICE"] == 0
    op, _, params, _ = build_case("thresholds_one_class", 1, 0)
    p = op.rtl(*params).parameters
    assert (p["FIXED_START"], p["WROM_BLOCK"]) == (0, 0)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_streamed_mvau_rtl(case: str, simulator: str) -> None:
    verify_op_rtl(functools.partial(build_case, case), simulator, stall_frames=4 if case in ("sliced_rom", "banked_rom") else 12, seed=5)


@pytest.mark.yosys
@pytest.mark.parametrize("case,bram18", [("sliced_rom", 4), ("banked_rom", 3)])
def test_weight_layout_in_yosys(case: str, bram18: int) -> None:
    # sliced: a RAMB18 per 9-bit slice and no read multiplexer; banked: one RAMB18 fewer and
    # a LUT per word bit to pick the bank
    op, _, params, _ = build_case(case, 1, 0)
    inst = op.rtl(params)
    values, files = verilog_parameters(inst)
    got = synth_xilinx(inst.module, rtl_sources(*inst.files), values, files)
    est = op.estimate()
    assert got["bram18"] == est["bram18"] == bram18
    assert abs(got["lut"] - est["lut"]) <= 0.1 * got["lut"], (got, est)
