"""`bnnforge csim DIR`: g++ C-simulation of a build's HLS project on its tb_data (rung 4).

Compiles DIR/hls/<top>_test.cpp with the firmware against the ap_types headers in
firmware/ap_types (no Xilinx tool), runs it on DIR/tb_data, and records in DIR/report.json
the mismatching images and every layer's loop trips per frame (bnf_trips.h: with II=1, the
HLS cycles per frame).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from bnnforge.quant.errors import BnnforgeError
from bnnforge.sim.csim import parse_trips


def cache_root() -> Path:
    """Where compiled simulations are kept between runs (BNNFORGE_CACHE, else ~/.cache/bnnforge)."""
    return Path(os.environ.get("BNNFORGE_CACHE") or Path.home() / ".cache" / "bnnforge")


def _sources(hls: Path, top: str) -> list[Path]:
    needed = [hls / f"{top}_test.cpp", hls / "firmware" / f"{top}.cpp", hls / "firmware" / "ap_types" / "ap_int.h"]
    missing = [p for p in needed if not p.is_file()]
    if missing:
        raise BnnforgeError(f"{missing[0]} is missing: {hls} is not a complete bnnforge HLS project")
    return needed


def compile_csim(hls: Path, top: str) -> Path:
    """The C-simulation executable of the project, compiled once per distinct source tree."""
    gxx = shutil.which("g++")
    if gxx is None:
        raise BnnforgeError("g++ not found; `make setup` installs it (see `bnnforge doctor`)")
    _sources(hls, top)
    digest = hashlib.sha256()
    for path in sorted(p for p in hls.rglob("*") if p.is_file() and "tb_data" not in p.parts):
        digest.update(str(path.relative_to(hls)).encode() + b"\0" + path.read_bytes())
    exe = cache_root() / "csim" / digest.hexdigest()[:20] / "csim"
    if exe.is_file():
        return exe
    exe.parent.mkdir(parents=True, exist_ok=True)
    tmp = exe.with_name(f"csim.{os.getpid()}")
    cmd = [gxx, "-std=c++14", "-O1", "-w", f"-I{hls / 'firmware'}", f"-I{hls / 'firmware' / 'ap_types'}", f"-I{hls}",
           str(hls / f"{top}_test.cpp"), str(hls / "firmware" / f"{top}.cpp"), "-o", str(tmp)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode:
        first = next((line for line in run.stderr.splitlines() if "error" in line), run.stderr.strip()[-300:])
        raise BnnforgeError(f"the HLS project of {top} does not compile with g++: {first}")
    tmp.replace(exe)
    return exe


def run_csim_project(build_dir: Path, top: str, tb_dir: Path, images: int) -> dict:
    """Run the project's test bench on `tb_dir`; returns {"mismatches": [image, ...],
    "trips": {layer: {process: trips per frame}}, "output": text}."""
    exe = compile_csim(Path(build_dir) / "hls", top)
    run = subprocess.run([str(exe), str(Path(tb_dir).resolve())], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        detail = (run.stderr.strip() or run.stdout.strip()).splitlines()
        raise BnnforgeError(f"C-simulation of {top} failed (exit {run.returncode}): "
                            f"{detail[-1] if detail else 'no output'}")
    mismatches = [int(line.split()[2]) for line in run.stdout.splitlines() if line.startswith("MISMATCH image")]
    trips = {}
    for layer, procs in parse_trips(run.stdout).items():
        per_frame = {}
        for proc, n in procs.items():
            if n % images:
                raise BnnforgeError(f"C-simulation of {top}: layer {layer} process {proc} ran {n} loop trips in "
                                    f"{images} frames, not a whole number per frame")
            per_frame[proc] = n // images
        trips[layer] = per_frame
    return {"mismatches": mismatches, "trips": trips, "output": run.stdout}


def csim_command(build_dir: Path, log=None) -> int:  # noqa: ANN001
    """C-simulate a build, record the results in its report.json; exit status 1 on any
    mismatching image."""
    from bnnforge.generator.build import TB_DIR, read_build
    from bnnforge.generator.report.build_report import update_report
    from bnnforge.generator.tb_data import read_tb_data

    from bnnforge.generator.console import say

    log = log or say
    build_dir = Path(build_dir)
    info, _ = read_build(build_dir)
    tb = read_tb_data(build_dir / TB_DIR)
    top = info["top"]
    log(f"C-simulation of {top} (g++, ap_types from hls4ml) on {tb.images} images")
    res = run_csim_project(build_dir, top, build_dir / TB_DIR, tb.images)

    def record(report: dict) -> None:
        report["verification"]["csim_mismatches"] = len(res["mismatches"])
        report["verification"]["csim_images"] = tb.images
        for row in report["layers"] + report.get("interconnect", []):
            procs = res["trips"].get(row["name"])
            if procs is not None:
                row["hls_cycles"] = max(procs.values())
                row["hls_processes"] = procs
        layer_cycles = [row["hls_cycles"] for row in report["layers"] + report.get("interconnect", [])
                        if row.get("hls_cycles") is not None]
        report["throughput"]["cycles_per_frame_hls"] = max(layer_cycles) if layer_cycles else None

    report = update_report(build_dir, record)
    bad = res["mismatches"]
    log(f"csim: {tb.images} images, {len(bad)} mismatching" + (f" (images {', '.join(map(str, bad[:10]))}"
                                                               f"{', ...' if len(bad) > 10 else ''})" if bad else ""))
    log(f"HLS loop trips: {report['throughput']['cycles_per_frame_hls']} cycles/frame (II=1), estimate "
        f"{report['throughput']['cycles_per_frame_estimate']}")
    return 1 if bad else 0
