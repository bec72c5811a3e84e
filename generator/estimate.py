"""Resource and cycle estimates of a folded dataflow graph, from each op's cost model."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from bnnforge.generator.hwops.base import RESOURCE_KEYS
from bnnforge.generator.hwops.memory import fifo_cost
from bnnforge.generator.passes.fifos import latency, waiting_words
from bnnforge.generator.passes.linear_qonnx import read_only
from bnnforge.generator.passes.folding import hw_ops
from bnnforge.generator.passes.streams import edges
from bnnforge.generator.passes.width_converters import prepare_interconnect


def estimate_graph(model: ModelWrapper, memory: bool = True) -> dict:
    """Per-layer estimates, the stitched design's FIFOs and width converters, totals,
    throughput (the slowest op sets cycles per frame) and latency (passes.fifos: the same
    model that sizes the FIFOs, converters and FIFOs included). With `memory`, every row
    also says the memory bits it uses and the least its function needs (a FIFO: the words
    its stream waits for a later one, passes.fifos.waiting_words)."""
    model = read_only(prepare_interconnect(model))
    layers, links = [], []
    for op in hw_ops(model):
        node = op.onnx_node
        row = {"name": node.name, "op": node.op_type, "folding": op.folding(), "estimate": op.estimate()}
        if memory:
            row["memory"] = op.memory_bits()
        (links if node.op_type == "WidthConverter" else layers).append(row)
    waiting = waiting_words(model) if memory else {}
    for e in edges(model):
        if e.dst is not None:
            cost = fifo_cost(e.width, e.depth, e.ram_style)
            row = {"name": f"FIFO_{e.tensor}", "op": "FIFO", "folding": {"depth": e.depth, "width": e.width},
                   "estimate": {**cost, "cycles": 0}}
            if memory:
                row["memory"] = {"bits": e.depth * e.width, "floor_bits": waiting[(e.dst[0], e.dst[1].name)] * e.width}
            links.append(row)
    totals = {k: sum(row["estimate"].get(k, 0) for row in layers + links) for k in RESOURCE_KEYS}
    cycles = max(row["estimate"]["cycles"] for row in layers + links)
    return {
        "layers": layers,
        "interconnect": links,
        "totals": {"estimate": totals},
        "throughput": {"cycles_per_frame_estimate": cycles},
        "latency": {"cycles_estimate": latency(model)},
    }


def format_estimate(report: dict, clock_mhz: float = 100.0) -> str:
    rows = [("layer", "op", "folding", "LUT", "FF", "BRAM18", "DSP", "cycles", "FINN LUT", "FINN cycles")]
    for layer in report["layers"]:
        e, f = layer["estimate"], layer.get("finn_estimate")
        fold = " ".join(f"{k}={v}" for k, v in layer["folding"].items())
        rows.append((layer["name"], layer["op"], fold, e["lut"], e["ff"], e["bram18"], e["dsp"], e["cycles"],
                     f["lut"] if f else "-", f["cycles"] if f else "-"))
    links = report.get("interconnect", [])
    if links:
        link = {k: sum(row["estimate"][k] for row in links) for k in RESOURCE_KEYS}
        dwcs = sum(row["op"] == "WidthConverter" for row in links)
        rows.append((f"{len(links) - dwcs} FIFOs, {dwcs} width converters", "", "", link["lut"], link["ff"],
                     link["bram18"], link["dsp"], "", "", ""))
    t = report["totals"]["estimate"]
    rows.append(("total", "", "", t["lut"], t["ff"], t["bram18"], t["dsp"], "", "", ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(v).ljust(w) if i < 3 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
             for r in rows]
    cpf = report["throughput"]["cycles_per_frame_estimate"]
    lat = report["latency"]["cycles_estimate"]
    both = [row for row in report["layers"] if row.get("finn_estimate")]
    if both:
        ours = sum(row["estimate"]["lut"] for row in both)
        finn = sum(row["finn_estimate"]["lut"] for row in both)
        lines.append(f"on the {len(both)} layers FINN can build: {ours} LUT estimated here, {finn} by FINN's "
                     "res_estimation")
    lines.append(f"throughput: {cpf} cycles/frame = {clock_mhz * 1e6 / cpf:.0f} frames/s at {clock_mhz:g} MHz; "
                 f"latency {lat} cycles = {lat / clock_mhz:.1f} us")
    return "\n".join(lines)
