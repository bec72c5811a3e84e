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
from bnnforge.generator.passes.folding import ApplyFolding, AutoFolding, folding_of, read_folding
from bnnforge.generator.passes.width_converters import prepare_interconnect
from bnnforge.quant.errors import BnnforgeError


def fold(graph: ModelWrapper, fold_spec: str = "auto", target_cycles: int | None = None) -> tuple[ModelWrapper, list[str]]:
    """Apply `auto` folding (optionally for a target cycles per frame) or a folding file."""
    if fold_spec == "auto":
        auto = AutoFolding(target_cycles)
        return graph.transform(auto, cleanup=False), auto.warnings
    if target_cycles is not None:
        raise BnnforgeError("--target-cycles applies to --fold auto only")
    return graph.transform(ApplyFolding(read_folding(Path(fold_spec))), cleanup=False), []


def companion_paths(out: Path) -> dict[str, Path]:
    stem = out.with_suffix("") if out.suffix == ".onnx" else out
    return {"graph": out, "folding": Path(f"{stem}.folding.json"), "finn": Path(f"{stem}.finn.onnx"),
            "estimate": Path(f"{stem}.estimate.json")}


def write_graph(ckpt: Path, out: Path, fold_spec: str = "auto", target_cycles: int | None = None,
                part: str = DEFAULT_PART) -> dict:
    """Build, fold and write the dataflow graph of a checkpoint; returns the estimate report."""
    from bnnforge.generator.dataflow import build_dataflow
    from bnnforge.quant import models

    if fold_spec != "auto":
        read_folding(Path(fold_spec))  # fail on a bad file before the slow export
    model = models.load(ckpt)
    _, graph = build_dataflow(model, batch=1)
    return save_graph(model.name, graph, out, fold_spec, target_cycles, part)


def save_graph(model_name: str, graph: ModelWrapper, out: Path, fold_spec: str = "auto",
               target_cycles: int | None = None, part: str = DEFAULT_PART) -> dict:
    """Fold a dataflow graph, estimate it (ours and FINN's) and write the files atomically."""
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.finn_export import finn_estimates, to_finn

    graph, warnings = fold(graph, fold_spec, target_cycles)
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
