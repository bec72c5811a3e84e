"""`bnnforge graph`: a checkpoint -> the streamlined, folded dataflow graph on disk.

Writes GRAPH.onnx (hardware ops in the domain `bnnforge.generator.hwops`; after
`import bnnforge.generator`, qonnx's execute_onnx runs it), GRAPH.folding.json (the folding
used, in the format `--fold FILE` reads back), GRAPH.finn.onnx (the same network with
FINN's HW layers where FINN has them) and GRAPH.estimate.json (our cost model per layer,
next to FINN's exp_cycles_per_layer / res_estimation for the layers FINN can build).
"""

from __future__ import annotations

import json
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.finn_export import DEFAULT_PART
from bnnforge.generator.passes.folding import ApplyFolding, AutoFolding, folding_of, hw_ops, read_folding
from bnnforge.generator.passes.memories import place_memories
from bnnforge.generator.passes.width_converters import prepare_interconnect
from bnnforge.generator.report.devices import Device, find_device
from bnnforge.quant.errors import BnnforgeError


def fold(graph: ModelWrapper, fold_spec: str = "auto", target_cycles: int | None = None,
         device: Device | None = None, clock_mhz: float = 100.0) -> tuple[ModelWrapper, list[str]]:
    """Apply `auto` folding (optionally for a target cycles per frame) or a folding file.
    With a `device`, auto folding also fits the part (fit_to_part), and where its block RAM
    does not hold the design, stream buffers go to its UltraRAM and weight ROMs are banked
    (place_memories)."""
    if fold_spec == "auto":
        if device is not None:
            return fit_to_part(graph, device, target_cycles, clock_mhz)
        auto = AutoFolding(target_cycles)
        return graph.transform(auto, cleanup=False), auto.warnings
    if target_cycles is not None:
        raise BnnforgeError("--target-cycles applies to --fold auto only")
    folded = graph.transform(ApplyFolding(read_folding(Path(fold_spec))), cleanup=False)
    return place_memories(folded, device) if device is not None else (folded, [])


# how close the fastest fitting folding is searched for: within this factor of cycles per frame
FIT_PRECISION = 1.05
# a target every op meets at its most folded: auto folding then gives the smallest design
SLOWEST_TARGET = 1 << 40


def fit_to_part(graph: ModelWrapper, device: Device, target_cycles: int | None = None,
                clock_mhz: float = 100.0) -> tuple[ModelWrapper, list[str]]:
    """Auto folding that meets `target_cycles` and whose estimate (layers, FIFOs, width
    converters) fits `device`. Without a target (one input pixel per cycle), a design too big
    for the part is slowed down to the fastest folding that fits, with a warning; with a
    target, that is an error saying by how much it does not fit and what the fastest fitting
    folding reaches. Auto folding is least-area per op for a target, so area falls as the
    target grows: the smallest folding (SLOWEST_TARGET) tells whether anything fits, then the
    fastest fitting target is bisected to within FIT_PRECISION."""
    from bnnforge.generator.estimate import estimate_graph

    search_cache: dict = {}  # every trial folds the same graph: estimate each candidate once

    def trial(cycles: int | None) -> tuple[ModelWrapper, list[str], dict, int]:
        auto = AutoFolding(cycles, search_cache)
        folded, placed = place_memories(graph.transform(auto, cleanup=False), device)
        est = estimate_graph(folded, memory=False)
        return folded, auto.warnings + placed, est["totals"]["estimate"], est["throughput"]["cycles_per_frame_estimate"]

    def fps(cycles: int) -> str:
        return f"{cycles:,} cycles/frame ({clock_mhz * 1e6 / cycles:,.0f} frames/s at {clock_mhz:g} MHz)"

    def excess(used: dict) -> str:
        util = device.utilisation(used)
        k = max(util, key=util.get)
        return f"{int(used[k]):,} {k.upper()}, {util[k]:.2f}x the {getattr(device, k):,} of {device.part}"

    folded, warnings, used, cycles = trial(target_cycles)
    if device.fits(used):
        return folded, warnings
    # what the layers' functions must store whatever the folding (weights, thresholds, frame
    # and line buffers): beyond every bit the part has, no folding fits, and the smallest
    # folding's trial (seconds on a full-size network) can be skipped
    needed, capacity = sum(op.memory_bits()["floor_bits"] for op in hw_ops(folded)), device.memory_bits()
    if needed > capacity:
        message = (f"no folding fits {device.part}: at {fps(cycles)} the estimate needs {excess(used)}; the layers "
                   f"must store {needed / 1e6:,.1f} Mbit whatever the folding, more than the {capacity / 1e6:,.1f} "
                   f"Mbit of block RAM, UltraRAM, LUTs and flip-flops of {device.part} together")
        if target_cycles is not None:
            raise BnnforgeError(message)
        return folded, [*warnings, message]
    smallest = trial(SLOWEST_TARGET)
    if not device.fits(smallest[2]):
        message = (f"no folding fits {device.part}: at {fps(cycles)} the estimate needs {excess(used)}; even the "
                   f"smallest folding ({fps(smallest[3])}) needs {excess(smallest[2])}")
        if target_cycles is not None:
            raise BnnforgeError(message)
        return folded, [*warnings, message]
    # bisect in log space between a target that does not fit and one that does
    lo, hi, best = cycles, smallest[3], smallest
    while hi > lo * FIT_PRECISION:
        mid = int(round((lo * hi) ** 0.5))
        if mid in (lo, hi):
            break
        trial_mid = trial(mid)
        if device.fits(trial_mid[2]):
            hi, best = mid, trial_mid
        else:
            lo = mid
    f, w, u, c = best
    if target_cycles is not None:
        raise BnnforgeError(f"the target {fps(target_cycles)} does not fit {device.part}: the estimate needs "
                            f"{excess(used)}; the fastest folding that fits reaches {fps(c)}")
    return f, [*w, f"one input pixel per cycle ({fps(cycles)}) needs {excess(used)}; using the fastest folding "
                   f"that fits: {fps(c)}"]


