"""One sweep point, as a Dask worker runs it: (model, part, target, synth) -> a dict.

The folding is auto folding at the target, the function `bnnforge graph` and `bnnforge build`
call (graph.fold); without a part it takes the least-area folding that meets the target, which
is exactly what build's fit_to_part keeps when it fits. A point that does not fit is still
folded and estimated (build would stop with an error there): the sweep marks it as not fitting
instead, so the Pareto plot shows what a bigger part would take.

A point is pure: the same inputs give the same dict (its run time goes to a separate field that
the summaries leave out), so a point Dask runs twice, after a worker died, is harmless.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

from bnnforge.generator.sweep.spec import ModelSpec, Point
from bnnforge.quant.errors import BnnforgeError

# Yosys numbers a point keeps (synthesize() adds whether it came from the cache, which differs
# between runs)
YOSYS_KEYS = ("lut", "ff", "carry4", "bram18", "dsp", "logic_depth")
# dataflow graphs kept per worker process: the export and streamlining of a model cost more than
# folding and estimating it, and a worker usually gets several points of the same model
_GRAPHS: OrderedDict[str, tuple] = OrderedDict()
_GRAPHS_KEPT = 4


def _dataflow(spec: ModelSpec):  # noqa: ANN202
    """(Source, dataflow graph) of a model, memoized per process."""
    from bnnforge.generator.build import resolve_source
    from bnnforge.generator.dataflow import build_dataflow

    key = json.dumps(spec.identity(), sort_keys=True)
    if key in _GRAPHS:
        _GRAPHS.move_to_end(key)
        return _GRAPHS[key]
    with tempfile.TemporaryDirectory(prefix="bnnforge-sweep-") as tmp:
        if spec.kind == "checkpoint":  # the worker may be on another machine: the bytes came with the task
            path = Path(tmp) / spec.label
            path.write_bytes(spec.data)
            src = resolve_source(str(path), {})
        else:
            src = resolve_source(spec.model, json.loads(spec.overrides))
        _, graph = build_dataflow(src.model, batch=1)
    _GRAPHS[key] = (src, graph)
    while len(_GRAPHS) > _GRAPHS_KEPT:
        _GRAPHS.popitem(last=False)
    return src, graph


def run_point(point: Point, timeout: float = 900) -> dict:
    """Fold, estimate and (with point.synth) synthesize the stitched network of one point.
    A BnnforgeError (e.g. no Yosys) comes back as {"error": ...} so that the sweep goes on."""
    t0 = time.perf_counter()
    try:
        result = _run(point, timeout)
    except BnnforgeError as e:
        result = {"error": str(e)}
    return {**result, "seconds": round(time.perf_counter() - t0, 2)}


def _run(point: Point, timeout: float) -> dict:
    from bnnforge.generator.estimate import estimate_graph
    from bnnforge.generator.graph import fold
    from bnnforge.generator.passes.folding import folding_of
    from bnnforge.generator.passes.width_converters import prepare_interconnect
    from bnnforge.generator.report.devices import find_device

    device = find_device(point.part)
    src, graph = _dataflow(point.model)
    folded, warnings = fold(graph, "auto", point.target.cycles)  # auto folding at the target, no part
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
        out["yosys"] = _synthesize(interconnected, src, timeout)
        if "error" not in out["yosys"]:
            out["fits_yosys"] = device.fits(out["yosys"])
    return out


def _synthesize(graph, src, timeout: float) -> dict:  # noqa: ANN001
    """Yosys numbers of the stitched top (report.synthesis: cached by content hash), from the
    RTL project `build` would write for this folding, in a temporary directory."""
    import numpy as np

    from bnnforge.generator.build import top_name, version
    from bnnforge.generator.emit.rtl_project import write_rtl_project
    from bnnforge.generator.report.synthesis import synthesize, top_job
    from bnnforge.generator.tb_data import stream_vectors

    # the project's README names the port widths: one blank image gives them (no test bench runs here)
    c, h, w = src.model.input_shape
    classes = graph.get_tensor_shape(graph.graph.output[0].name)[-1]
    tb = stream_vectors(graph, np.zeros((1, h, w, c), dtype=np.int64), np.zeros((1, classes), dtype=np.int64), 0,
                        "none")
    with tempfile.TemporaryDirectory(prefix="bnnforge-sweep-rtl-") as tmp:
        rtl = Path(tmp) / "rtl"
        rtl.mkdir()
        write_rtl_project(graph, rtl, top_name(src.name), tb, src.describe, version())
        try:
            numbers = synthesize(top_job(rtl), timeout)
        except BnnforgeError as e:
            return {"error": str(e)}
    return {k: numbers.get(k) for k in YOSYS_KEYS}
