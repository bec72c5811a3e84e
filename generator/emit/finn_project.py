"""DIR/finn: the network as a FINN graph and FINN's own estimates of it, in the file names
FINN's build_dataflow gives them (report/ of a FINN build):

    model.onnx                          FINN HW layers (specialized to HLS/RTL for the part)
                                        where FINN has the layer, bnnforge nodes elsewhere
    estimate_layer_cycles.json          exp_cycles_per_layer
    estimate_layer_resources.json       res_estimation, with "total"
    estimate_network_performance.json   dataflow_performance, fps and latency at the clock

FINN only sees nodes in its own domains: its totals leave out the bnnforge layers it has no
op for (circular shift, dynamic thresholds, fixed-point batch norm and activations, ...).
"""

from __future__ import annotations

import json
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.finn_export import FINN_DOMAIN, finn_reports, per_layer, to_finn

_README = """\
# FINN graph

`model.onnx` is the network with FINN's HW layers (specialized for {part}) wherever FINN
has the layer, at bnnforge's folding: {finn_nodes} FINN nodes for {covered} of {layers}
bnnforge layers. The other layers stay bnnforge nodes ({missing}); FINN's
estimates below skip them, so FINN's totals cover only part of the network.

The estimate files are FINN's own (`exp_cycles_per_layer`, `res_estimation`,
`dataflow_performance`) under the names FINN's build_dataflow writes to report/.
"""


def _dump(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _network_performance(special: ModelWrapper, cycles: dict[str, int], clock_mhz: float) -> dict:
    """FINN's dataflow_performance when every node is a FINN HW layer; otherwise (FINN's
    critical-path walk stops at the first bnnforge node) what FINN's per-layer cycles give:
    the slowest FINN layer, and no critical path."""
    from finn.analysis.fpgadataflow.dataflow_performance import dataflow_performance

    if all(n.domain.startswith(FINN_DOMAIN) for n in special.graph.node):
        perf = dict(special.analysis(dataflow_performance))
    else:
        slowest = max(cycles, key=cycles.get) if cycles else None
        perf = {"max_cycles": cycles[slowest] if slowest else None, "max_cycles_node_name": slowest,
                "critical_path_cycles": None,
                "note": "dataflow_performance needs every node to be a FINN HW layer; the bnnforge layers FINN has "
                        "no op for are not, so these are FINN's per-layer cycles of its own layers only"}
    perf["estimated_throughput_fps"] = clock_mhz * 1e6 / perf["max_cycles"] if perf.get("max_cycles") else None
    perf["estimated_latency_ns"] = (perf["critical_path_cycles"] * 1000.0 / clock_mhz
                                    if perf.get("critical_path_cycles") is not None else None)
    return perf


def write_finn_project(folded: ModelWrapper, outdir: Path, part: str, clock_mhz: float) -> dict[str, dict | None]:
    """Write DIR/finn; returns FINN's numbers per bnnforge layer ({layer: {"cycles", "lut",
    "bram18", "dsp", "finn_ops"}}, None where FINN has no op), from the folded graph
    before bnnforge's width converters and FIFOs (FINN inserts its own)."""
    from finn.transformation.fpgadataflow.annotate_cycles import AnnotateCycles

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    special, cycles, resources = finn_reports(to_finn(folded), part)
    special = special.transform(AnnotateCycles())
    cycles = {k: int(v) for k, v in cycles.items()}
    layers = per_layer(special, cycles, resources, [n.name for n in folded.graph.node])
    total: dict[str, float] = {}
    for row in resources.values():
        for k, v in row.items():
            if isinstance(v, (int, float)):
                total[k] = total.get(k, 0) + v
    resources["total"] = total
    perf = _network_performance(special, cycles, clock_mhz)
    special.save(str(outdir / "model.onnx"))
    _dump(outdir / "estimate_layer_cycles.json", cycles)
    _dump(outdir / "estimate_layer_resources.json", resources)
    _dump(outdir / "estimate_network_performance.json", perf)

    covered = [k for k, v in layers.items() if v]
    missing = sorted({n.op_type for n in folded.graph.node if not layers[n.name]})
    (outdir / "README.md").write_text(_README.format(
        part=part, finn_nodes=sum(n.domain.startswith(FINN_DOMAIN) for n in special.graph.node), covered=len(covered),
        layers=len(layers), missing=", ".join(missing) or "none"))
    return layers
