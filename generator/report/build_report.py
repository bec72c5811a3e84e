"""report.json of a build (the schema is in ../shared/DESIGN.md): written by `build` with the
estimates, completed by `csim` (HLS loop trips, C-simulation mismatches) and `sim` (RTL
mismatches, simulated cycles)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from bnnforge.generator.report.devices import Device


def write_text(path: Path, text: str) -> None:
    """Write a file so that it is whole at every moment (a crash leaves the old one)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def initial_report(src, top: str, device: Device, clock_mhz: float, estimate: dict,  # noqa: ANN001
                   finn: dict[str, dict | None], accuracy: dict | None, verification: dict) -> dict:
    layers = []
    for row in estimate["layers"]:
        layers.append({"name": row["name"], "op": row["op"], "folding": row["folding"], "estimate": row["estimate"],
                       "memory": row.get("memory"), "finn_estimate": finn.get(row["name"]), "synth": None,
                       "hls_cycles": None,
                       "sim": None})
    totals = estimate["totals"]["estimate"]
    cpf = estimate["throughput"]["cycles_per_frame_estimate"]
    slowest = max(estimate["layers"] + estimate["interconnect"], key=lambda r: r["estimate"]["cycles"])
    util = device.utilisation(totals)
    return {
        "model": src.name, "top": top, "input_shape": list(src.model.input_shape), "part": device.part,
        "clock_mhz": clock_mhz, "trained": src.trained, "accuracy": accuracy,
        "verification": {**verification, "csim_mismatches": None, "rtl_mismatches": None, "rtl_simulator": None,
                         "rtl_images": None},
        "layers": layers,
        "interconnect": [{"name": r["name"], "op": r["op"], "folding": r["folding"], "estimate": r["estimate"],
                          "memory": r.get("memory")} for r in estimate["interconnect"]],
        "totals": {"estimate": totals, "synth": None, "hls_report": None},
        "device": {"part": device.part, "capacity": device.capacity(),
                   "utilisation": {k: round(v, 4) for k, v in util.items()}, "fits": device.fits(totals)},
        "throughput": {"cycles_per_frame_estimate": cpf, "cycles_per_frame_sim": None,
                       "cycles_per_frame_hls": None, "fps_at_clock": clock_mhz * 1e6 / cpf,
                       "bottleneck": slowest["name"]},
        "latency": {"cycles_estimate": estimate["latency"]["cycles_estimate"], "cycles_sim": None},
    }


def update_report(build_dir: Path, change: Callable[[dict], None]) -> dict:
    """Read DIR/report.json, apply `change` to it, write it back whole."""
    path = Path(build_dir) / "report.json"
    report = json.loads(path.read_text())
    change(report)
    write_json(path, report)
    return report
