"""Benchmark: a full-size network on a part at a clock, the question a user asks before a day
in Vivado: how fast is the fastest folding that fits, or what stops it and by how much.

Defaults: BCDNet-A (224x224) on xczu7ev at 200 MHz against a 2,000 frames/s target. It runs
the same auto folding `bnnforge build --fold auto --part P --target-fps F` runs
(graph.fit_to_part): the target's own folding first, then, if that does not fit, the
fastest folding that does. Beside the answer it records where the memory goes: weights
(binary MVAU weight ROMs, which stay in block RAM: UltraRAM has no initial contents) against
the rest, per kind of op, and each resource's share of the part at the target.

    .venv/bin/python bench/fit_part.py [--model bcdnet-a] [--part xczu7ev] [--clock-mhz 200]
                                       [--target-fps 2000] [--out bench/results/fit_part.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "fit_part.json"


def memory_by_kind(graph) -> dict:  # noqa: ANN001
    """{op type: {"bits", "floor_bits"}} of the graph's ops, as the report counts them."""
    from bnnforge.generator.passes.folding import hw_ops

    bits, floor = Counter(), Counter()
    for op in hw_ops(graph):
        m = op.memory_bits()
        kind = op.onnx_node.op_type
        bits[kind] += m["bits"]
        floor[kind] += m["floor_bits"]
    return {k: {"bits": bits[k], "floor_bits": floor[k]} for k in sorted(bits, key=bits.get, reverse=True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="bcdnet-a")
    ap.add_argument("--part", default="xczu7ev")
    ap.add_argument("--clock-mhz", type=float, default=200.0)
    ap.add_argument("--target-fps", type=float, default=2000.0)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    from bnnforge.generator.build import resolve_source
    from bnnforge.generator.dataflow import build_dataflow
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.graph import cycles_for_fps, fit_to_part
    from bnnforge.generator.hwops.memory import BRAM18_BITS
    from bnnforge.generator.passes.folding import AutoFolding
    from bnnforge.generator.report.devices import find_device
    from bnnforge.quant.errors import BnnforgeError

    t0 = time.perf_counter()
    device = find_device(args.part)
    src = resolve_source(args.model, {})
    _, graph = build_dataflow(src.model, batch=1)
    target = cycles_for_fps(args.target_fps, args.clock_mhz)

    def summary(g) -> dict:  # noqa: ANN001
        est = estimate_graph(g, memory=False)
        used, cycles = est["totals"]["estimate"], est["throughput"]["cycles_per_frame_estimate"]
        util = device.utilisation(used)
        return {"cycles_per_frame": cycles, "fps": round(args.clock_mhz * 1e6 / cycles, 1), "estimate": used,
                "utilisation": {k: round(v, 3) for k, v in util.items()}, "fits": device.fits(used)}

    at_target = graph.transform(AutoFolding(target), cleanup=False)
    record = {"model": args.model, "input_shape": list(src.model.input_shape), "part": device.part,
              "clock_mhz": args.clock_mhz, "target_fps": args.target_fps, "target_cycles": target,
              "at_target": summary(at_target), "memory_by_op": memory_by_kind(at_target),
              "part_memory_bits": device.memory_bits()}
    record["memory_floor_bits"] = sum(v["floor_bits"] for v in record["memory_by_op"].values())
    # the parameter ROMs of the MVAUs can live only in block RAM or LUTs (no UltraRAM contents)
    record["mvau_weight_bits"] = sum(v["bits"] for k, v in record["memory_by_op"].items() if k.endswith("MVAU"))
    record["part_block_ram_bits"] = device.bram18 * BRAM18_BITS
    try:
        fitted, warnings = fit_to_part(graph, device, None, args.clock_mhz)
        record["fastest_fitting"] = summary(fitted)
        record["message"] = "; ".join(warnings) or "the target's folding fits"
    except BnnforgeError as e:
        record["fastest_fitting"] = None
        record["message"] = str(e)
    if not record["fastest_fitting"] or not record["fastest_fitting"]["fits"]:
        util = record["at_target"]["utilisation"]
        worst = max(util, key=util.get)
        record["stopped_by"] = {"resource": worst, "times_the_part": util[worst]}
    record["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("model", "part", "target_fps", "message")}, indent=1))
    print(f"wrote {args.out} ({record['seconds']} s)")


if __name__ == "__main__":
    main()
