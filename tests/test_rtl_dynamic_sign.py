"""RTL and HLS of DynamicSign (BCDNet-B's input-dependent binarization): bit-exact with the
golden model under random stalls on Icarus and Verilator, cycles and latency equal the cost
model, C-simulation bit-exact; and the property the block depends on: the unit takes in
a whole frame of x before its thresholds v exist (its one-frame ring, then it backpressures),
and streams the frames out correctly once v arrives late."""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

import cocotb
import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.sim.csim import csim
from bnnforge.generator.hwops import DOMAIN
from tests.rtl_harness import BUILD_ROOT, assert_hls_rate, run_op_rtl, verify_op_rtl

# (H, W, C, PE, x_frac, v_frac, in_bits, v_bits (0: in_bits))
CASES = {"4x4x8_pe4": (4, 4, 8, 4, 8, 8, 16, 0), "3x5x6_pe2_x6_v8": (3, 5, 6, 2, 6, 8, 16, 0),
         "5x3x5_pe1_x8_v4": (5, 3, 5, 1, 8, 4, 9, 12)}
# words of the next frame the ring also holds (SizeFIFOs sets it in a graph): frames then
# start anywhere in the ring
RING_WAIT = {"3x5x6_pe2_x6_v8": 7}


def signed(rng: np.random.Generator, bits: int, shape: tuple) -> np.ndarray:
    return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), shape)


