"""Benchmark: whole networks through the command line, as a user runs them. A record, not
pass/fail. Results: bench/results/network_cycles.json.

- simulated cycles per frame (no stalls) over the estimate's, and first-in-to-last-out latency
  simulated and estimated, for the tiny zoo networks (Icarus; target ratio <= 1.02);
- simulation speed on Icarus and Verilator for one tiny network: simulated cycles per wall
  second of a whole `bnnforge sim` run whose simulator is already built (so the process start,
  cocotb's start and the testbench are in it: a lower bound of the simulator's own speed);
- `bnnforge build` wall time of the full-size bcdnet-a and bcdnet-b (224x224), unless --quick.

    .venv/bin/python bench/network_cycles.py [--quick] [--models NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "network_cycles.json"
TINY = ["reactnet-tiny", "bcdnet-a-tiny", "bcdnet-b-tiny", "ftbnn-tiny"]
FULL = ["bcdnet-a", "bcdnet-b"]
TARGET_CYCLES, IMAGES = 256, 6


def cli(*args: str) -> float:
    """Run `bnnforge ARGS`; its wall seconds (a failure stops the benchmark with its output)."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "bnnforge.generator.cli", *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"bnnforge {' '.join(args)} failed:\n{p.stdout}{p.stderr}")
    return time.perf_counter() - t0


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def network_row(model: str, work: Path) -> dict:
    out = work / model
    cli("build", model, "--out", str(out), "--images", str(IMAGES), "--target-cycles", str(TARGET_CYCLES), "--force")
    cli("sim", str(out), "--simulator", "icarus", "--images", str(IMAGES), "--quiet")
    r = report(out)
    t, lat = r["throughput"], r["latency"]
    return {"model": model, "target_cycles": TARGET_CYCLES, "images": IMAGES,
            "rtl_mismatches": r["verification"]["rtl_mismatches"],
            "cycles_per_frame_estimate": t["cycles_per_frame_estimate"], "cycles_per_frame_sim": t["cycles_per_frame_sim"],
            "sim_over_estimate": round(t["cycles_per_frame_sim"] / t["cycles_per_frame_estimate"], 3),
            "latency_estimate": lat["cycles_estimate"], "latency_sim": lat["cycles_sim"],
            "fifo_bram18": sum(x["estimate"]["bram18"] for x in r["interconnect"] if x["op"] == "FIFO")}


def speed_rows(model: str, work: Path) -> list[dict]:
    """Cycles per second: two runs per simulator (the first builds the simulation, the
    second reuses it), the second timed."""
    out = work / model
    rows = []
    for simulator in ("icarus", "verilator"):
        cli("sim", str(out), "--simulator", simulator, "--images", str(IMAGES), "--quiet")
        seconds = cli("sim", str(out), "--simulator", simulator, "--images", str(IMAGES), "--quiet")
        cycles = report(out)["latency"]["cycles_sim"] + (IMAGES - 1) * report(out)["throughput"]["cycles_per_frame_sim"]
        rows.append({"model": model, "simulator": simulator, "simulated_cycles": cycles, "wall_seconds": round(seconds, 1),
                     "cycles_per_second": round(cycles / seconds)})
    return rows


def build_rows(work: Path) -> list[dict]:
    rows = []
    for model in FULL:
        seconds = cli("build", model, "--out", str(work / model), "--force")
        r = report(work / model)
        rows.append({"model": model, "input": "224x224", "build_seconds": round(seconds, 1), "ops": len(r["layers"]),
                     "lut_estimate": r["totals"]["estimate"]["lut"]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="no full-size build times")
    ap.add_argument("--models", nargs="+", default=TINY)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bnnforge_bench_") as tmp:
        work = Path(tmp)
        networks = [network_row(m, work) for m in args.models]
        speed = speed_rows(args.models[0], work)
        builds = [] if args.quick else build_rows(work)
    result = {"machine": f"{os.cpu_count()} cores", "networks": networks, "simulation_speed": speed, "builds": builds}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for row in networks:
        print(f"{row['model']:<14} {row['cycles_per_frame_sim']:>6} / {row['cycles_per_frame_estimate']:<6} cycles/frame "
              f"(x{row['sim_over_estimate']}), latency {row['latency_sim']} simulated, {row['latency_estimate']} estimated")
    for row in speed:
        print(f"{row['simulator']:<10} {row['cycles_per_second']:>8} cycles/s")
    for row in builds:
        print(f"build {row['model']:<9} {row['build_seconds']:>6.1f} s")


if __name__ == "__main__":
    main()