def companion_paths(out: Path) -> dict[str, Path]:
    stem = out.with_suffix("") if out.suffix == ".onnx" else out
    return {"graph": out, "folding": Path(f"{stem}.folding.json"), "finn": Path(f"{stem}.finn.onnx"),
            "estimate": Path(f"{stem}.estimate.json")}


def cycles_for_fps(fps: float, clock_mhz: float) -> int:
    """The cycles-per-frame target that gives `fps` frames per second at the clock."""
    if fps <= 0:
        raise BnnforgeError(f"--target-fps must be positive, got {fps:g}")
    return max(1, int(clock_mhz * 1e6 // fps))


def write_graph(ckpt: Path, out: Path, fold_spec: str = "auto", target_cycles: int | None = None,
                part: str = DEFAULT_PART, clock_mhz: float = 100.0) -> dict:
    """Build, fold and write the dataflow graph of a checkpoint; returns the estimate report."""
    from bnnforge.generator.dataflow import build_dataflow
    from bnnforge.quant import models

    find_device(part)  # fail on a bad part or folding file before the slow export
    if fold_spec != "auto":
        read_folding(Path(fold_spec))
    model = models.load(ckpt)
    _, graph = build_dataflow(model, batch=1)
    return save_graph(model.name, graph, out, fold_spec, target_cycles, part, clock_mhz)


def save_graph(model_name: str, graph: ModelWrapper, out: Path, fold_spec: str = "auto",
               target_cycles: int | None = None, part: str = DEFAULT_PART, clock_mhz: float = 100.0) -> dict:
    """Fold a dataflow graph (auto folding fits `part`), estimate it (ours and FINN's) and
    write the files atomically."""
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.finn_export import finn_estimates, to_finn

    graph, warnings = fold(graph, fold_spec, target_cycles, find_device(part), clock_mhz)
    finn_graph = to_finn(graph)  # FINN inserts its own converters and FIFOs
    graph = prepare_interconnect(graph)  # the saved graph holds its converters and FIFO depths
    report = {"model": model_name, "part": part, **estimate_graph(graph), "warnings": warnings}
    finn = finn_estimates(finn_graph, part)
    for layer in report["layers"]:
        layer["finn_estimate"] = finn.get(layer["name"])
    paths = companion_paths(Path(out))
    paths["graph"].parent.mkdir(parents=True, exist_ok=True)
    partial = {k: p.with_name(p.name + ".partial") for k, p in paths.items()}
    try:
        graph.save(str(partial["graph"]))
        partial["folding"].write_text(json.dumps(folding_of(graph), indent=2) + "\n")
        finn_graph.save(str(partial["finn"]))
        partial["estimate"].write_text(json.dumps(report, indent=2) + "\n")
        for k in paths:
            partial[k].replace(paths[k])
    finally:
        for p in partial.values():
            p.unlink(missing_ok=True)
    return report
