"""Benchmark: the streamed binary MVAU (bnf_binary_mvau.v) per SIMD*PE lane on a BCDNet-sized
table of layers (1x1 and 3x3, 64x64 to 4608x512), Yosys synth_xilinx (xc7) next to our cost
model and next to FINN's own LUT estimate (MVAU_hls.lut_estimation, binaryXnorMode) for the
same MW/MH/PE/SIMD. A record, not pass/fail. Results: bench/results/mvau_lanes.json.

    .venv/bin/python bench/mvau_lanes.py [--only NAME ...] [--jobs N]

LUT per lane counts everything in the module: XNOR-popcount, accumulators, weight memory
read, padding-correction table, input buffer, counters. Each layer's folding is the one the
folding search (passes/folding.py) would give the MVAU alone at that many lanes: of the legal
PE x SIMD = lanes, the least estimated area (in a network the search also counts the window
generator that feeds a 3x3 layer, whose cost depends on SIMD).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.emit.rtl import verilog_parameters
from bnnforge.generator.hwops import DOMAIN
from bnnforge.generator.hwops.base import bits_for
from bnnforge.generator.passes.folding import area
from bnnforge.generator.synth import synth_xilinx, yosys_version
from bnnforge.sim.runner import rtl_sources

RESULTS = Path(__file__).parent / "results" / "mvau_lanes.json"
FINN_PART = "xczu7ev-ffvc1156-2-e"

# name: (kernel, channels in, channels out, lanes = PE * SIMD, feature map side)
LAYERS = {
    "1x1_64x64_l32": (1, 64, 64, 32, 56),
    "3x3_576x64_l32": (3, 64, 64, 32, 56),
    "3x3_576x64_l512": (3, 64, 64, 512, 56),
    "1x1_256x256_l512": (1, 256, 256, 512, 14),
    "1x1_1024x1024_l512": (1, 1024, 1024, 512, 7),
    "3x3_1152x128_l1024": (3, 128, 128, 1024, 28),
    "1x1_1024x1024_l2048": (1, 1024, 1024, 2048, 7),
    "3x3_4608x512_l2048": (3, 512, 512, 2048, 7),
}


def folding(k: int, cin: int, cout: int, lanes: int, h: int) -> tuple[int, int]:
    """(PE, SIMD) as the folding search ranks the MVAU alone at this many lanes: the least
    area (passes/folding.area; at equal lanes the cycles are equal)."""
    op = mvau(k, cin, cout, 1, 1, h)
    legal = op.fold_params()
    found = []
    for pe in legal["PE"]:
        if lanes % pe == 0 and lanes // pe in legal["SIMD"]:
            op.set_folding({"PE": pe, "SIMD": lanes // pe})
            found.append((area(op.estimate()), pe, lanes // pe))
    if not found:
        raise SystemExit(f"no legal folding of {k}x{k} {cin}->{cout} has {lanes} lanes")
    return min(found)[1:]


def mvau(k: int, cin: int, cout: int, pe: int, simd: int, h: int):  # noqa: ANN201
    """Our BinaryMVAU with this folding (dots out, zero padding for 3x3)."""
    mw = k * k * cin
    node = helper.make_node("BinaryMVAU", ["i0", "i1"], ["y"], domain=DOMAIN, MW=mw, MH=cout, PE=pe, SIMD=simd,
                            kernel=k, stride=1, pad=k // 2, ifm_dim=[h, h], groups=1, thresholds=0,
                            out_shape=[1, h, h, cout], out_dtype=f"INT{bits_for(-mw, mw)}")
    op = getCustomOp(node)
    op.set_folding({"PE": pe, "SIMD": simd})
    return op


def finn_lut(mw: int, mh: int, pe: int, simd: int, h: int) -> dict:
    """FINN's estimate of its own binary (XNOR) MVAU_hls at this folding."""
    import finn.custom_op.fpgadataflow.hls  # noqa: F401  (registers the HLS layers)

    acc = f"UINT{bits_for(0, mw)}"
    node = helper.make_node("MVAU_hls", ["x", "w"], ["y"], domain="finn.custom_op.fpgadataflow.hls", MW=mw, MH=mh,
                            PE=pe, SIMD=simd, binaryXnorMode=1, inputDataType="BINARY", weightDataType="BINARY",
                            outputDataType=acc, accDataType=acc, noActivation=1, mem_mode="internal_decoupled",
                            numInputVectors=[1, h, h])
    op = getCustomOp(node)
    return {"lut": int(op.lut_estimation(FINN_PART)), "bram18": int(op.bram_estimation(FINN_PART)),
            "uram": int(op.uram_estimation(FINN_PART))}


