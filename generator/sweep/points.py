"""The sweep's two Dask tasks: a model -> its dataflow graph (once per model), and one point
(model, part, target, synth) with that graph -> a dict.

The folding is auto folding at the target, the function `bnnforge graph` and `bnnforge build`
call (graph.fold); without a part it takes the least-area folding that meets the target, which
is exactly what build's fit_to_part keeps when it fits. A point that does not fit is still
folded and estimated (build would stop with an error there): the sweep marks it as not fitting
instead, so the Pareto plot shows what a bigger part would take.

Both tasks are pure: the same inputs give the same result (a point's run time goes to a field
that the summaries leave out), so a task Dask runs again, after a worker died, is harmless.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bnnforge.generator.sweep.spec import ModelSpec, Point
from bnnforge.quant.errors import BnnforgeError

if TYPE_CHECKING:  # qonnx is imported by the tasks, not by whoever imports this module
    from qonnx.core.modelwrapper import ModelWrapper

# Yosys numbers a point keeps (synthesize() adds whether it came from the cache, which differs
# between runs)
YOSYS_KEYS = ("lut", "ff", "carry4", "bram18", "dsp", "logic_depth")


@dataclass(frozen=True)
class Dataflow:
    """A model's dataflow graph and what a point needs to know of the model. One Dask task
    makes it and every point of the model takes it: exporting and streamlining a model costs
    more than folding and estimating it (bcdnet-a: about 25 s against seconds)."""

    name: str  # the zoo model
    describe: str  # for the RTL's file headers
    input_shape: tuple[int, int, int]
    graph: ModelWrapper


# the last few models a worker process lowered: the next sweep on a long-lived cluster, or the
# same model's task run again on this worker, needs no new export
_MADE: OrderedDict[str, Dataflow] = OrderedDict()
_KEPT = 2


def dataflow(spec: ModelSpec) -> Dataflow:
    """The model's dataflow graph, made as `build` makes it (build.resolve_source: an untrained
    zoo model's weights are seeded)."""
    key = json.dumps(spec.identity(), sort_keys=True)
    if key not in _MADE:
        _MADE[key] = _make_dataflow(spec)
        while len(_MADE) > _KEPT:
            _MADE.popitem(last=False)
    _MADE.move_to_end(key)
    return _MADE[key]


def _make_dataflow(spec: ModelSpec) -> Dataflow:
    from bnnforge.generator.build import resolve_source
    from bnnforge.generator.dataflow import build_dataflow

    with tempfile.TemporaryDirectory(prefix="bnnforge-sweep-") as tmp:
        if spec.kind == "checkpoint":  # the worker may be on another machine: the bytes came with the task
            path = Path(tmp) / spec.label
            path.write_bytes(spec.data)
            src = resolve_source(str(path), {})
        else:
            src = resolve_source(spec.model, json.loads(spec.overrides))
        _, graph = build_dataflow(src.model, batch=1)
    return Dataflow(src.name, src.describe, tuple(src.model.input_shape), graph)


def run_point(point: Point, model: Dataflow | None = None, timeout: float = 900) -> dict:
    """Fold, estimate and (with point.synth) synthesize the stitched network of one point
    (`model`: the point's Dataflow, made here if not given). A BnnforgeError (e.g. no Yosys)
    comes back as {"error": ...} so that the sweep goes on."""
    t0 = time.perf_counter()
    try:
        result = _run(point, model or dataflow(point.model), timeout)
    except BnnforgeError as e:
        result = {"error": str(e)}
    return {**result, "seconds": round(time.perf_counter() - t0, 2)}


def _run(point: Point, model: Dataflow, timeout: float) -> dict:
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.graph import fold
    from bnnforge.generator.passes.folding import folding_of
    from bnnforge.generator.passes.width_converters import prepare_interconnect
    from bnnforge.generator.report.devices import find_device

    device = find_device(point.part)
    folded, warnings = fold(model.graph, "auto", point.target.cycles)  # auto folding at the target, no part
    interconnected = prepare_interconnect(folded)
    est = estimate_graph(interconnected, memory=False)
    used = est["totals"]["estimate"]
    cycles = est["throughput"]["cycles_per_frame_estimate"]
    out = {"cycles_per_frame": cycles, "fps": point.clock_mhz * 1e6 / cycles,
           "meets_target": cycles <= point.target.cycles, "estimate": used,
           "utilisation": {k: round(v, 4) for k, v in device.utilisation(used).items()}, "fits": device.fits(used),
           "latency_cycles": est["latency"]["cycles_estimate"], "folding": folding_of(folded),
           "warnings": warnings, "yosys": None, "fits_yosys": None}
    if point.synth:
        out["yosys"] = _synthesize(interconnected, model, timeout)
        if "error" not in out["yosys"]:
            out["fits_yosys"] = device.fits(out["yosys"])
    return out


def _synthesize(graph: ModelWrapper, model: Dataflow, timeout: float) -> dict:
    """Yosys numbers of the stitched top (report.synthesis: cached by content hash), from the
    RTL project `build` would write for this folding, in a temporary directory."""
    import numpy as np

    from bnnforge.generator.build import top_name, version
    from bnnforge.generator.emit.rtl_project import write_rtl_project
    from bnnforge.generator.report.synthesis import synthesize, top_job
    from bnnforge.generator.tb_data import stream_vectors

    # the project's README names the port widths: one blank image gives them (no test bench runs here)
    c, h, w = model.input_shape
    classes = graph.get_tensor_shape(graph.graph.output[0].name)[-1]
    tb = stream_vectors(graph, np.zeros((1, h, w, c), dtype=np.int64), np.zeros((1, classes), dtype=np.int64), 0,
                        "none")
    with tempfile.TemporaryDirectory(prefix="bnnforge-sweep-rtl-") as tmp:
        rtl = Path(tmp) / "rtl"
        rtl.mkdir()
        write_rtl_project(graph, rtl, top_name(model.name), tb, model.describe, version())
        try:
            numbers = synthesize(top_job(rtl), timeout)
        except BnnforgeError as e:
            return {"error": str(e)}
    return {k: numbers.get(k) for k in YOSYS_KEYS}