def build(case: str):  # noqa: ANN201
    h, w, c, pe, fx, fv, xb, vb = CASES[case]

    def make(frames: int, seed: int):  # noqa: ANN202
        op = getCustomOp(helper.make_node("DynamicSign", ["x", "v", "t"], ["y"], domain=DOMAIN, PE=pe, x_frac=fx,
                                          v_frac=fv, in_bits=xb, v_bits=vb, out_shape=[frames, h, w, c],
                                          out_dtype="BINARY", ring_wait_words=RING_WAIT.get(case, 0)))
        dw = op.diff_bits()
        # static thresholds from a fixed seed (one build for every run), over the whole range
        # of x' - v' and a little beyond it
        t = np.random.default_rng(1234).integers(-(1 << (dw - 1)) - 3, (1 << (dw - 1)) + 4, c)
        t[0] = 0
        rng = np.random.default_rng(seed)
        x = signed(rng, xb, (frames, h, w, c))
        v = signed(rng, op.v_bits(), (frames, c))
        # half of v brings t + v' into x's range, and a third of x lands on or next to its
        # threshold (x' - v' = t, t +- 1 where the grid allows): an off-by-one shows
        sx, sv = op.shifts()
        vlim, xlim = 1 << (op.v_bits() - 1), 1 << (xb - 1 + sx)
        v_in_reach = np.clip((rng.integers(-xlim, xlim, v.shape) - t) >> sv, -vlim, vlim - 1)  # t + v' ~ some x'
        v = np.where(rng.random(v.shape) < 1 / 2, v_in_reach, v)
        tie = (t + (v[:, None, None, :] << sv)) >> sx
        near = np.clip(tie + rng.integers(-1, 2, x.shape), -(1 << (xb - 1)), (1 << (xb - 1)) - 1)
        x = np.where(rng.random(x.shape) < 1 / 3, near, x)
        return op, [x, v], t, op.golden(x, v, t)

    return make


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("case", list(CASES))
def test_dynamic_sign_rtl(case: str, simulator: str) -> None:
    h, w, c, pe, *_ = CASES[case]
    frames = -(-1000 // (h * w * c // pe))
    op, (x, _), _, _ = build(case)(frames, 0)
    assert len(op.in_words(x, np.zeros((frames, c), int))["in0_V"]) >= 1000
    verify_op_rtl(build(case), simulator, frames)


@pytest.mark.parametrize("case", list(CASES))
def test_dynamic_sign_csim(case: str, tmp_path: Path) -> None:
    op, (x, v), t, want = build(case)(12, 5)
    got, trips = csim(op, "dynamic_sign", op.in_words(x, v), 12, tmp_path, t, trips=True)
    assert got == op.out_words(want)
    assert_hls_rate(op, trips)


def test_dynamic_sign_cost_model_reports_the_frame_buffer() -> None:
    op = build("4x4x8_pe4")(1, 0)[0]
    assert op.latency() == 4 * 4 * 8 // 4 + 1 and op.cycles() == 32
    op.set_nodeattr("out_shape", [1, 32, 32, 64])  # one frame: 16384 words of 4 x 16 bits
    assert op.ring_words() == 16384 and op.estimate()["bram18"] == 64  # 1 Mbit: 64 RAMB18, not 128


# ---- v arrives only after x: the unit must not wait for it to take in the frame -----------

LATE_FRAMES = 3


@cocotb.test()
async def late_thresholds_tb(dut) -> None:  # noqa: ANN001
    """cocotb: x streams in with no v at all; exactly the ring's words (one frame) are taken
    and nothing comes out. Then v streams in with random gaps and the output, under random
    backpressure, must equal the golden words, each frame of x entering as the one before
    leaves."""
    from cocotb.clock import Clock
    from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

    spec = json.loads(Path(os.environ["BNF_VECTORS"]).read_text())
    xs, vs, want, ring = spec["x"], spec["v"], spec["out"], spec["ring_words"]
    rng = random.Random(7)
    cocotb.start_soon(Clock(dut.ap_clk, 10, unit="ns").start())
    dut.ap_rst_n.value = 0
    dut.in0_V_TVALID.value = 0
    dut.in1_V_TVALID.value = 0
    dut.out0_V_TREADY.value = 0
    await ClockCycles(dut.ap_clk, 4)
    dut.ap_rst_n.value = 1
    await ClockCycles(dut.ap_clk, 2)
    got: list[int] = []
    xi = vi = 0
    send_v = False
    for cycle in range(20 * (len(xs) + len(want))):
        if cycle == ring + 40:
            assert xi == ring, f"took {xi} x words before any v, want the ring's {ring}"
            assert not got, "output before its thresholds"
            send_v = True
        # drive between edges, sample the handshakes at the rising edge (pre-edge values)
        await FallingEdge(dut.ap_clk)
        dut.in0_V_TVALID.value = int(xi < len(xs))
        dut.in0_V_TDATA.value = xs[min(xi, len(xs) - 1)]
        v_valid = send_v and vi < len(vs) and rng.random() < 0.6
        dut.in1_V_TVALID.value = int(v_valid)
        dut.in1_V_TDATA.value = vs[min(vi, len(vs) - 1)]
        out_ready = rng.random() < 0.7
        dut.out0_V_TREADY.value = int(out_ready)
        await RisingEdge(dut.ap_clk)
        if xi < len(xs) and dut.in0_V_TREADY.value == 1:
            xi += 1
        if v_valid and dut.in1_V_TREADY.value == 1:
            vi += 1
        if out_ready and dut.out0_V_TVALID.value == 1:
            got.append(int(dut.out0_V_TDATA.value))
        if len(got) == len(want) and xi == len(xs):
            break
    assert xi == len(xs) and vi == len(vs), f"took {xi} of {len(xs)} x words, {vi} of {len(vs)} v words"
    assert got == want, f"{sum(a != b for a, b in zip(got, want))} wrong of {len(want)}, got {len(got)} words"


@pytest.mark.parametrize("case", ["3x5x6_pe2_x6_v8"])
def test_dynamic_sign_waits_for_late_thresholds(case: str) -> None:
    from cocotb_tools.runner import get_results, get_runner

    from bnnforge.generator.emit.rtl import verilog_parameters, write_memories
    from bnnforge.sim.runner import find_tools, rtl_sources

    op, (x, v), t, want = build(case)(LATE_FRAMES, 11)
    words = op.in_words(x, v)
    inst = op.rtl(t)
    mem_dir = BUILD_ROOT / "mem" / f"late_{case}"
    params, files = verilog_parameters(inst, mem_dir=mem_dir)
    write_memories(files, mem_dir)
    find_tools("icarus")
    runner = get_runner("icarus")
    build_dir = BUILD_ROOT / os.environ.get("PYTEST_XDIST_WORKER", "main") / f"late_{inst.module}_{case}"
    runner.build(sources=[str(s) for s in rtl_sources(*inst.files)], hdl_toplevel=inst.module,
                 parameters=params, build_dir=build_dir, timescale=("1ns", "1ps"))
    spec = {"x": words["in0_V"], "v": words["in1_V"], "out": op.out_words(want),
            "ring_words": op.ring_words()}
    root = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        vec = Path(tmp) / "vectors.json"
        vec.write_text(json.dumps(spec))
        env = {"BNF_VECTORS": str(vec), "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH"))
                                                                        if p)}
        xml = runner.test(test_module="tests.test_rtl_dynamic_sign", testcase="late_thresholds_tb",
                          hdl_toplevel=inst.module, build_dir=build_dir, test_dir=tmp, extra_env=env,
                          parameters=params)
        ran, failed = get_results(xml)
    assert ran == 1 and not failed, f"late-threshold test failed; see {xml}"