def run_layer(name: str) -> dict:
    k, cin, cout, lanes, h = LAYERS[name]
    pe, simd = folding(*LAYERS[name])
    op = mvau(k, cin, cout, pe, simd, h)
    w = np.random.default_rng(sum(map(ord, name))).integers(0, 2, (cout, k * k * cin))
    inst = op.rtl(w)
    values, files = verilog_parameters(inst)
    start = time.monotonic()
    syn = synth_xilinx(inst.module, rtl_sources(*inst.files), values, files, timeout=3600)
    est = op.estimate()
    finn = finn_lut(k * k * cin, cout, pe, simd, h)
    lanes = pe * simd
    return {"case": name, "kernel": k, "MW": k * k * cin, "MH": cout, "PE": pe, "SIMD": simd, "ifm": h,
            "lanes": lanes, "weight_words": op.weight_folds(), "synth": syn,
            "estimate": {key: est[key] for key in ("lut", "ff", "bram18", "uram")},
            "finn_estimate": finn, "lut_per_lane": round(syn["lut"] / lanes, 2),
            "estimate_error": round(est["lut"] / syn["lut"] - 1, 3),
            "ratio_to_finn": round(syn["lut"] / finn["lut"], 3),
            "wall_seconds": round(time.monotonic() - start, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", metavar="NAME", help=f"cases: {', '.join(LAYERS)}")
    ap.add_argument("--jobs", type=int, default=1, help="Yosys runs at once")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--reestimate", action="store_true",
                    help="no synthesis: put today's cost-model estimates beside the recorded Yosys figures")
    args = ap.parse_args()
    if args.reestimate:
        data = json.loads(args.out.read_text())
        for row in data["results"]:
            k, cin, cout, _, h = LAYERS[row["case"]]
            est = mvau(k, cin, cout, row["PE"], row["SIMD"], h).estimate()
            row["estimate"] = {key: est[key] for key in ("lut", "ff", "bram18", "uram")}
            row["estimate_error"] = round(est["lut"] / row["synth"]["lut"] - 1, 3)
            print(row["case"], row["synth"]["lut"], est["lut"], row["estimate_error"])
        args.out.write_text(json.dumps(data, indent=2) + "\n")
        return
    names = args.only or list(LAYERS)
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        ap.error(f"unknown case {unknown[0]!r}; cases: {', '.join(LAYERS)}")
    old = json.loads(args.out.read_text()).get("results", []) if args.out.exists() else []
    rows = {r["case"]: r for r in old}
    with ThreadPoolExecutor(args.jobs) as pool:
        for row in pool.map(run_layer, names):
            rows[row["case"]] = row
            print(json.dumps({k: row[k] for k in ("case", "lanes", "lut_per_lane", "ratio_to_finn",
                                                  "estimate_error")}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ordered = [rows[n] for n in LAYERS if n in rows]
    args.out.write_text(json.dumps({"tool": f"{yosys_version()}: synth_xilinx -family xc7 -flatten",
                                    "finn": f"MVAU_hls.lut_estimation (binaryXnorMode, {FINN_PART})",
                                    "results": ordered}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
